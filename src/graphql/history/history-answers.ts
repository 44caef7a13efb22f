/**
 * What a series query answers, built from the archive and the sources' current word: a point per
 * period over some forces, each a summary with its coverage and the published totals of its period.
 * The resolvers (`history.resolver.ts`) only take arguments and call this.
 */
import { todayIso } from '../../domain/dates';
import type { PublishedTotal } from '../../domain/figure';
import type { Force } from '../../domain/force-registry';
import type { SeriesInterval } from '../../domain/series';
import { MAX_SERIES_POINTS, periodsBetween, seriesOf } from '../../domain/series';
import { WhereaboutsError } from '../../errors';
import { resolveKnownAt, resolveWindow } from '../args';
import type { RequestContext } from '../context';
import { selectionOf, viewContextFor } from '../known-at';
import { publishedTotalView, summaryView, UNITED_KINGDOM } from '../views';
import type { SeriesArgs } from './series.args';

/** The published totals a series over an area shows: the UK's for the national one, a nation's own for it. */
function publishedTotalsFor(scope: string, totals: readonly PublishedTotal[]): readonly PublishedTotal[] {
  if (scope === UNITED_KINGDOM) return totals;
  return totals.filter((t) => t.scope === scope);
}

/** Builds a series over `forces` named `name`, as the arguments ask. */
export async function seriesFor(
  ctx: RequestContext,
  forces: readonly Force[],
  name: string,
  asked: SeriesArgs,
) {
  const { service, nowMs } = ctx;
  // type-graphql leaves an argument the query did not give undefined: null stands for both.
  const args = {
    from: asked.from ?? null,
    to: asked.to ?? null,
    every: asked.every,
    windowDays: asked.windowDays ?? null,
    knownAt: asked.knownAt ?? null,
  };
  const windowDays = resolveWindow(args.windowDays, service.national.windowDays);
  const knownAt = resolveKnownAt(args.knownAt, nowMs);
  const today = todayIso(new Date(nowMs));
  if (args.to !== null && args.to > today)
    throw new WhereaboutsError(
      'INVALID_DATE',
      `to must not be in the future: got ${args.to}, today is ${today} (UTC)`,
    );
  const to = args.to;
  if (args.from !== null && to !== null && args.from > to)
    throw new WhereaboutsError('INVALID_DATE', `from (${args.from}) must not be after to (${to})`);
  const snapshot = await ctx.loaders.snapshot();
  // Without from or to, the series spans the headline figures there are: it opens on the latest day a
  // source gives a figure for, not on today, when nothing may be dated yet.
  const range =
    args.from === null || to === null ? await service.history.headlineRange(snapshot, knownAt, forces) : null;
  const from = args.from ?? range?.from ?? to ?? today;
  const end = to ?? (range && range.to >= from ? range.to : from);
  const periods = periodsBetween(from, end, args.every as SeriesInterval);
  if (periods === null)
    throw new WhereaboutsError(
      'BAD_USER_INPUT',
      `a series may have at most ${MAX_SERIES_POINTS} points: narrow from and to, or ask for QUARTER or YEAR`,
    );
  const selection = selectionOf(service, windowDays);
  const known = await service.history.figuresAt(
    snapshot,
    knownAt,
    forces,
    periods.map((p) => p.end),
    selection,
  );
  const points = seriesOf(forces, known.perDay, publishedTotalsFor(name, snapshot.publishedTotals), periods, {
    windowDays,
    registeredWindowDays: service.national.registeredWindowDays,
    priorityOf: service.priorityOf,
    staleSources: knownAt === null ? snapshot.staleSources : new Set(),
  });
  const view = viewContextFor(snapshot, knownAt, nowMs);
  return {
    name,
    from,
    to: end,
    every: args.every,
    windowDays,
    knownAt: knownAt === null ? null : new Date(knownAt).toISOString(),
    fromArchive: known.fromArchive,
    points: points.map((p) => ({
      ...summaryView(p.summary, view, p.publishedTotals.map(publishedTotalView), name),
      periodStart: p.period.start,
      gap: p.summary.coverage.reporting === 0,
    })),
  };
}
