import { Arg, Ctx, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import type { ArchivedFigure } from '../../archive/archive';
import type { Selection } from '../../archive/history';
import { todayIso } from '../../domain/dates';
import type { PublishedTotal } from '../../domain/figure';
import type { Force } from '../../domain/force-registry';
import { comparablePublishedTotals } from '../../domain/published';
import type { SeriesInterval } from '../../domain/series';
import { MAX_SERIES_POINTS, periodsBetween, seriesOf } from '../../domain/series';
import { WhereaboutsError } from '../../errors';
import type { Snapshot } from '../../store/snapshot';
import { resolveKnownAt, resolveWindow } from '../args';
import type { RequestContext } from '../context';
import { MeasureEnum } from '../enums';
import { ForceType } from '../force/force.type';
import { DateScalar, DateTimeScalar } from '../scalars';
import type { ViewContext } from '../views';
import { figureView, publishedTotalView, summaryView, UNITED_KINGDOM } from '../views';
import { RevisionType } from './revision.type';
import { SeriesIntervalEnum, SeriesType } from './series.type';

/** What every series query is asked. */
interface SeriesArgs {
  readonly from: string | null;
  readonly to: string | null;
  readonly every: string;
  readonly windowDays: number | null;
  readonly knownAt: string | null;
}

/**
 * Figures as known now carry their sources' current freshness; figures as known at a past moment are
 * history, which is neither fresh nor stale: their views are made against no stale source.
 */
function viewContextFor(snapshot: Snapshot, knownAt: number | null, nowMs: number): ViewContext {
  return knownAt === null
    ? { snapshot, nowMs }
    : { snapshot: { ...snapshot, staleSources: new Set() }, nowMs };
}

/** How the gateway chooses figures, for the archive's preselection. */
function selectionOf(service: RequestContext['service'], windowDays: number): Selection {
  return {
    windowDays,
    registeredWindowDays: service.national.registeredWindowDays,
    priorityOf: service.priorityOf,
    priorities: service.priorities,
  };
}

/** The published totals a series over an area shows: the UK's for the national one, a nation's own for it. */
function publishedTotalsFor(scope: string, totals: readonly PublishedTotal[]): readonly PublishedTotal[] {
  if (scope === UNITED_KINGDOM) return totals;
  return totals.filter((t) => t.scope === scope);
}

/** Builds a series over `forces` named `name`, as the arguments ask. */
async function seriesFor(ctx: RequestContext, forces: readonly Force[], name: string, asked: SeriesArgs) {
  const { service, nowMs } = ctx;
  // type-graphql leaves an argument the query did not give undefined: null stands for both.
  const args = { ...asked, from: asked.from ?? null, to: asked.to ?? null, knownAt: asked.knownAt ?? null };
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

const FROM = { nullable: true, description: 'First day (default: the earliest headline figure known).' };
const TO = {
  nullable: true,
  description: 'Last day, not in the future (default: the latest headline figure known).',
};
const EVERY = { defaultValue: 'MONTH', description: 'Spacing of the points (default MONTH).' };
const KNOWN_AT = {
  nullable: true,
  description:
    'Answer as the gateway knew it at this instant (from the archive), so that a published number can be ' +
    'reproduced later. Default: what is known now.',
};

@Resolver()
export class SeriesResolver {
  @Query(() => SeriesType, {
    description:
      'The national total over time: a point at the end of each month, quarter or year, each with its total, ' +
      'its coverage (which forces are in it) and the published totals dated within it.',
  })
  nationalSeries(
    @Arg('from', () => DateScalar, FROM) from: string | null,
    @Arg('to', () => DateScalar, TO) to: string | null,
    @Arg('every', () => SeriesIntervalEnum, EVERY) every: string,
    @Arg('windowDays', () => Int, { nullable: true, description: 'Default 90.' }) windowDays: number | null,
    @Arg('knownAt', () => DateTimeScalar, KNOWN_AT) knownAt: string | null,
    @Ctx() ctx: RequestContext,
  ) {
    return seriesFor(ctx, ctx.service.registry.all, UNITED_KINGDOM, { from, to, every, windowDays, knownAt });
  }

  @Query(() => SeriesType, { description: "A region's total over time (see nationalSeries)." })
  regionSeries(
    @Arg('region') region: string,
    @Arg('from', () => DateScalar, FROM) from: string | null,
    @Arg('to', () => DateScalar, TO) to: string | null,
    @Arg('every', () => SeriesIntervalEnum, EVERY) every: string,
    @Arg('windowDays', () => Int, { nullable: true }) windowDays: number | null,
    @Arg('knownAt', () => DateTimeScalar, KNOWN_AT) knownAt: string | null,
    @Ctx() ctx: RequestContext,
  ) {
    const forces = areaForces(ctx, 'region', region);
    return seriesFor(ctx, forces, region, { from, to, every, windowDays, knownAt });
  }

  @Query(() => SeriesType, { description: "A nation's total over time (see nationalSeries)." })
  nationSeries(
    @Arg('nation') nation: string,
    @Arg('from', () => DateScalar, FROM) from: string | null,
    @Arg('to', () => DateScalar, TO) to: string | null,
    @Arg('every', () => SeriesIntervalEnum, EVERY) every: string,
    @Arg('windowDays', () => Int, { nullable: true }) windowDays: number | null,
    @Arg('knownAt', () => DateTimeScalar, KNOWN_AT) knownAt: string | null,
    @Ctx() ctx: RequestContext,
  ) {
    const forces = areaForces(ctx, 'nation', nation);
    return seriesFor(ctx, forces, nation, { from, to, every, windowDays, knownAt });
  }
}

/** The forces of a region or nation; an unknown name is refused with the names there are. */
function areaForces(ctx: RequestContext, kind: 'region' | 'nation', name: string): Force[] {
  const all = ctx.service.registry.all;
  const forces = all.filter((f) => f[kind] === name);
  if (forces.length === 0) {
    const names = [...new Set(all.map((f) => f[kind]))].sort();
    throw new WhereaboutsError('BAD_USER_INPUT', `${kind} must be one of: ${names.join(', ')}`);
  }
  return forces;
}

@Resolver(() => ForceType)
export class ForceHistoryResolver {
  @FieldResolver(() => SeriesType, { description: "The force's own figure over time (see nationalSeries)." })
  series(
    @Root() force: Force,
    @Arg('from', () => DateScalar, FROM) from: string | null,
    @Arg('to', () => DateScalar, TO) to: string | null,
    @Arg('every', () => SeriesIntervalEnum, EVERY) every: string,
    @Arg('windowDays', () => Int, { nullable: true }) windowDays: number | null,
    @Arg('knownAt', () => DateTimeScalar, KNOWN_AT) knownAt: string | null,
    @Ctx() ctx: RequestContext,
  ) {
    return seriesFor(ctx, [force], force.name, { from, to, every, windowDays, knownAt });
  }

  @FieldResolver(() => [RevisionType], {
    description:
      'Every version of every figure the gateway has received for this force, from the archive: when a source ' +
      'revises a figure it gave before (same measure, basis and date), both versions are here, oldest first.',
  })
  async revisions(
    @Root() force: Force,
    @Arg('measure', () => MeasureEnum, { nullable: true }) measure: string | null,
    @Ctx() ctx: RequestContext,
  ) {
    const versions = await ctx.service.history.revisions(force.id, (measure ?? undefined) as never);
    const snapshot = await ctx.loaders.snapshot();
    const view = viewContextFor(snapshot, 0, ctx.nowMs);
    return versions.map((v: ArchivedFigure) => ({
      figure: figureView(v.figure, view),
      firstSeen: new Date(v.firstSeen).toISOString(),
      lastSeen: new Date(v.lastSeen).toISOString(),
      supersededAt: v.supersededAt === null ? null : new Date(v.supersededAt).toISOString(),
    }));
  }
}
