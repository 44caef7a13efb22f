import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestContext } from './context';

/**
 * Adds `extensions.cacheStatus` to every response that read figures: whether the precomputed snapshot
 * was reused (`HIT`) or rebuilt (`BUILT`), how many sources are fresh, stale or unavailable, and which
 * tier answered each source when it was last read (L1, L2 or UPSTREAM).
 */
export function cacheStatusPlugin(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, response }) {
          const used = contextValue.loaders.used();
          if (!used || response.body.kind !== 'single') return;
          const { generation, hit } = used;
          const sources = { fresh: 0, stale: 0, unavailable: 0 };
          const tiers: Record<string, number> = { L1: 0, L2: 0, UPSTREAM: 0 };
          for (const read of generation.snapshot.reads) {
            if (!read.ok) sources.unavailable += 1;
            else if (read.freshness === 'STALE') sources.stale += 1;
            else sources.fresh += 1;
            if (read.origin in tiers) tiers[read.origin]! += 1;
          }
          const result = response.body.singleResult;
          result.extensions = {
            ...result.extensions,
            cacheStatus: { snapshot: hit ? 'HIT' : 'BUILT', sources, tiers },
          };
        },
      };
    },
  };
}
