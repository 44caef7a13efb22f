/**
 * The table of the `national-series` feed: one row per point of the series (a month, quarter or year),
 * so that `period_start` is a key, every number column charts and filters without counting a point twice,
 * and a gap charts as a gap. The published totals dated within a point's period share its row, one cell
 * listing them all: they are of mixed scope and measure (a MAPPA count of registered offenders, a survey of
 * 29 forces, a lower bound), so a number column of them would invite a line beside the sum that compares
 * unlike with unlike, and extra rows per total would repeat the point and double its numbers in any sum or
 * chart. The JSON form has every published total as structured data.
 */
import { BASES } from '../../domain/figure';
import type { FeedColumn, FeedTable } from './table';

/** Between the entries of a list in one cell (`reporting_forces`, `published_totals`). */
export const LIST_SEPARATOR = ' | ';

/** A published total as the approved operation selects it. */
export interface PublishedTotalFields {
  readonly scope: string;
  readonly measure: string;
  readonly value: number;
  /** True when the publication gave only a lower bound (">31300"). */
  readonly lowerBound: boolean;
  readonly forcesResponded: number | null;
  readonly forcesAsked: number | null;
  readonly asAt: { readonly date: string } | null;
  readonly source: { readonly title: string };
}

/** One point of the series, as the approved operation (`NationalSeries`) selects it. */
export interface SeriesPointFields {
  readonly periodStart: string;
  readonly asAt: string;
  readonly gap: boolean;
  readonly unaccounted: {
    readonly value: number;
    readonly byBasis: ReadonlyArray<{ readonly basis: string; readonly value: number }>;
  };
  readonly coverage: {
    readonly forces: number;
    readonly reporting: number;
    readonly withheld: number;
    readonly notHeld: number;
    readonly unavailable: number;
    readonly lowerBound: number;
    readonly withoutFigure: number;
    readonly stale: number;
    readonly reportingForces: ReadonlyArray<{ readonly id: string }>;
  };
  readonly sources: readonly SumSourceFields[];
  readonly publishedTotals: readonly PublishedTotalFields[];
}

/** A source of a point's sum, as the approved operation selects it. */
export interface SumSourceFields {
  readonly sourceId: string;
  readonly title: string;
  readonly simulated: boolean;
  readonly forces: number;
}

/**
 * A source of a sum in one line: its title, then its id, SIMULATED when it is, and how many forces'
 * figures it gave.
 * @example sumSourceText(source) // 'Sky News FOI, January 2018 (published, 20 forces)'
 */
export function sumSourceText(source: SumSourceFields): string {
  const forces = `${source.forces} ${source.forces === 1 ? 'force' : 'forces'}`;
  const about = [source.sourceId, source.simulated ? 'SIMULATED' : null, forces];
  return `${source.title} (${about.filter((part) => part !== null).join(', ')})`;
}

/**
 * A published total in one line: value (with ">" before a lower bound), measure, then scope, date and
 * response in brackets, then the source's title.
 * @example publishedTotalText(sky) // '485 whereabouts_unknown (UK, 2018-01-17, 41 of 45 forces responded): Sky News FOI, ...'
 */
export function publishedTotalText(total: PublishedTotalFields): string {
  const { forcesResponded: responded, forcesAsked: asked } = total;
  const forces =
    responded !== null && asked !== null
      ? `${responded} of ${asked} forces responded`
      : responded !== null
        ? `${responded} forces responded`
        : asked !== null
          ? `${asked} forces asked`
          : null;
  const about = [total.scope, total.asAt?.date ?? 'undated', forces].filter((part) => part !== null);
  return `${total.lowerBound ? '>' : ''}${total.value} ${total.measure} (${about.join(', ')}): ${total.source.title}`;
}

/** The sum of one basis at a point; empty when no reporting force's figure has that basis. */
function basisColumn(basis: (typeof BASES)[number]): FeedColumn<SeriesPointFields> {
  return {
    name: `total_${basis.toLowerCase()}`,
    kind: 'number',
    holds: `the part of total whose figures count ${basis} (a number cell); empty when no reporting force's figure has this basis`,
    cell: (p) => p.unaccounted.byBasis.find((b) => b.basis === basis)?.value ?? null,
  };
}

const COLUMNS: ReadonlyArray<FeedColumn<SeriesPointFields>> = [
  {
    name: 'period_start',
    kind: 'date',
    holds: "the first day of the point's month, quarter or year (or the series' from) (a date cell)",
    cell: (p) => p.periodStart,
  },
  {
    name: 'as_at',
    kind: 'date',
    holds: "the day the point is as at: its period's last day (or the series' to) (a date cell)",
    cell: (p) => p.asAt,
  },
  {
    name: 'total',
    kind: 'number',
    holds:
      'the sum of the REPORTED figures of the forces_reporting forces as at as_at (a number cell); empty when gap is TRUE',
    cell: (p) => (p.gap ? null : p.unaccounted.value),
  },
  {
    name: 'gap',
    kind: 'boolean',
    holds: 'TRUE when no force reported within the window: no total, to be drawn as a gap and not as zero',
    cell: (p) => p.gap,
  },
  {
    name: 'forces_in_registry',
    kind: 'number',
    holds: 'forces in the registry, reporting or not',
    cell: (p) => p.coverage.forces,
  },
  {
    name: 'forces_reporting',
    kind: 'number',
    holds: 'forces whose REPORTED figure is in total',
    cell: (p) => p.coverage.reporting,
  },
  {
    name: 'forces_withheld',
    kind: 'number',
    holds: 'forces that refused to give their figure',
    cell: (p) => p.coverage.withheld,
  },
  {
    name: 'forces_not_held',
    kind: 'number',
    holds: 'forces that do not record the figure',
    cell: (p) => p.coverage.notHeld,
  },
  {
    name: 'forces_unavailable',
    kind: 'number',
    holds: 'forces whose source failed with nothing usable cached',
    cell: (p) => p.coverage.unavailable,
  },
  {
    name: 'forces_lower_bound',
    kind: 'number',
    holds: 'forces whose figure in the window is only a lower bound (">31300"): shown, never in total',
    cell: (p) => p.coverage.lowerBound,
  },
  {
    name: 'forces_without_figure',
    kind: 'number',
    holds: 'forces with no figure dated within the window before as_at',
    cell: (p) => p.coverage.withoutFigure,
  },
  {
    name: 'forces_stale',
    kind: 'number',
    holds:
      "reporting forces whose figure is served after its source's time to live ran out (a part of forces_reporting)",
    cell: (p) => p.coverage.stale,
  },
  ...BASES.map(basisColumn),
  {
    name: 'reporting_forces',
    kind: 'text',
    holds: `the ids of the forces_reporting forces, separated by "${LIST_SEPARATOR}" (text)`,
    cell: (p) => p.coverage.reportingForces.map((f) => f.id).join(LIST_SEPARATOR) || null,
  },
  {
    name: 'sources',
    kind: 'text',
    holds: `the sources of the figures in total, most forces first, separated by "${LIST_SEPARATOR}", each as: title (source id, SIMULATED when simulated, how many forces) (text)`,
    cell: (p) => p.sources.map(sumSourceText).join(LIST_SEPARATOR) || null,
  },
  {
    name: 'published_totals',
    kind: 'text',
    holds: `the totals others published dated within the period, separated by "${LIST_SEPARATOR}", each as: value measure (scope, date, forces responded): source title (text)`,
    cell: (p) => p.publishedTotals.map(publishedTotalText).join(LIST_SEPARATOR) || null,
  },
];

/** What the About sheet says about the rows, line by line. */
export const SERIES_NOTES: readonly string[] = [
  'Each row is one point of the series: the national sum as at as_at (the last day of the period from period_start), exactly what national-latest gives for that day with the same windowDays.',
  'total sums only the forces in forces_reporting, and which forces report changes from point to point: read reporting_forces before comparing two points.',
  'A point where no force reported is a gap: gap is TRUE and total is empty, so a chart leaves it out rather than drawing zero.',
  'published_totals are totals others published, shown beside the sum and never in it; their scope and measure differ (a count of registered offenders is not a count of missing ones): read each before comparing.',
  "sources names whose figures each total adds up; a source marked SIMULATED gives made-up numbers, never a real force's.",
  'Counts only: no personal data is in this file or anywhere in Whereabouts.',
  "Text a spreadsheet could run as a formula (starting with =, +, -, @) is prefixed with ', exactly as in the CSV form.",
];

/* eslint-disable @typescript-eslint/no-explicit-any -- GraphQL result data is walked by the operation's shape */

/** `national-series`: one row per point, oldest first. */
export const NATIONAL_SERIES: FeedTable<SeriesPointFields> = {
  rowsAre: 'one row per point',
  items: (data: any) => data?.nationalSeries?.points ?? [],
  columns: COLUMNS,
  notes: SERIES_NOTES,
};
