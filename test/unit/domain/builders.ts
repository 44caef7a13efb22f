import { parseAsAt } from '../../../src/domain/dates';
import type { Breakdown, Figure } from '../../../src/domain/figure';
import type { Force } from '../../../src/domain/force-registry';
import type { ForceEntry } from '../../../src/domain/national';

/** A force with defaults; pass what the test is about. */
export function force(id: string, extra: Partial<Force> = {}): Force {
  return {
    id,
    name: `${id} Police`,
    gssCode: null,
    nation: 'England',
    region: 'Test',
    population: null,
    ...extra,
  };
}

/** A figure as at `date` (any precision parseAsAt accepts), REPORTED unless told otherwise. */
export function figure(
  forceId: string,
  date: string | null,
  value: number | null,
  extra: Partial<Omit<Figure, 'provenance'>> & { sourceId?: string } = {},
): Figure {
  const { sourceId = 'src-a', ...rest } = extra;
  const asAt = date === null ? null : parseAsAt(date);
  if (date !== null && asAt === null) throw new Error(`test bug: bad date ${date}`);
  return {
    forceId,
    measure: 'UNACCOUNTED',
    value,
    status: 'REPORTED',
    basis: 'WHEREABOUTS_UNKNOWN',
    asAt,
    provenance: {
      sourceId,
      title: sourceId,
      url: null,
      retrievedAt: '2018-02-01T00:00:00.000Z',
      simulated: false,
    },
    reason: null,
    ...rest,
  };
}

/** An UNAVAILABLE figure, as a failed source leaves one. */
export function unavailable(forceId: string, sourceId = 'src-a', code = 'UPSTREAM_TIMEOUT'): Figure {
  return figure(forceId, null, null, {
    sourceId,
    status: 'UNAVAILABLE',
    basis: null,
    reason: { code, message: 'the source did not answer in time' },
  });
}

/** A breakdown dated `date`. */
export function breakdown(
  forceId: string,
  date: string,
  extra: Partial<Breakdown> & { sourceId?: string } = {},
): Breakdown {
  const { sourceId = 'src-a', ...rest } = extra;
  return {
    forceId,
    dimension: 'YEAR_WENT_MISSING',
    status: 'REPORTED',
    complete: true,
    asAt: parseAsAt(date)!,
    provenance: {
      sourceId,
      title: sourceId,
      url: null,
      retrievedAt: '2018-02-01T00:00:00.000Z',
      simulated: false,
    },
    cells: [{ category: '2016', value: 1, status: 'REPORTED' }],
    ...rest,
  };
}

/** An entry as `entriesFor` would make it. */
export function entry(f: Force, fig: Figure | null, extra: Partial<ForceEntry> = {}): ForceEntry {
  const outcome =
    fig === null
      ? 'NO_FIGURE'
      : fig.status === 'SUPPRESSED'
        ? 'WITHHELD'
        : fig.status === 'REPORTED'
          ? 'REPORTED'
          : fig.status;
  return {
    force: f,
    outcome,
    figure: fig,
    latestOutsideWindow: null,
    stale: false,
    registered: null,
    ...extra,
  };
}

/** Every source equally trusted. */
export const flat = (): number => 0;
