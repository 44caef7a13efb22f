import type { SourceShape } from '../config/schema';
import type { FeedDefinition, SimulatedKind } from './layout';

/**
 * How one kind of feed writes one shape on the wire, and so how the gateway must be configured to read
 * it. Keeping the writer and the gateway mapping in one table is what keeps them from disagreeing.
 *
 * Field names deliberately differ from the gateway's own (`force_code`, `count`, `date`, dotted paths in
 * JSON) so that every run of the simulator exercises the declarative mapping.
 */
export interface WireFormat {
  /** Our field -> their field (a CSV column, or a dotted path in a JSON row). */
  readonly mapping: Readonly<Record<string, string>>;
  /** json / graphql: dotted path from the response root to the rows array. */
  readonly path?: string;
  /** graphql: the query the gateway sends (the simulator answers any query the same way). */
  readonly query?: string;
  /** Our field the numeric drift faults (`number-as-text`, `negative-count`) act on. */
  readonly valueField: string;
  /**
   * Our field `renamed-field` drift renames by default: the headline count where there is one, else
   * the force id (a records feed whose force column is renamed can only be rejected).
   */
  readonly renameField: string;
  /** How enum-like values are written: `whereabouts unknown` (words) or `WHEREABOUTS_UNKNOWN` (constant). */
  readonly enumStyle: 'words' | 'constant';
  /** Breakdowns: MAPPA level categories written `mappa_level_2` instead of `2`. */
  readonly prefixedMappaLevels?: boolean;
}

const COUNTS: Record<SimulatedKind, WireFormat> = {
  csv: {
    mapping: {
      forceId: 'force_code',
      asAt: 'date',
      basis: 'basis_text',
      unaccounted: 'count',
      registered: 'registered_total',
    },
    valueField: 'unaccounted',
    renameField: 'unaccounted',
    enumStyle: 'words',
  },
  json: {
    mapping: {
      forceId: 'force.code',
      asAt: 'period.as_at',
      precision: 'period.precision',
      basis: 'figures.basis',
      unaccounted: 'figures.whereabouts_unknown',
      registered: 'figures.registered',
    },
    path: 'report.rows',
    valueField: 'unaccounted',
    renameField: 'unaccounted',
    enumStyle: 'words',
  },
  graphql: {
    mapping: {
      forceId: 'forceCode',
      asAt: 'asOf',
      basis: 'basis',
      unaccounted: 'count',
      registered: 'registeredTotal',
    },
    path: 'data.figures',
    query: 'query SimulatedFigures { figures { forceCode asOf basis count registeredTotal } }',
    valueField: 'unaccounted',
    renameField: 'unaccounted',
    enumStyle: 'constant',
  },
};

const RECORDS: Record<SimulatedKind, WireFormat> = {
  csv: {
    mapping: {
      forceId: 'force',
      asAt: 'extracted_on',
      yearWentMissing: 'year_missing',
      offenceCategory: 'offence',
      mappaLevel: 'mappa',
    },
    valueField: 'yearWentMissing',
    renameField: 'forceId',
    enumStyle: 'words',
  },
  json: {
    mapping: {
      forceId: 'force',
      asAt: 'extracted_on',
      yearWentMissing: 'missing_since.year',
      offenceCategory: 'offence.category',
      mappaLevel: 'mappa_level',
    },
    path: 'records',
    valueField: 'yearWentMissing',
    renameField: 'forceId',
    enumStyle: 'words',
  },
  graphql: {
    mapping: {
      forceId: 'forceCode',
      asAt: 'extractedOn',
      yearWentMissing: 'yearWentMissing',
      offenceCategory: 'offenceCategory',
      mappaLevel: 'mappaLevel',
    },
    path: 'data.figures',
    query:
      'query SimulatedRecords { figures { forceCode extractedOn yearWentMissing offenceCategory mappaLevel } }',
    valueField: 'yearWentMissing',
    renameField: 'forceId',
    enumStyle: 'constant',
  },
};

const BREAKDOWNS: Record<SimulatedKind, WireFormat> = {
  csv: {
    mapping: {
      forceId: 'force_code',
      asAt: 'date',
      dimension: 'breakdown',
      category: 'category',
      value: 'count',
      status: 'cell_status',
      complete: 'complete',
    },
    valueField: 'value',
    renameField: 'value',
    enumStyle: 'words',
  },
  json: {
    mapping: {
      forceId: 'force.code',
      asAt: 'as_at',
      dimension: 'breakdown.dimension',
      category: 'breakdown.category',
      value: 'count',
      status: 'status',
      complete: 'complete',
    },
    path: 'cells',
    valueField: 'value',
    renameField: 'value',
    enumStyle: 'words',
    prefixedMappaLevels: true,
  },
  graphql: {
    mapping: {
      forceId: 'forceCode',
      asAt: 'asOf',
      dimension: 'dimension',
      category: 'category',
      value: 'count',
      status: 'status',
      complete: 'complete',
    },
    path: 'data.figures',
    query:
      'query SimulatedBreakdowns { figures { forceCode asOf dimension category count status complete } }',
    valueField: 'value',
    renameField: 'value',
    enumStyle: 'constant',
  },
};

const TOTALS: Record<SimulatedKind, WireFormat> = {
  csv: {
    mapping: {
      scope: 'area',
      asAt: 'date',
      measure: 'measure',
      value: 'total',
      forcesResponded: 'forces_responded',
      forcesAsked: 'forces_asked',
      notes: 'note',
    },
    valueField: 'value',
    renameField: 'value',
    enumStyle: 'words',
  },
  json: {
    mapping: {
      scope: 'area',
      asAt: 'date',
      measure: 'measure',
      value: 'total',
      forcesResponded: 'coverage.responded',
      forcesAsked: 'coverage.asked',
      notes: 'note',
    },
    path: 'totals',
    valueField: 'value',
    renameField: 'value',
    enumStyle: 'words',
  },
  graphql: {
    mapping: {
      scope: 'area',
      asAt: 'asOf',
      measure: 'measure',
      value: 'total',
      forcesResponded: 'forcesResponded',
      forcesAsked: 'forcesAsked',
      notes: 'note',
    },
    path: 'data.figures',
    query: 'query SimulatedTotals { figures { area asOf measure total forcesResponded forcesAsked note } }',
    valueField: 'value',
    renameField: 'value',
    enumStyle: 'constant',
  },
};

const FORMATS: Record<SourceShape, Record<SimulatedKind, WireFormat>> = {
  counts: COUNTS,
  records: RECORDS,
  breakdowns: BREAKDOWNS,
  totals: TOTALS,
};

/**
 * Whether a feed leaves its force id out of the payload and has the gateway supply it as a constant:
 * single-force JSON counts feeds do, as a force's own API would, which exercises `constants`.
 */
export function usesForceConstant(feed: FeedDefinition): boolean {
  return feed.kind === 'json' && feed.shape === 'counts' && feed.forces.length === 1;
}

/** The wire format of a feed (with the force id dropped from the mapping when it is a constant). */
export function formatOf(feed: FeedDefinition): WireFormat {
  const format = FORMATS[feed.shape][feed.kind];
  if (!usesForceConstant(feed)) return format;
  const { forceId: _dropped, ...mapping } = format.mapping;
  return { ...format, mapping };
}

/** Constants the gateway needs for a feed (fields the payload does not carry). */
export function constantsOf(feed: FeedDefinition): Record<string, string> {
  return usesForceConstant(feed) ? { forceId: feed.forces[0]! } : {};
}
