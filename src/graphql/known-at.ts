/**
 * Answers as known at a past moment, shared by the national and history queries: the view context of
 * history (neither fresh nor stale), the selection the archive preselects figures by, and the national
 * summary as known at a moment.
 */
import type { Selection } from '../archive/history';
import { comparablePublishedTotals } from '../domain/published';
import { seriesOf } from '../domain/series';
import type { Snapshot } from '../store/snapshot';
import type { RequestContext } from './context';
import type { ViewContext } from './views';
import { publishedTotalView, summaryView, UNITED_KINGDOM } from './views';

/**
 * Figures as known now carry their sources' current freshness; figures as known at a past moment are
 * history, which is neither fresh nor stale: their views are made against no stale source.
 */
export function viewContextFor(snapshot: Snapshot, knownAt: number | null, nowMs: number): ViewContext {
  return knownAt === null
    ? { snapshot, nowMs }
    : { snapshot: { ...snapshot, staleSources: new Set() }, nowMs };
}

/** How the gateway chooses figures, for the archive's preselection. */
export function selectionOf(service: RequestContext['service'], windowDays: number): Selection {
  return {
    windowDays,
    registeredWindowDays: service.national.registeredWindowDays,
    priorityOf: service.priorityOf,
    priorities: service.priorities,
  };
}

/** The national summary as known at a past moment, from the archive (see `NationalResolver.national`). */
export async function nationalKnownAt(
  ctx: RequestContext,
  asAt: string,
  windowDays: number,
  knownAt: number,
) {
  const { service, nowMs } = ctx;
  const snapshot = await ctx.loaders.snapshot();
  const forces = service.registry.all;
  const known = await service.history.figuresAt(
    snapshot,
    knownAt,
    forces,
    [asAt],
    selectionOf(service, windowDays),
  );
  const [point] = seriesOf(forces, known.perDay, [], [{ start: asAt, end: asAt }], {
    windowDays,
    registeredWindowDays: service.national.registeredWindowDays,
    priorityOf: service.priorityOf,
    staleSources: new Set(),
  });
  return summaryView(
    point!.summary,
    viewContextFor(snapshot, knownAt, nowMs),
    comparablePublishedTotals(snapshot.publishedTotals, asAt, windowDays).map(publishedTotalView),
    UNITED_KINGDOM,
  );
}
