import { Arg, Ctx, FieldResolver, ID, Int, Query, Resolver, Root } from 'type-graphql';
import type { Force } from '../../domain/force-registry';
import { NATIONS } from '../../domain/force-registry';
import { headlineOf } from '../../domain/breakdown-table';
import { protectBreakdowns } from '../../domain/disclosure';
import type { Breakdown, Figure } from '../../domain/figure';
import { entriesFor, isSummable } from '../../domain/national';
import {
  figuresBetween,
  selectBreakdowns,
  selectFigure,
  setAsideBeside,
  undatedFigures,
} from '../../domain/selection';
import { WhereaboutsError } from '../../errors';
import { resolveAsAt, resolveRange, resolveWindow } from '../args';
import { FigureType } from '../common/figure.type';
import type { RequestContext } from '../context';
import { DimensionEnum, MeasureEnum } from '../enums';
import { DateScalar } from '../scalars';
import { figureView } from '../views';
import { ForceFilterInput } from './force-filter.input';
import { ForceSnapshotType } from './force-snapshot.type';
import { ForceType } from './force.type';

/**
 * Applies disclosure control for every role but analyst: each breakdown is protected whole, against the
 * count it splits as published for the same date (`headlineOf`), exactly as in the national table, so a
 * force's breakdown looks the same wherever it is served.
 */
function protectedBreakdowns(
  breakdowns: Breakdown[],
  candidates: readonly Figure[],
  k: number | null,
): Breakdown[] {
  if (k === null) return breakdowns;
  return protectBreakdowns(breakdowns, (_forceId, breakdown) => headlineOf(breakdown, candidates), { k });
}

/** Most ids one filter may name (the registry has 45; a long list is a mistake or an attack). */
export const MAX_FILTER_IDS = 200;

@Resolver(() => ForceType)
export class ForceResolver {
  @Query(() => [ForceType], { description: 'Forces in the registry, sorted by id.' })
  forces(
    @Arg('filter', () => ForceFilterInput, { nullable: true }) filter: ForceFilterInput | null,
    @Ctx() ctx: RequestContext,
  ): Force[] {
    const { registry } = ctx.service;
    let forces = registry.all;
    if (filter?.ids) {
      if (filter.ids.length > MAX_FILTER_IDS) {
        throw new WhereaboutsError(
          'BAD_USER_INPUT',
          `filter.ids may name at most ${MAX_FILTER_IDS} forces; got ${filter.ids.length}`,
        );
      }
      const unknown = registry.unknownIds(filter.ids);
      if (unknown.length) {
        throw new WhereaboutsError(
          'UNKNOWN_FORCE',
          `unknown force id(s): ${unknown.slice(0, 20).join(', ')}; see the forces query for valid ids`,
          {
            unknownIds: unknown.slice(0, 20),
          },
        );
      }
      const wanted = new Set(filter.ids);
      forces = forces.filter((f) => wanted.has(f.id));
    }
    if (filter?.nation) {
      if (!(NATIONS as readonly string[]).includes(filter.nation)) {
        throw new WhereaboutsError('BAD_USER_INPUT', `filter.nation must be one of: ${NATIONS.join(', ')}`);
      }
      forces = forces.filter((f) => f.nation === filter.nation);
    }
    if (filter?.region) {
      const regions = [...new Set(registry.all.map((f) => f.region))].sort();
      if (!regions.includes(filter.region)) {
        throw new WhereaboutsError('BAD_USER_INPUT', `filter.region must be one of: ${regions.join(', ')}`);
      }
      forces = forces.filter((f) => f.region === filter.region);
    }
    return [...forces];
  }

  @Query(() => ForceType, {
    nullable: true,
    description: 'One force by id; null when there is no such force.',
  })
  force(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Force | null {
    return ctx.service.registry.get(id) ?? null;
  }

  @FieldResolver(() => ForceSnapshotType, {
    description: "The force's latest figures as at a date (default today).",
  })
  async latest(
    @Root() force: Force,
    @Arg('asAt', () => DateScalar, { nullable: true }) asAtArg: string | null,
    @Arg('windowDays', () => Int, { nullable: true }) windowArg: number | null,
    @Arg('dimension', () => DimensionEnum, {
      nullable: true,
      description: 'Only breakdowns by this dimension.',
    })
    dimension: string | null,
    @Ctx() ctx: RequestContext,
  ) {
    const { service, nowMs } = ctx;
    const asAt = resolveAsAt(asAtArg, nowMs);
    const windowDays = resolveWindow(windowArg, service.national.windowDays);
    const snapshot = await ctx.loaders.snapshot();
    const view = { snapshot, nowMs };
    const candidates = snapshot.figuresByForce.get(force.id) ?? [];
    const [entry] = entriesFor([force], snapshot.figuresByForce, {
      asAt,
      windowDays,
      registeredWindowDays: service.national.registeredWindowDays,
      priorityOf: service.priorityOf,
      staleSources: snapshot.staleSources,
    });
    const breaches = selectFigure(
      candidates,
      'BREACHES_CAUTIONED_OR_CONVICTED',
      asAt,
      windowDays,
      service.priorityOf,
    ).figure;
    const returned = selectFigure(
      candidates,
      'RETURNED_TO_CUSTODY',
      asAt,
      windowDays,
      service.priorityOf,
    ).figure;
    // The registered figure selected for rates, or (when the latest is not summable) the latest at all.
    const registeredFigure =
      entry!.registered ??
      selectFigure(candidates, 'REGISTERED', asAt, service.national.registeredWindowDays, service.priorityOf)
        .figure;
    // A lower bound is shown, but gives no rate.
    const head = isSummable(entry!.figure) ? entry!.figure.value : null;
    const registered = entry!.registered?.value ?? null;
    return {
      asAt,
      windowDays,
      outcome: entry!.outcome,
      unaccounted: figureView(entry!.figure, view),
      registered: figureView(registeredFigure, view),
      breachesCautionedOrConvicted: figureView(breaches, view),
      returnedToCustody: figureView(returned, view),
      setAside: [entry!.figure, registeredFigure, breaches, returned].flatMap((chosen) =>
        setAsideBeside(candidates, chosen, service.priorityOf).map((f) => figureView(f, view)!),
      ),
      breakdowns: protectedBreakdowns(
        selectBreakdowns(
          snapshot.breakdownsByForce.get(force.id) ?? [],
          asAt,
          windowDays,
          service.priorityOf,
          (dimension ?? undefined) as never,
        ),
        candidates,
        ctx.disclosureK,
      ),
      rates: {
        per1000Registered: head !== null && registered ? (head / registered) * 1000 : null,
        per100kPopulation:
          head !== null && force.population ? (head / force.population.value) * 100_000 : null,
      },
    };
  }

  @FieldResolver(() => [FigureType], {
    description:
      'Figures whose source gave no date for them (The Sun survey, a BBC Wales item): shown here only, ' +
      'never selected for a date, summed or charted. In the sources’ order.',
  })
  async undatedFigures(
    @Root() force: Force,
    @Arg('measure', () => MeasureEnum, { nullable: true, description: 'Only this measure.' })
    measure: string | null,
    @Ctx() ctx: RequestContext,
  ) {
    const snapshot = await ctx.loaders.snapshot();
    return undatedFigures(snapshot.figuresByForce.get(force.id) ?? [], (measure ?? undefined) as never).map(
      (f) => figureView(f, { snapshot, nowMs: ctx.nowMs }),
    );
  }

  @FieldResolver(() => [FigureType], {
    description: 'Every dated figure for a measure between two days, oldest first, from every source.',
  })
  async history(
    @Root() force: Force,
    @Arg('from', () => DateScalar, { nullable: true }) from: string | null,
    @Arg('to', () => DateScalar, { nullable: true }) to: string | null,
    @Arg('measure', () => MeasureEnum, { defaultValue: 'UNACCOUNTED' }) measure: string,
    @Ctx() ctx: RequestContext,
  ) {
    const [start, end] = resolveRange(from, to, ctx.nowMs);
    const snapshot = await ctx.loaders.snapshot();
    const figures = figuresBetween(
      snapshot.figuresByForce.get(force.id) ?? [],
      measure as never,
      start,
      end,
      ctx.service.priorityOf,
    );
    return figures.map((f) => figureView(f, { snapshot, nowMs: ctx.nowMs }));
  }
}
