import { Arg, Ctx, Int, Query, Resolver } from 'type-graphql';
import type { PublishedTotal } from '../../domain/figure';
import type { ForceEntry } from '../../domain/national';
import { entriesFor, summarise, summariseBy } from '../../domain/national';
import { comparablePublishedTotals } from '../../domain/published';
import { resolveAsAt, resolveWindow } from '../args';
import type { RequestContext } from '../context';
import { DateScalar } from '../scalars';
import { summaryView, viewSecond } from '../views';
import { SummaryType } from './summary.type';

/** The name of the national summary. */
export const UNITED_KINGDOM = 'United Kingdom';

/** A published total as the API shows it. */
export function publishedTotalView(total: PublishedTotal) {
  return { ...total, source: total.provenance };
}

/**
 * Each force's entry as at a date, computed once per snapshot generation and date (a precomputed
 * aggregate): the warm path reuses it, whatever the number of sources, until a figure changes.
 */
async function entriesAsAt(ctx: RequestContext, asAtArg: string | null, windowArg: number | null) {
  const { service, nowMs } = ctx;
  const asAt = resolveAsAt(asAtArg, nowMs);
  const windowDays = resolveWindow(windowArg, service.national.windowDays);
  const generation = await ctx.loaders.generation();
  const { snapshot, derived } = generation;
  const key = `entries|${asAt}|${windowDays}`;
  let entries = derived.get(key) as ForceEntry[] | undefined;
  if (!entries) {
    entries = entriesFor(service.registry.all, snapshot.figuresByForce, {
      asAt,
      windowDays,
      registeredWindowDays: service.national.registeredWindowDays,
      priorityOf: service.priorityOf,
      staleSources: snapshot.staleSources,
    });
    derived.set(key, entries);
  }
  // Views hold ages, which change once a second: each is made again in a new clock second (see
  // `figureView`), replacing the last one rather than adding to the generation's memo.
  const second = viewSecond(nowMs);
  const view = { snapshot, nowMs };
  const memo = <T>(name: string, make: () => T): T => {
    const k = `${name}|${asAt}|${windowDays}`;
    let made = derived.get(k) as { second: number; value: T } | undefined;
    if (!made || made.second !== second) derived.set(k, (made = { second, value: make() }));
    return made.value;
  };
  return { asAt, windowDays, snapshot, entries, memo, view };
}

@Resolver()
export class NationalResolver {
  @Query(() => SummaryType, {
    description:
      'The national total as at a date (default today): for each force, its latest figure no older than the window; ' +
      'the sum of REPORTED figures, always with its coverage, and published totals beside it.',
  })
  async national(
    @Arg('asAt', () => DateScalar, { nullable: true }) asAtArg: string | null,
    @Arg('windowDays', () => Int, { nullable: true, description: 'Default 90.' }) windowArg: number | null,
    @Ctx() ctx: RequestContext,
  ) {
    const { asAt, windowDays, snapshot, entries, memo, view } = await entriesAsAt(ctx, asAtArg, windowArg);
    // The whole view is derived once per snapshot, date, window and clock second.
    return memo('national-view', () =>
      summaryView(
        summarise(entries, asAt, windowDays),
        view,
        comparablePublishedTotals(snapshot.publishedTotals, asAt, windowDays).map(publishedTotalView),
        UNITED_KINGDOM,
      ),
    );
  }

  @Query(() => [SummaryType], { description: 'The total per region, each with its coverage.' })
  async regions(
    @Arg('asAt', () => DateScalar, { nullable: true }) asAtArg: string | null,
    @Arg('windowDays', () => Int, { nullable: true }) windowArg: number | null,
    @Ctx() ctx: RequestContext,
  ) {
    const { asAt, windowDays, entries, memo, view } = await entriesAsAt(ctx, asAtArg, windowArg);
    return memo('regions-view', () =>
      summariseBy(entries, (f) => f.region, asAt, windowDays).map(({ key, summary }) =>
        summaryView(summary, view, [], key),
      ),
    );
  }

  @Query(() => [SummaryType], { description: 'The total per nation, each with its coverage.' })
  async nations(
    @Arg('asAt', () => DateScalar, { nullable: true }) asAtArg: string | null,
    @Arg('windowDays', () => Int, { nullable: true }) windowArg: number | null,
    @Ctx() ctx: RequestContext,
  ) {
    const { asAt, windowDays, entries, memo, view } = await entriesAsAt(ctx, asAtArg, windowArg);
    return memo('nations-view', () =>
      summariseBy(entries, (f) => f.nation, asAt, windowDays).map(({ key, summary }) =>
        summaryView(summary, view, [], key),
      ),
    );
  }
}
