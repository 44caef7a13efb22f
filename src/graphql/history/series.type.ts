import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { SERIES_INTERVALS } from '../../domain/series';
import { SummaryType } from '../national/summary.type';
import { DateScalar, DateTimeScalar } from '../scalars';

/** The spacing of a series' points (shares its values with the domain's). */
export const SeriesIntervalEnum = Object.fromEntries(SERIES_INTERVALS.map((v) => [v, v])) as {
  [K in (typeof SERIES_INTERVALS)[number]]: K;
};
registerEnumType(SeriesIntervalEnum, {
  name: 'SeriesInterval',
  description: 'How far apart the points of a series are: calendar months, quarters or years.',
});

@ObjectType('SeriesPoint', {
  simpleResolvers: true,
  description:
    "One point of a series: the summary as at its period's last day (exactly what `national(asAt)` gives for " +
    'that day), with the published totals dated within the period. A point with no reporting force is a gap: ' +
    'its total is 0 and its coverage says so; draw it as a gap, not as zero.',
})
export class SeriesPointType extends SummaryType {
  @Field(() => DateScalar, { description: "The period's first day (or the series' `from`)." })
  periodStart!: string;

  @Field({ description: 'True when no force reported within the window: a gap, not a zero.' })
  gap!: boolean;
}

@ObjectType('Series', {
  simpleResolvers: true,
  description:
    'A national, regional, national (nation) or force series over time, each point with its coverage.',
})
export class SeriesType {
  @Field({ description: '"United Kingdom", a region, a nation, or a force\'s name.' })
  name!: string;

  @Field(() => DateScalar)
  from!: string;

  @Field(() => DateScalar)
  to!: string;

  @Field(() => SeriesIntervalEnum)
  every!: string;

  @Field(() => Int)
  windowDays!: number;

  @Field(() => DateTimeScalar, {
    nullable: true,
    description: 'The moment the series is as known at; null for what is known now.',
  })
  knownAt!: string | null;

  @Field({
    description:
      'True when the archive was read: the series includes figures sources no longer list. False when the ' +
      'gateway keeps no archive, so only what sources list now is in it.',
  })
  fromArchive!: boolean;

  @Field(() => [SeriesPointType])
  points!: SeriesPointType[];
}
