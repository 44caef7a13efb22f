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
    title:
      'Published FOI figures: Sky News 2018, Press Association 2015, News of the World 2007, Daily Express 2008, The Sun, single-force reports',
    priority: 10,
    ttlSeconds: BUNDLED_TTL_SECONDS,
    staleForSeconds: BUNDLED_TTL_SECONDS,
    // Undated rows (The Sun's survey, the BBC Wales item) say so with precision UNKNOWN.
    mapping: {
      forceId: 'force_id',
      asAt: 'as_at',
      precision: 'as_at_precision',
      basis: 'basis',
      unaccounted: 'value',
      registered: 'registered',
      survey: 'survey',
      title: 'source_title',
      url: 'source_url',
      quote: 'quote',
      notes: 'notes',
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
    title:
      'National totals published by investigations, the MoJ MAPPA reports, Scottish Government and Hansard',
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
      survey: 'survey',
      title: 'source_title',
      url: 'source_url',
      quote: 'quote',
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
    // National rows have no force, and some areas' rows give only a rate: not per-force counts.
    skipRowsMissing: ['forceId', 'registered'],
    mapping: {
      forceId: 'force_id',
      asAt: 'as_at',
      precision: 'as_at_precision',
      registered: 'rso_count',
      survey: 'survey',
      title: 'source_title',
      url: 'source_url',
      quote: 'quote',
      notes: 'notes',
    },
  },
  {
    id: 'force-registered',
    kind: 'csv',
    shape: 'counts',
    location: 'bundled:registered-force-figures.csv',
    title: "Registered sex offenders: forces' own figures (FOI answers, management figures), not the MoJ's",
    // For the same date the MoJ's count (mappa-registered, priority 0) is preferred to a force's own.
    priority: -10,
    ttlSeconds: BUNDLED_TTL_SECONDS,
    staleForSeconds: BUNDLED_TTL_SECONDS,
    mapping: {
      forceId: 'force_id',
      asAt: 'as_at',
      precision: 'as_at_precision',
      registered: 'rso_count',
      title: 'source_title',
      url: 'source_url',
      quote: 'quote',
      notes: 'notes',
    },
  },
  // Scotland's reports give wanted and missing side by side: one file, one figure per basis, each from
  // its own source over the same rows (the headline takes one per date: see HEADLINE_BASIS_ORDER).
  {
    id: 'scotland-mappa-wanted',
    kind: 'csv',
    shape: 'counts',
    location: 'bundled:scotland-mappa.csv',
    title:
      'Police Scotland: registered sex offenders wanted (MAPPA national overview reports, NOMU statistics)',
    priority: 10,
    ttlSeconds: BUNDLED_TTL_SECONDS,
    staleForSeconds: BUNDLED_TTL_SECONDS,
    forces: ['police-scotland'],
    // Divisions and MAPPA areas within Scotland have no force id: not per-force counts.
    skipRowsMissing: ['forceId', 'unaccounted'],
    constants: { basis: 'WANTED' },
    mapping: {
      forceId: 'force_id',
      asAt: 'as_at',
      unaccounted: 'wanted',
      registered: 'rsos_at_liberty',
      survey: 'survey',
      title: 'source_title',
      url: 'source_url',
      quote: 'quote',
      notes: 'notes',
    },
  },
  {
    id: 'scotland-mappa-missing',
    kind: 'csv',
    shape: 'counts',
    location: 'bundled:scotland-mappa.csv',
    title: 'Police Scotland: registered sex offenders missing (MAPPA national overview reports)',
    priority: 10,
    ttlSeconds: BUNDLED_TTL_SECONDS,
    staleForSeconds: BUNDLED_TTL_SECONDS,
    forces: ['police-scotland'],
    // A report that does not say how many are missing gives no figure (not zero).
    skipRowsMissing: ['forceId', 'unaccounted'],
    constants: { basis: 'WHEREABOUTS_UNKNOWN' },
    mapping: {
      forceId: 'force_id',
      asAt: 'as_at',
      unaccounted: 'missing',
      survey: 'survey',
      title: 'source_title',
      url: 'source_url',
      quote: 'quote',
      notes: 'notes',
    },
  },
];
