import { Ctx, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../context';
import { SourceStatusType } from './source-status.type';

@Resolver()
export class SourcesResolver {
  @Query(() => [SourceStatusType], {
    description: 'The status of each configured source, reading each once.',
  })
  async sources(@Ctx() ctx: RequestContext) {
    const snapshot = await ctx.loaders.snapshot();
    return ctx.service.sources.map((source, i) => {
      const read = snapshot.reads[i]!;
      const health = source.health();
      const c = source.config;
      const failing = health.lastError !== null;
      return {
        id: c.id,
        kind: c.kind,
        shape: c.shape,
        title: c.title,
        url: c.url,
        simulated: c.simulated,
        forces: [...source.forceIds],
        state: read.ok
          ? read.freshness === 'STALE'
            ? 'STALE'
            : 'OK'
          : read.error.code === 'SOURCE_NOT_LOADED'
            ? 'NOT_LOADED'
            : 'ERROR',
        freshness: read.ok ? read.freshness : null,
        retrievedAt: read.ok ? new Date(read.retrievedAt).toISOString() : null,
        ageSeconds: read.ok ? Math.max(0, Math.floor((ctx.nowMs - read.retrievedAt) / 1000)) : null,
        lastAttemptAt: health.lastAttemptAt,
        lastSuccessAt: health.lastSuccessAt,
        latencyMs: health.lastLatencyMs,
        error: read.ok ? (failing ? health.lastError : null) : read.error,
        breaker: source.breakerState(),
        items: read.ok
          ? read.report.figures.length + read.report.breakdowns.length + read.report.publishedTotals.length
          : 0,
        ttlSeconds: c.ttlSeconds,
        staleForSeconds: c.staleForSeconds,
      };
    });
  }
}
