import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestLoaders } from '../store/figure-service';
import type { RequestContext } from './context';

/** `extensions.cacheStatus` of a response. */
export interface CacheStatus {
  readonly snapshot: 'HIT' | 'BUILT';
  readonly sources: { fresh: number; stale: number; unavailable: number };
  readonly tiers: Record<string, number>;
}

/**
 * Whether the precomputed snapshot was reused (`HIT`) or rebuilt (`BUILT`), how many sources are fresh,
 * stale or unavailable, and which tier answered each source when it was last read (L1, L2 or UPSTREAM);
 * null when the request read no figures.
 */
export function cacheStatusOf(loaders: RequestLoaders): CacheStatus | null {
  const used = loaders.used();
  if (!used) return null;
  const { generation, hit } = used;
  const sources = { fresh: 0, stale: 0, unavailable: 0 };
  const tiers: Record<string, number> = { L1: 0, L2: 0, UPSTREAM: 0 };
  for (const read of generation.snapshot.reads) {
    if (!read.ok) sources.unavailable += 1;
    else if (read.freshness === 'STALE') sources.stale += 1;
    else sources.fresh += 1;
    if (read.origin in tiers) tiers[read.origin]! += 1;
  }
  return { snapshot: hit ? 'HIT' : 'BUILT', sources, tiers };
}

/**
 * A successful result's data as Apollo sends it with this plugin (`extensions.cacheStatus` when the
 * request read figures), for results made outside Apollo (compiled analysts' documents, response-cache builds).
 */
export function withCacheStatus<D>(
  data: D,
  loaders: RequestLoaders,
): { data: D; extensions?: { cacheStatus: CacheStatus } } {
  const cacheStatus = cacheStatusOf(loaders);
  return cacheStatus ? { data, extensions: { cacheStatus } } : { data };
}

/** Adds `extensions.cacheStatus` (see `cacheStatusOf`) to every response that read figures. */
export function cacheStatusPlugin(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, response }) {
          const cacheStatus = cacheStatusOf(contextValue.loaders);
          if (!cacheStatus || response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          result.extensions = { ...result.extensions, cacheStatus };
        },
      };
    },
  };
}
