import { Arg, Ctx, Int, Query, Resolver } from 'type-graphql';
import type { PublishedTotal } from '../../domain/figure';
import type { ForceEntry } from '../../domain/national';
import { entriesFor, summarise, summariseBy } from '../../domain/national';
import { comparablePublishedTotals } from '../../domain/published';
import { resolveAsAt, resolveWindow } from '../args';
import { MemoKey } from '../../store/generation-memo';
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

/** A view made in one clock second: views hold ages, which change once a second (see `figureView`). */
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
 * aggregate): the warm path reuses it, whatever the number of sources, until a figure changes.
 */
async function entriesAsAt(ctx: RequestContext, asAtArg: string | null, windowArg: number | null) {
  const { service, nowMs } = ctx;
  const asAt = resolveAsAt(asAtArg, nowMs);
  const windowDays = resolveWindow(windowArg, service.national.windowDays);
  const generation = await ctx.loaders.generation();
  const { snapshot, memo: generationMemo } = generation;
  const asked = `${asAt}|${windowDays}`;
  let entries = generationMemo.get(ENTRIES, asked);
  if (!entries) {
    entries = entriesFor(service.registry.all, snapshot.figuresByForce, {
      asAt,
      windowDays,
      registeredWindowDays: service.national.registeredWindowDays,
      priorityOf: service.priorityOf,
      staleSources: snapshot.staleSources,
    });
    generationMemo.set(ENTRIES, entries, asked);
  }
  // Each view is made again in a new clock second, replacing the last one rather than adding to the
  // generation's memo.
  const second = viewSecond(nowMs);
  const view = { snapshot, nowMs };
  const memo = <T>(key: MemoKey<OfSecond<T>>, make: () => T): T => {
    let made = generationMemo.get(key, asked);
    if (!made || made.second !== second) made = generationMemo.set(key, { second, value: make() }, asked);
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
    return memo(NATIONAL_VIEW, () =>
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
    return memo(REGIONS_VIEW, () =>
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
    return memo(NATIONS_VIEW, () =>
      summariseBy(entries, (f) => f.nation, asAt, windowDays).map(({ key, summary }) =>
        summaryView(summary, view, [], key),
      ),
    );
  }
}
