import { LRUCache } from 'lru-cache';
import type { CodedBody } from './content-coding';
import type { Generation } from '../store/figure-service';

/** Longest a built response is served again (ms): `ageSeconds` in it may lag the clock by at most this. */
export const RESPONSE_CACHE_MAX_AGE_MS = 1000;

/** A response body built once and served as bytes. */
export interface BuiltBody {
  readonly body: Buffer;
}

/** A feed's built body, with its compressed forms and what its conditional-request headers need. */
export interface BuiltResponse extends BuiltBody {
  /** `body` and its compressed forms, each made once. */
  readonly coded: CodedBody;
  /** Strong validator of `body` as built (a coded form's ETag adds the coding: see `feedEtag`). */
  readonly etag: string;
  /** Epoch ms of the newest report behind the figures in it. */
  readonly lastModifiedMs: number;
}

interface Entry {
  readonly generation: Generation;
  readonly builtAt: number;
  readonly response: Promise<BuiltBody | null>;
}

/**
 * Pre-serialized responses of approved operations (the feeds and documents newsroom pollers and
 * dashboards hit all day), keyed by operation, variables and disclosure class. An entry belongs to the
 * snapshot generation it was built from and lives at most `RESPONSE_CACHE_MAX_AGE_MS`, so a changed
 * figure is never served from here, and ages are at most a second behind. Concurrent misses share one
 * build; a build that gives no response (an error result) is not kept.
 */
export class ResponseCache {
  private readonly entries: LRUCache<string, Entry>;

  constructor(
    private readonly now: () => number,
    options: { maxEntries?: number; maxAgeMs?: number } = {},
  ) {
    this.maxAgeMs = options.maxAgeMs ?? RESPONSE_CACHE_MAX_AGE_MS;
    this.entries = new LRUCache({ max: options.maxEntries ?? 500 });
  }

  private readonly maxAgeMs: number;

  /**
   * The response for `key` built from `generation`, building it with `build` when there is none. One
   * kind of response per key: keys are namespaced by their users (`feed|...`, `graphql|...`), so the type
   * a key's build gives is the type read back.
   */
  get<T extends BuiltBody>(
    key: string,
    generation: Generation,
    build: () => Promise<T | null>,
  ): Promise<T | null> {
    const now = this.now();
    const entry = this.entries.get(key);
    if (entry && entry.generation === generation && now - entry.builtAt < this.maxAgeMs)
      return entry.response as Promise<T | null>;
    const response = build().catch(() => null);
    const fresh: Entry = { generation, builtAt: now, response };
    this.entries.set(key, fresh);
    void response.then((r) => {
      if (r === null && this.entries.get(key) === fresh) this.entries.delete(key);
    });
    return response;
  }
}
