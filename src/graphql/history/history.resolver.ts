import { Arg, Args, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import type { ArchivedFigure } from '../../archive/archive';
import type { Force } from '../../domain/force-registry';
import { WhereaboutsError } from '../../errors';
import type { RequestContext } from '../context';
import { MeasureEnum } from '../enums';
import { ForceType } from '../force/force.type';
import { figureView, UNITED_KINGDOM } from '../views';
import { viewContextFor } from '../known-at';
import { seriesFor } from './history-answers';
import { RevisionType } from './revision.type';
import { SeriesArgs } from './series.args';
import { SeriesType } from './series.type';

@Resolver()
export class SeriesResolver {
  @Query(() => SeriesType, {
    description:
      'The national total over time: a point at the end of each month, quarter or year, each with its total, ' +
      'its coverage (which forces are in it) and the published totals dated within it.',
  })
  nationalSeries(@Args(() => SeriesArgs) args: SeriesArgs, @Ctx() ctx: RequestContext) {
    return seriesFor(ctx, ctx.service.registry.all, UNITED_KINGDOM, args);
  }

  @Query(() => SeriesType, { description: "A region's total over time (see nationalSeries)." })
  regionSeries(
    @Arg('region') region: string,
    @Args(() => SeriesArgs) args: SeriesArgs,
    @Ctx() ctx: RequestContext,
  ) {
    const forces = areaForces(ctx, 'region', region);
    return seriesFor(ctx, forces, region, args);
  }

  @Query(() => SeriesType, { description: "A nation's total over time (see nationalSeries)." })
  nationSeries(
    @Arg('nation') nation: string,
    @Args(() => SeriesArgs) args: SeriesArgs,
    @Ctx() ctx: RequestContext,
  ) {
    const forces = areaForces(ctx, 'nation', nation);
    return seriesFor(ctx, forces, nation, args);
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
  series(@Root() force: Force, @Args(() => SeriesArgs) args: SeriesArgs, @Ctx() ctx: RequestContext) {
    return seriesFor(ctx, [force], force.name, args);
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
