import { Field, Int, ObjectType } from 'type-graphql';
import { AsAtType, ProvenanceType } from '../common/figure.type';

@ObjectType('PublishedTotal', {
  simpleResolvers: true,
  description: 'A national figure an investigation published. Shown beside our sums, never in them.',
})
export class PublishedTotalType {
  @Field({ description: 'What it covers, as published: UK, Great Britain, England and Wales (PNC).' })
  scope!: string;

  @Field({ description: 'What it counts, as published (e.g. whereabouts_unknown).' })
  measure!: string;

  @Field(() => Int)
  value!: number;

  @Field({
    description:
      'True when the publication gave only a lower bound (">31300"): the true value is at least `value`.',
  })
  lowerBound!: boolean;

  @Field(() => AsAtType, { nullable: true, description: 'Null when the publication gives no date.' })
  asAt!: AsAtType | null;

  @Field(() => Int, { nullable: true })
  forcesResponded!: number | null;

  @Field(() => Int, { nullable: true })
  forcesAsked!: number | null;

  @Field(() => String, { nullable: true })
  notes!: string | null;

  @Field(() => ProvenanceType)
  source!: ProvenanceType;
}
