import { registerEnumType } from 'type-graphql';
import { BASES, DIMENSIONS, FIGURE_STATUSES, MEASURES, PRECISIONS } from '../domain/figure';
import { OUTCOMES } from '../domain/national';

function enumOf<T extends string>(values: readonly T[]): { [K in T]: K } {
  return Object.fromEntries(values.map((v) => [v, v])) as { [K in T]: K };
}

/** GraphQL enums share their values with the domain's string unions, so no mapping is needed. */
export const FigureStatusEnum = enumOf(FIGURE_STATUSES);
export const BasisEnum = enumOf(BASES);
export const PrecisionEnum = enumOf(PRECISIONS);
export const MeasureEnum = enumOf(MEASURES);
export const DimensionEnum = enumOf(DIMENSIONS);
export const OutcomeEnum = enumOf(OUTCOMES);
export const FreshnessEnum = enumOf(['FRESH', 'STALE'] as const);
export const BreakerStateEnum = enumOf(['CLOSED', 'OPEN', 'HALF_OPEN'] as const);
export const SourceStateEnum = enumOf(['OK', 'STALE', 'ERROR', 'NOT_LOADED'] as const);

registerEnumType(FigureStatusEnum, {
  name: 'FigureStatus',
  description: 'Whether a figure carries a value, and if not, why.',
  valuesConfig: {
    REPORTED: { description: 'The force reported a value (zero included).' },
    WITHHELD: { description: 'The force refused to give it.' },
    NOT_HELD: { description: 'The force does not record it.' },
    SUPPRESSED: { description: 'Hidden by disclosure control (small counts).' },
    UNAVAILABLE: { description: 'The source failed and nothing usable is cached; see `reason`.' },
  },
});
registerEnumType(BasisEnum, {
  name: 'Basis',
  description: 'What a headline count counts.',
  valuesConfig: {
    WHEREABOUTS_UNKNOWN: { description: 'Whereabouts unknown ("missing").' },
    WANTED: { description: 'Wanted for breaching notification requirements.' },
    MISSING_OR_WANTED: { description: 'One combined figure for missing or wanted.' },
  },
});
registerEnumType(PrecisionEnum, {
  name: 'Precision',
  description: 'How precisely a source dates its figure.',
});
registerEnumType(MeasureEnum, {
  name: 'Measure',
  description: 'A scalar measure a force may report.',
  valuesConfig: {
    UNACCOUNTED: {
      description: 'Registered sex offenders whose whereabouts are unknown or who are wanted (see basis).',
    },
    REGISTERED: { description: 'Registered sex offenders in the force area.' },
    BREACHES_CAUTIONED_OR_CONVICTED: { description: 'Notification breaches cautioned or convicted.' },
    RETURNED_TO_CUSTODY: { description: 'Offenders returned to custody.' },
  },
});
registerEnumType(DimensionEnum, { name: 'Dimension', description: 'What a breakdown is by.' });
registerEnumType(OutcomeEnum, {
  name: 'Outcome',
  description: "A force's part in a total: exactly one per force.",
  valuesConfig: {
    REPORTED: { description: 'In the sum.' },
    WITHHELD: { description: 'The force withheld its figure.' },
    NOT_HELD: { description: 'The force does not hold the figure.' },
    UNAVAILABLE: { description: 'Its source failed and nothing usable is cached.' },
    LOWER_BOUND: {
      description: 'Its figure is only a lower bound (">31300"): shown, not in the sum or any rate.',
    },
    NO_FIGURE: { description: 'No figure dated within the window.' },
  },
});
registerEnumType(FreshnessEnum, {
  name: 'Freshness',
  description: 'FRESH within the source TTL; STALE when served past it (refreshing, or its source failing).',
});
registerEnumType(BreakerStateEnum, { name: 'BreakerState', description: "A source's circuit breaker." });
registerEnumType(SourceStateEnum, {
  name: 'SourceState',
  description:
    'OK (fresh), STALE (served past its TTL), ERROR (nothing usable), NOT_LOADED (not fetched yet).',
});
