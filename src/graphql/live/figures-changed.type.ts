import { Field, ID, ObjectType } from 'type-graphql';
import { DateTimeScalar } from '../scalars';

@ObjectType('FiguresChanged', {
  simpleResolvers: true,
  description:
    "A source's stored report changed (a refresh, a webhook, an operator refresh, on any instance): re-read the figures of these forces.",
})
export class FiguresChangedType {
  @Field({ description: 'The source whose report changed (see the sources query).' })
  sourceId!: string;

  @Field(() => [ID], { description: 'Every force the source covers, so one event per source.' })
  forceIds!: string[];

  @Field(() => DateTimeScalar, {
    description: 'When the new report was retrieved: the same instant on every instance.',
  })
  changedAt!: string;
}
