import { Field, Int, ObjectType } from 'type-graphql';
import { FigureType, RateType, ReasonType } from '../common/figure.type';
import { ForceType } from '../force/force.type';
import { BasisEnum, OutcomeEnum } from '../enums';
import { PublishedTotalType } from '../published/published-total.type';
import { DateScalar } from '../scalars';

@ObjectType('BasisTotal', {
  simpleResolvers: true,
  description: 'The sum of one basis.',
})
export class BasisTotalType {
  @Field(() => BasisEnum)
  basis!: string;

  @Field(() => Int)
  value!: number;

  @Field(() => Int, { description: 'Forces whose figure has this basis.' })
  forces!: number;
}

@ObjectType('Total', {
  simpleResolvers: true,
  description: 'A sum of REPORTED figures. Never read it without its coverage.',
})
export class TotalType {
  @Field(() => Int, { description: 'Sum over the reporting forces, across bases.' })
  value!: number;

  @Field(() => [BasisTotalType], { description: 'The same sum split by basis.' })
  byBasis!: BasisTotalType[];
}

@ObjectType('SumSource', {
  simpleResolvers: true,
  description: "A source whose figures are in a sum, and how many forces' figures it gave to it.",
})
export class SumSourceType {
  @Field({ description: 'The configured source that served the figures.' })
  sourceId!: string;

  @Field({ description: 'Citation title (the publication, for published figures).' })
  title!: string;

  @Field(() => String, { nullable: true, description: 'Public citation URL, if any.' })
  url!: string | null;

  @Field({ description: 'True for simulated data: never a real force figure.' })
  simulated!: boolean;

  @Field(() => Int, { description: "Reporting forces whose figure in the sum is this source's." })
  forces!: number;
}

@ObjectType('ForceEntry', {
  simpleResolvers: true,
  description: "A force's part in a total.",
})
export class ForceEntryType {
  @Field(() => ForceType)
  force!: ForceType;

  @Field(() => OutcomeEnum)
  outcome!: string;

  @Field(() => FigureType, { nullable: true, description: 'The headline figure chosen as at the date.' })
  figure!: FigureType | null;

  @Field(() => FigureType, {
    nullable: true,
    description: 'For NO_FIGURE: the newest figure older than the window, so readers see how old it is.',
  })
  latestOutsideWindow!: FigureType | null;

  @Field({ description: 'Whether the figure is served stale from cache.' })
  stale!: boolean;

  @Field(() => ReasonType, { nullable: true, description: 'For UNAVAILABLE: why.' })
  reason!: ReasonType | null;
}

@ObjectType('Coverage', {
  simpleResolvers: true,
  description:
    'Which forces a total covers. reporting + withheld + notHeld + unavailable + lowerBound + withoutFigure = forces.',
})
export class CoverageType {
  @Field(() => Int, { description: 'Forces in the registry (in this area).' })
  forces!: number;

  @Field(() => Int, { description: 'Forces whose REPORTED figure is in the sum.' })
  reporting!: number;

  @Field(() => Int)
  withheld!: number;

  @Field(() => Int)
  notHeld!: number;

  @Field(() => Int, { description: 'Forces whose source failed with nothing usable cached.' })
  unavailable!: number;

  @Field(() => Int, {
    description: 'Forces whose figure in the window is only a lower bound (">31300"): not in the sum.',
  })
  lowerBound!: number;

  @Field(() => Int, { description: 'Forces with no figure dated within the window.' })
  withoutFigure!: number;

  @Field(() => Int, { description: 'Reporting forces whose figure is served stale (a subset of reporting).' })
  stale!: number;

  @Field(() => [ForceType], { description: 'Every force not in the sum, for any reason, by id.' })
  missingForces!: ForceType[];

  @Field(() => [ForceEntryType], { description: 'Every force not in the sum, with its outcome and reason.' })
  missing!: ForceEntryType[];

  @Field(() => [ForceType])
  reportingForces!: ForceType[];
}

@ObjectType('SummaryRates', { simpleResolvers: true })
export class SummaryRatesType {
  @Field(() => RateType, {
    nullable: true,
    description: 'Unaccounted per 1,000 registered, where both are known.',
  })
  per1000Registered!: RateType | null;

  @Field(() => RateType, {
    nullable: true,
    description: 'Unaccounted per 100,000 population, where both are known.',
  })
  per100kPopulation!: RateType | null;
}

@ObjectType('Summary', {
  simpleResolvers: true,
  description: 'A total as at a date over an area (the UK, a region, a nation), always with its coverage.',
})
export class SummaryType {
  @Field({ description: '"United Kingdom", a region or a nation.' })
  name!: string;

  @Field(() => DateScalar)
  asAt!: string;

  @Field(() => Int, { description: 'A figure counts if dated no more than this many days before asAt.' })
  windowDays!: number;

  @Field(() => TotalType)
  unaccounted!: TotalType;

  @Field(() => CoverageType)
  coverage!: CoverageType;

  @Field(() => [ForceEntryType], { description: 'Every force in the area, with its part in the total.' })
  forces!: ForceEntryType[];

  @Field(() => [SumSourceType], {
    description:
      "The sources of the figures in the sum, each with how many reporting forces' figures it gave, most first: " +
      'whose numbers, real or simulated, the total adds up.',
  })
  sources!: SumSourceType[];

  @Field(() => [PublishedTotalType], {
    description: 'National totals published for this period, shown beside the sum and never mixed into it.',
  })
  publishedTotals!: PublishedTotalType[];

  @Field(() => SummaryRatesType)
  rates!: SummaryRatesType;
}
