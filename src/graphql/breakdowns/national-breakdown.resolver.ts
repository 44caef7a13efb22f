import { Arg, Ctx, Int, Query, Resolver } from 'type-graphql';
import { headlineOf } from '../../domain/breakdown-table';
import type { Dimension } from '../../domain/figure';
import { selectBreakdowns } from '../../domain/selection';
import type { AuditedTable } from '../../disclosure/audited-table';
import { auditedBreakdownTable } from '../../disclosure/audited-table';
import { MemoKey } from '../../store/generation-memo';
import { resolveAsAt, resolveWindow } from '../args';
import type { RequestContext } from '../context';
import { DimensionEnum } from '../enums';
import { DateScalar } from '../scalars';
import { NationalBreakdownType } from './national-breakdown.type';

/**
 * Audited tables, per snapshot generation and (date, window, dimension, threshold): the audit runs once
 * per generation, and every later request (and the feed built from it) reuses the result. The promise is
 * kept, so concurrent first requests share one audit.
 */
const TABLES = new MemoKey<Promise<AuditedTable>>('audited national breakdown table');

@Resolver()
export class NationalBreakdownResolver {
  @Query(() => NationalBreakdownType, {
    description:
      'A breakdown across every force as at a date (default today): each force’s latest breakdown by the ' +
      'dimension within the window, under disclosure control for every role but analyst, with column totals ' +
      'over the shown forces and the audit that proves no suppressed cell can be worked out.',
  })
  async nationalBreakdown(
    @Arg('dimension', () => DimensionEnum) dimension: string,
    @Arg('asAt', () => DateScalar, { nullable: true }) asAtArg: string | null,
    @Arg('windowDays', () => Int, { nullable: true, description: 'Default 90.' }) windowArg: number | null,
    @Ctx() ctx: RequestContext,
  ) {
    const { service, nowMs, disclosureK } = ctx;
    const asAt = resolveAsAt(asAtArg, nowMs);
    const windowDays = resolveWindow(windowArg, service.national.windowDays);
    const { snapshot, memo } = await ctx.loaders.generation();
    const asked = `${asAt}|${windowDays}|${dimension}|${disclosureK ?? 'all'}`;
    let made = memo.get(TABLES, asked);
    if (!made) {
      const forces = service.registry.all;
      const inputs = forces.map((force) => {
        const [breakdown] = selectBreakdowns(
          snapshot.breakdownsByForce.get(force.id) ?? [],
          asAt,
          windowDays,
          service.priorityOf,
          dimension as Dimension,
        );
        const candidates = snapshot.figuresByForce.get(force.id) ?? [];
        return {
          forceId: force.id,
          breakdown: breakdown ?? null,
          headline: breakdown ? headlineOf(breakdown, candidates) : null,
        };
      });
      made = memo.set(TABLES, auditedBreakdownTable(dimension as Dimension, inputs, disclosureK), asked);
    }
    const { table, audit } = await made;
    return {
      dimension,
      asAt,
      windowDays,
      disclosureK,
      categories: table.categories,
      rows: table.rows.map((row) => ({
        force: service.registry.get(row.forceId)!,
        disclosure: row.disclosure,
        headline: row.headline,
        breakdown: row.breakdown,
      })),
      columnTotals: table.columnTotals,
      coverage: table.coverage,
      audit: audit && { ...audit, withdrawnTotals: [...audit.withdrawnTotals] },
    };
  }
}
