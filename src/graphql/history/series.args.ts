import { ArgsType, Field, Int } from 'type-graphql';
import { DateScalar, DateTimeScalar } from '../scalars';
import { SeriesIntervalEnum } from './series.type';

/** What every series query is asked: the span, the spacing, the window and the moment, once. */
@ArgsType()
export class SeriesArgs {
  @Field(() => DateScalar, {
    nullable: true,
    description: 'First day (default: the earliest headline figure known).',
  })
  from?: string | null;

  @Field(() => DateScalar, {
    nullable: true,
    description: 'Last day, not in the future (default: the latest headline figure known).',
  })
  to?: string | null;

  @Field(() => SeriesIntervalEnum, {
    defaultValue: 'MONTH',
    description: 'Spacing of the points (default MONTH).',
  })
  every!: string;

  @Field(() => Int, {
    nullable: true,
    description:
      "How many days before each point a force's figure may date from (default: the gateway's, 90).",
  })
  windowDays?: number | null;

  @Field(() => DateTimeScalar, {
    nullable: true,
    description:
      'Answer as the gateway knew it at this instant (from the archive), so that a published number can be ' +
      'reproduced later. Default: what is known now.',
  })
  knownAt?: string | null;
}
