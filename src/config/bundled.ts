import type { SourceConfigInput } from './schema';

/** Bundled data never changes while the process runs: a year-long TTL just avoids re-reading files. */
const BUNDLED_TTL_SECONDS = 365 * 86_400;

/**
 * The embedded default's sources: the cited published figures copied from the team's reference data
 * (`src/data/`, see `src/data/SOURCES.md`). Each row carries its own citation, exposed as provenance.
 */
export const BUNDLED_SOURCES: readonly SourceConfigInput[] = [
  {
    id: 'published-figures',
    kind: 'csv',
    shape: 'counts',
    location: 'bundled:published-figures.csv',
    title: 'Published FOI figures: Sky News 2018, Press Association 2015, Daily Echo 2013',
    priority: 10,
    ttlSeconds: BUNDLED_TTL_SECONDS,
    staleForSeconds: BUNDLED_TTL_SECONDS,
    mapping: {
      forceId: 'force_id',
      asAt: 'as_at',
      precision: 'as_at_precision',
      basis: 'basis',
      unaccounted: 'value',
      registered: 'registered',
      title: 'source_title',
      url: 'source_url',
    },
  },
  {
    id: 'published-breakdowns',
    kind: 'csv',
    shape: 'breakdowns',
    location: 'bundled:published-breakdowns.csv',
    title: 'Breakdowns published with the FOI investigations (Sky News 2018, Daily Echo 2013)',
    priority: 10,
    ttlSeconds: BUNDLED_TTL_SECONDS,
    staleForSeconds: BUNDLED_TTL_SECONDS,
    mapping: {
      forceId: 'force_id',
      asAt: 'as_at',
      precision: 'as_at_precision',
      dimension: 'dimension',
      category: 'category',
      value: 'value',
      status: 'status',
      complete: 'complete',
      title: 'source_title',
      url: 'source_url',
    },
  },
  {
    id: 'published-national-totals',
    kind: 'csv',
    shape: 'totals',
    location: 'bundled:published-national-totals.csv',
    title: 'National totals published by investigations and Hansard',
    ttlSeconds: BUNDLED_TTL_SECONDS,
    staleForSeconds: BUNDLED_TTL_SECONDS,
    mapping: {
      scope: 'scope',
      asAt: 'as_at',
      precision: 'as_at_precision',
      measure: 'measure',
      value: 'value',
      forcesResponded: 'forces_responded',
      forcesAsked: 'forces_asked',
      notes: 'notes',
      title: 'source_title',
      url: 'source_url',
    },
  },
  {
    id: 'mappa-registered',
    kind: 'csv',
    shape: 'counts',
    location: 'bundled:mappa.csv',
    title: 'Registered sexual offenders per MAPPA area (MoJ MAPPA annual reports, as quoted by local media)',
    ttlSeconds: BUNDLED_TTL_SECONDS,
    staleForSeconds: BUNDLED_TTL_SECONDS,
    // National rows have no force, and a few areas' rows give only a rate or no date: not per-force counts.
    skipRowsMissing: ['forceId', 'asAt', 'registered'],
    mapping: {
      forceId: 'force_id',
      asAt: 'as_at',
      registered: 'rso_count',
      title: 'source_title',
      url: 'source_url',
    },
  },
];
