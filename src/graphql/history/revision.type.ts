import { Field, ObjectType } from 'type-graphql';
import { FigureType } from '../common/figure.type';
import { DateTimeScalar } from '../scalars';

@ObjectType('Revision', {
  simpleResolvers: true,
  description:
    'One version of a figure as the gateway received it: what the source said, and from when until when. ' +
    'A source that revises a figure (same force, measure, basis and date) starts a new version.',
})
export class RevisionType {
  @Field(() => FigureType, { description: "The figure as given; its source's retrievedAt is firstSeen." })
  figure!: FigureType;

  @Field(() => DateTimeScalar, { description: 'When the gateway first received this version.' })
  firstSeen!: string;

  @Field(() => DateTimeScalar, {
    description: 'When the gateway last received it: the source still said it then.',
  })
  lastSeen!: string;

  @Field(() => DateTimeScalar, {
    nullable: true,
    description: "When a revision replaced it; null while it is the source's current word.",
  })
  supersededAt!: string | null;
}
