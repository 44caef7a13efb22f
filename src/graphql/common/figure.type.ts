import { Field, Float, Int, ObjectType } from 'type-graphql';
import { DateScalar, DateTimeScalar } from '../scalars';
import {
  BasisEnum,
  DimensionEnum,
  FigureStatusEnum,
  FreshnessEnum,
  MeasureEnum,
  PrecisionEnum,
} from '../enums';

@ObjectType('AsAt', {
  simpleResolvers: true,
  description: 'A date as the source gave it, with its precision and the days it covers.',
})
export class AsAtType {
  @Field({ description: 'As written by the source: YYYY-MM-DD, YYYY-MM or YYYY.' })
  date!: string;

  @Field(() => PrecisionEnum)
  precision!: string;

  @Field(() => DateScalar, { description: 'First day the period covers; its age is counted from here.' })
  start!: string;

  @Field(() => DateScalar, { description: 'Last day the period covers.' })
  end!: string;
}

@ObjectType('Citation', {
  simpleResolvers: true,
  description:
    'Another publication of the same figure: the same survey reported by another outlet. It corroborates the figure and is never counted again.',
})
export class CitationType {
  @Field({ description: 'The publication.' })
  title!: string;

  @Field(() => String, { nullable: true, description: 'Public URL of the publication, if any.' })
  url!: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      "The date as this publication gave it (YYYY-MM-DD, YYYY-MM or YYYY); it may differ in precision from the figure's own. Null when it gave none.",
  })
  asAt!: string | null;

  @Field(() => String, { nullable: true, description: 'The sentence the figure was read from, if quoted.' })
  quote!: string | null;
}

@ObjectType('Provenance', {
  simpleResolvers: true,
  description: 'Where a figure came from.',
})
export class ProvenanceType {
  @Field({ description: 'The configured source that served it.' })
  sourceId!: string;

  @Field({ description: 'Citation title (the publication for published figures).' })
  title!: string;

  @Field(() => String, { nullable: true, description: 'Public citation URL, if any.' })
  url!: string | null;

  @Field(() => DateTimeScalar, { description: 'When the gateway fetched the payload.' })
  retrievedAt!: string;

  @Field({ description: 'True for simulated data: never a real force figure.' })
  simulated!: boolean;

  @Field(() => String, {
    nullable: true,
    description: 'The sentence the figure was read from, when the source quotes it.',
  })
  quote!: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      "The source's notes on the figure: caveats, and whose figure it is (a force's own, not the MoJ's).",
  })
  notes!: string | null;

  @Field(() => [CitationType], {
    description:
      'Other publications of the same survey that give the same figure for the same force. Empty when there are none.',
  })
  corroboratedBy!: CitationType[];
}

@ObjectType('Reason', {
  simpleResolvers: true,
  description: 'Why something is unavailable: a stable code and a message safe to show.',
})
export class ReasonType {
  @Field({ description: 'A code from the errors registry (UPSTREAM_TIMEOUT, CIRCUIT_OPEN, ...).' })
  code!: string;

  @Field()
  message!: string;
}

@ObjectType('Figure', {
  simpleResolvers: true,
  description: 'One measure for one force from one source, never a bare number.',
})
export class FigureType {
  @Field()
  forceId!: string;

  @Field(() => MeasureEnum)
  measure!: string;

  @Field(() => Int, {
    nullable: true,
    description: 'Null unless status is REPORTED. Zero is a reported value.',
  })
  value!: number | null;

  @Field(() => FigureStatusEnum)
  status!: string;

  @Field(() => BasisEnum, {
    nullable: true,
    description: 'What the headline count counts (UNACCOUNTED only).',
  })
  basis!: string | null;

  @Field(() => AsAtType, {
    nullable: true,
    description:
      'Null for UNAVAILABLE figures, and for a figure its source gave no date for (listed only in `Force.undatedFigures`).',
  })
  asAt!: AsAtType | null;

  @Field(() => ProvenanceType)
  provenance!: ProvenanceType;

  @Field(() => ReasonType, { nullable: true, description: 'Why the figure is UNAVAILABLE.' })
  reason!: ReasonType | null;

  @Field({
    description:
      'True when the source gave only a lower bound (">31300"): the true value is at least `value`. Shown, never summed or used in a rate.',
  })
  lowerBound!: boolean;

  @Field(() => FreshnessEnum, { description: 'FRESH within its source TTL, STALE when served past it.' })
  freshness!: string;

  @Field(() => Int, {
    description:
      'Seconds since the gateway fetched it, as at the start of the current second (at most a second behind).',
  })
  ageSeconds!: number;
}

@ObjectType('BreakdownCell', { simpleResolvers: true })
export class BreakdownCellType {
  @Field({
    description: 'The category: a year, an offence category, a MAPPA level (1-3), a number of years.',
  })
  category!: string;

  @Field(() => Int, { nullable: true })
  value!: number | null;

  @Field(() => FigureStatusEnum)
  status!: string;
}

@ObjectType('Breakdown', {
  simpleResolvers: true,
  description: 'A breakdown of a count for one force as at one date.',
})
export class BreakdownType {
  @Field(() => DimensionEnum)
  dimension!: string;

  @Field(() => FigureStatusEnum, { description: 'WITHHELD when the force refused the whole breakdown.' })
  status!: string;

  @Field({ description: 'Whether the cells cover the whole count.' })
  complete!: boolean;

  @Field(() => AsAtType)
  asAt!: AsAtType;

  @Field(() => ProvenanceType)
  provenance!: ProvenanceType;

  @Field(() => [BreakdownCellType])
  cells!: BreakdownCellType[];
}

@ObjectType('Population', {
  simpleResolvers: true,
  description: 'A population figure for a force area, with its source.',
})
export class PopulationType {
  @Field(() => Int)
  value!: number;

  @Field()
  label!: string;

  @Field()
  source!: string;
}

@ObjectType('Rate', {
  simpleResolvers: true,
  description: 'A rate with the parts it was computed from, over the forces where both parts are known.',
})
export class RateType {
  @Field(() => Float)
  value!: number;

  @Field(() => Int)
  numerator!: number;

  @Field(() => Int)
  denominator!: number;

  @Field(() => Int, { description: 'How many forces the rate covers.' })
  forcesIncluded!: number;
}
