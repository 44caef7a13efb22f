import { Arg, Ctx, Int, Query, Resolver } from 'type-graphql';
import type { Force } from '../../domain/force-registry';
import type { ForceEntry } from '../../domain/national';
import { entriesFor, summarise, summariseBy } from '../../domain/national';
import { comparablePublishedTotals } from '../../domain/published';
import { resolveAsAt, resolveKnownAt, resolveWindow } from '../args';
import { MemoKey } from '../../store/generation-memo';
import type { RequestContext } from '../context';
import { nationalKnownAt } from '../known-at';
import { DateScalar, DateTimeScalar } from '../scalars';
import { publishedTotalView, summaryView, UNITED_KINGDOM } from '../views';
import { SummaryType } from './summary.type';

/** A value made in one clock second (see `entriesAsAt`). */
interface OfSecond<T> {
  readonly second: number;
  readonly value: T;
}

type SummaryView = ReturnType<typeof summaryView>;

/** What the national queries keep per generation, each per date and window. */
const ENTRIES = new MemoKey<ForceEntry[]>("each force's entry");
const NATIONAL_VIEW = new MemoKey<OfSecond<SummaryView>>('national view');
const REGIONS_VIEW = new MemoKey<OfSecond<SummaryView[]>>('regions view');
const NATIONS_VIEW = new MemoKey<OfSecond<SummaryView[]>>('nations view');

/**
 * Each force's entry as at a date, computed once per snapshot generation and date (a precomputed
 * aggregate): the warm path reuses it, whatever the number of sources, until a figure changes. With it,
 * `perSecond`, which keeps a view made from the entries for the clock second, and the `view` context to
 * make it with.
 */
async function entriesAsAt(ctx: RequestContext, asAtArg: string | null, windowArg: number | null) {
  const { service, nowMs } = ctx;
  const asAt = resolveAsAt(asAtArg, nowMs);
  const windowDays = resolveWindow(windowArg, service.national.windowDays);
  const generation = await ctx.loaders.generation();
  const { snapshot, memo } = generation;
  const asked = `${asAt}|${windowDays}`;
  let entries = memo.get(ENTRIES, asked);
  if (!entries) {
    entries = entriesFor(service.registry.all, snapshot.figuresByForce, {
      asAt,
      windowDays,
      registeredWindowDays: service.national.registeredWindowDays,
      priorityOf: service.priorityOf,
      staleSources: snapshot.staleSources,
    });
    memo.set(ENTRIES, entries, asked);
  }
  // A summary's view is kept for the clock second it was made in, with ages as at the start of that
  // second (at most a second behind, as in the pre-serialized responses), and made again in the next,
  // replacing the last: made per request it cost an analyst's national query about 16 % more CPU (45
  // forces, A/B bench of issue 17).
  const second = Math.floor(nowMs / 1000);
  const view = { snapshot, nowMs: second * 1000 };
  const perSecond = <T>(key: MemoKey<OfSecond<T>>, make: () => T): T => {
    let made = memo.get(key, asked);
    if (!made || made.second !== second) made = memo.set(key, { second, value: make() }, asked);
    return made.value;
  };
  return { asAt, windowDays, snapshot, entries, perSecond, view };
}

/** The summary of each group of forces (each region, or each nation), kept per second under `kept`. */
async function summariesBy(
  kept: MemoKey<OfSecond<SummaryView[]>>,
  groupOf: (force: Force) => string,
  ctx: RequestContext,
  asAtArg: string | null,
  windowArg: number | null,
): Promise<SummaryView[]> {
  const { asAt, windowDays, entries, perSecond, view } = await entriesAsAt(ctx, asAtArg, windowArg);
  return perSecond(kept, () =>
    summariseBy(entries, groupOf, asAt, windowDays).map(({ key, summary }) =>
      summaryView(summary, view, [], key),
    ),
  );
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
    @Arg('knownAt', () => DateTimeScalar, {
      nullable: true,
      description:
        'Answer as the gateway would have answered at this instant (from the archive), so that a published ' +
        "story's number can be reproduced later. Default: now.",
    })
    knownAtArg: string | null,
    @Ctx() ctx: RequestContext,
  ) {
    const knownAt = resolveKnownAt(knownAtArg, ctx.nowMs);
    if (knownAt !== null)
      return nationalKnownAt(
        ctx,
        resolveAsAt(asAtArg, ctx.nowMs),
        resolveWindow(windowArg, ctx.service.national.windowDays),
        knownAt,
      );
    const { asAt, windowDays, snapshot, entries, perSecond, view } = await entriesAsAt(
      ctx,
      asAtArg,
      windowArg,
    );
    return perSecond(NATIONAL_VIEW, () =>
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
    return summariesBy(REGIONS_VIEW, (force) => force.region, ctx, asAtArg, windowArg);
  }

  @Query(() => [SummaryType], { description: 'The total per nation, each with its coverage.' })
  async nations(
    @Arg('asAt', () => DateScalar, { nullable: true }) asAtArg: string | null,
    @Arg('windowDays', () => Int, { nullable: true }) windowArg: number | null,
    @Ctx() ctx: RequestContext,
  ) {
    return summariesBy(NATIONS_VIEW, (force) => force.nation, ctx, asAtArg, windowArg);
  }
}
