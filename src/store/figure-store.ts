import { LRUCache } from 'lru-cache';
import type { SourceReport } from '../domain/figure';

/** A source's report as stored, with when it was fetched. */
export interface StoredReport {
  readonly report: SourceReport;
  /** Epoch milliseconds of the successful fetch. */
  readonly retrievedAt: number;
}

/**
 * Where fetched reports are kept between requests. The embedded default keeps them in process
 * (`MemoryFigureStore`); a Redis tier slots in behind the same interface.
 * Implementations must fail open: a store error is a miss, never a failed request.
 */
export interface FigureStore {
  get(sourceId: string): Promise<StoredReport | undefined>;
  getMany(sourceIds: readonly string[]): Promise<Array<StoredReport | undefined>>;
  /** Keeps `entry` for at most `keepMs` (after which it is useless even as a stale fallback). */
  set(sourceId: string, entry: StoredReport, keepMs: number): Promise<void>;
  delete(sourceId: string): Promise<void>;
}

/** In-process store on lru-cache: bounded in entries, each entry expiring when it is no use any more. */
export class MemoryFigureStore implements FigureStore {
  private readonly cache: LRUCache<string, StoredReport>;

  constructor(options: { maxEntries?: number } = {}) {
    this.cache = new LRUCache<string, StoredReport>({ max: options.maxEntries ?? 10_000 });
  }

  async get(sourceId: string): Promise<StoredReport | undefined> {
    return this.cache.get(sourceId);
  }

  async getMany(sourceIds: readonly string[]): Promise<Array<StoredReport | undefined>> {
    return sourceIds.map((id) => this.cache.get(id));
  }

  async set(sourceId: string, entry: StoredReport, keepMs: number): Promise<void> {
    this.cache.set(sourceId, entry, { ttl: Math.max(1, Math.ceil(keepMs)) });
  }

  async delete(sourceId: string): Promise<void> {
    this.cache.delete(sourceId);
  }
}
