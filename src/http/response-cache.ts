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

/** How many entries a `ResponseCache` holds, and (optionally) how many bytes of keys and bodies. */
export interface ResponseCacheOptions {
  /** @default 500 */
  readonly maxEntries?: number;
  /** @default RESPONSE_CACHE_MAX_AGE_MS */
  readonly maxAgeMs?: number;
  /**
   * Most bytes of keys and bodies held, for caches whose keys and bodies have no fixed size (analysts'
   * own documents); a response larger than an eighth of it is served but not kept. Unbounded by default:
   * approved operations are a fixed, small set.
   */
  readonly maxBytes?: number;
}

/**
 * Pre-serialized responses (the feeds and approved documents newsroom pollers and dashboards hit all day,
 * and analysts' repeated documents), keyed by what determines the answer: operation or document,
 * variables and disclosure class. An entry belongs to the snapshot generation it was built from and lives
 * at most `RESPONSE_CACHE_MAX_AGE_MS`, so a changed figure is never served from here, and ages are at
 * most a second behind. Concurrent misses share one build; a build that gives no response (an error
 * result) is not kept.
 */
export class ResponseCache {
  private readonly entries: LRUCache<string, Entry>;
  private readonly maxAgeMs: number;
  /** Largest key and body kept, when the cache is bounded in bytes. */
  private readonly maxEntryBytes: number | null;

  constructor(
    private readonly now: () => number,
    options: ResponseCacheOptions = {},
  ) {
    this.maxAgeMs = options.maxAgeMs ?? RESPONSE_CACHE_MAX_AGE_MS;
    const max = options.maxEntries ?? 500;
    this.maxEntryBytes = options.maxBytes === undefined ? null : Math.floor(options.maxBytes / 8);
    // A bounded cache counts an entry as its key until its body is built, then as key and body.
    this.entries =
      options.maxBytes === undefined
        ? new LRUCache({ max })
        : new LRUCache({ max, maxSize: options.maxBytes, sizeCalculation: (_entry, key) => key.length });
  }

  /**
   * The response for `key` built from `generation`, building it with `build` when there is none. One
   * kind of response per key: keys are namespaced by their users (`feed|...`, `graphql|...`), so the type
   * a key's build gives is the type read back.
   */
  get<T extends BuiltBody>(
    key: string,
    generation: Generation,
    build: () => Promise<T | null>,
    /** False to build afresh whatever is kept (a client's `Cache-Control: no-cache`); the new one is kept. */
    reuse = true,
  ): Promise<T | null> {
    const now = this.now();
    const entry = reuse ? this.entries.get(key) : undefined;
    if (entry && entry.generation === generation && now - entry.builtAt < this.maxAgeMs)
      return entry.response as Promise<T | null>;
    const response = build().catch(() => null);
    const fresh: Entry = { generation, builtAt: now, response };
    const { maxEntryBytes } = this;
    if (maxEntryBytes !== null && key.length > maxEntryBytes) return response;
    this.entries.set(key, fresh);
    void response.then((r) => {
      if (this.entries.peek(key) !== fresh) return;
      if (r === null) this.entries.delete(key);
      else if (maxEntryBytes !== null) {
        const size = key.length + r.body.length;
        if (size > maxEntryBytes) this.entries.delete(key);
        else this.entries.set(key, fresh, { size });
      }
    });
    return response;
  }
}
