import { Arg, Ctx, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../context';
import { publishedTotalView } from '../views';
import { PublishedTotalType } from './published-total.type';

@Resolver()
export class PublishedResolver {
  @Query(() => [PublishedTotalType], {
    description: 'Every national total the configured sources publish, newest first (undated last).',
  })
  async publishedTotals(
    @Arg('scope', () => String, { nullable: true, description: 'Only totals of this scope, e.g. "UK".' })
    scope: string | null | undefined,
    @Ctx() ctx: RequestContext,
  ) {
    const snapshot = await ctx.loaders.snapshot();
    return (
      snapshot.publishedTotals
        // An omitted argument arrives as undefined, a null one as null: both mean every scope (issue 18:
        // `scope === null` alone answered [] to a query without it).
        .filter((t) => scope === null || scope === undefined || t.scope === scope)
        .slice()
        .sort((a, b) => (b.asAt?.start ?? '').localeCompare(a.asAt?.start ?? ''))
        .map(publishedTotalView)
    );
  }
}
