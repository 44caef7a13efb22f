import { Field, Float, Int, ObjectType } from 'type-graphql';
import { ReasonType } from '../common/figure.type';
import { BreakerStateEnum, FreshnessEnum, SourceStateEnum } from '../enums';
import { DateTimeScalar } from '../scalars';

@ObjectType('SourceStatus', {
  simpleResolvers: true,
  description: "A configured source's status. Never shows its internal address.",
})
export class SourceStatusType {
  @Field()
  id!: string;

  @Field({ description: 'csv, json, graphql or spreadsheet.' })
  kind!: string;

  @Field({ description: 'counts, breakdowns, records or totals.' })
  shape!: string;

  @Field()
  title!: string;

  @Field(() => String, { nullable: true, description: 'Public citation URL, if any.' })
  url!: string | null;

  @Field()
  simulated!: boolean;

  @Field(() => [String], { description: 'Force ids this source may speak for.' })
  forces!: string[];

  @Field(() => SourceStateEnum)
  state!: string;

  @Field(() => FreshnessEnum, { nullable: true })
  freshness!: string | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When the served report was fetched.' })
  retrievedAt!: string | null;

  @Field(() => Int, { nullable: true })
  ageSeconds!: number | null;

  @Field(() => DateTimeScalar, { nullable: true })
  lastAttemptAt!: string | null;

  @Field(() => DateTimeScalar, { nullable: true })
  lastSuccessAt!: string | null;

  @Field(() => Int, { nullable: true, description: 'Duration of the last fetch, retries included.' })
  latencyMs!: number | null;

  @Field(() => ReasonType, { nullable: true, description: 'The last failure, while the source is failing.' })
  error!: ReasonType | null;

  @Field(() => BreakerStateEnum)
  breaker!: string;

  @Field(() => Int, { description: 'Figures, breakdowns and totals in the served report.' })
  items!: number;

  @Field(() => Float)
  ttlSeconds!: number;

  @Field(() => Float)
  staleForSeconds!: number;
}
