import type { SourceReport } from '../domain/figure';
import type { SourceErrorCode } from '../errors';
import { SourceError } from '../errors';
import type { Source } from '../sources/source';
import type { FigureStore, StoredReport } from './figure-store';

/** How fresh a served report is. */
export type Freshness = 'FRESH' | 'STALE';

/** What reading a source gives: a report with its freshness, or why there is none. */
export type SourceRead =
  | {
      readonly ok: true;
      readonly sourceId: string;
      readonly report: SourceReport;
      readonly retrievedAt: number;
      readonly freshness: Freshness;
      /** Why a stale report is being served, if it is. */
      readonly staleReason: { readonly code: SourceErrorCode; readonly message: string } | null;
    }
  | {
      readonly ok: false;
      readonly sourceId: string;
      readonly error: { readonly code: SourceErrorCode; readonly message: string };
    };

/** Options for a reader. */
export interface SourceReaderOptions {
  readonly store: FigureStore;
  /** Clock in epoch ms (tests control it). */
  readonly now?: () => number;
  /** Called with background refresh failures (already recorded in source health). */
  readonly onBackgroundError?: (sourceId: string, error: unknown) => void;
}

/**
 * Reads sources through the store with the gateway's cache semantics, per source:
 * - within `ttl` the stored report is served `FRESH`;
 * - after `ttl` it is served `STALE` while one background refresh runs (stale-while-revalidate);
 * - while refreshes fail it stays `STALE` until `staleFor` after the ttl ends (stale-if-error);
 * - after that, or with nothing stored, a read waits for a fetch; if that fails the read is an error.
 * Concurrent reads of one source share one upstream fetch (single-flight, per process).
 */
export class SourceReader {
  private readonly inFlight = new Map<string, Promise<StoredReport>>();
  private readonly lastFailure = new Map<string, SourceError>();
  private readonly now: () => number;

  constructor(
    private readonly sources: ReadonlyMap<string, Source>,
    private readonly options: SourceReaderOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Reads several sources at once (one store round trip), in the order given. */
  async readMany(sourceIds: readonly string[]): Promise<SourceRead[]> {
    const stored = await this.options.store.getMany(sourceIds).catch(() => sourceIds.map(() => undefined));
    return Promise.all(sourceIds.map((id, i) => this.readWith(id, stored[i])));
  }

  /** Reads one source. */
  async read(sourceId: string): Promise<SourceRead> {
    const stored = await this.options.store.get(sourceId).catch(() => undefined);
    return this.readWith(sourceId, stored);
  }

  /** Fetches a source now, whatever its cache holds (operator refresh, webhooks). */
  async refresh(sourceId: string): Promise<SourceRead> {
    try {
      const entry = await this.fetch(sourceId);
      return this.served(sourceId, entry, 'FRESH');
    } catch (error) {
      return this.failed(sourceId, error);
    }
  }

  private async readWith(sourceId: string, stored: StoredReport | undefined): Promise<SourceRead> {
    const source = this.sources.get(sourceId);
    if (!source)
      return { ok: false, sourceId, error: { code: 'SOURCE_NOT_LOADED', message: 'no such source' } };
    const ttlMs = source.config.ttlSeconds * 1000;
    const staleForMs = source.config.staleForSeconds * 1000;
    if (stored) {
      const age = this.now() - stored.retrievedAt;
      if (age < ttlMs) return this.served(sourceId, stored, 'FRESH');
      if (age < ttlMs + staleForMs) {
        this.fetch(sourceId).catch((error) => this.options.onBackgroundError?.(sourceId, error));
        return this.served(sourceId, stored, 'STALE');
      }
    }
    try {
      return this.served(sourceId, await this.fetch(sourceId), 'FRESH');
    } catch (error) {
      return this.failed(sourceId, error);
    }
  }

  private served(sourceId: string, entry: StoredReport, freshness: Freshness): SourceRead {
    const failure = freshness === 'STALE' ? this.lastFailure.get(sourceId) : undefined;
    return {
      ok: true,
      sourceId,
      report: entry.report,
      retrievedAt: entry.retrievedAt,
      freshness,
      staleReason: failure ? { code: failure.code, message: failure.publicMessage } : null,
    };
  }

  private failed(sourceId: string, error: unknown): SourceRead {
    const e =
      error instanceof SourceError
        ? error
        : new SourceError('UPSTREAM_UNREACHABLE', 'the source failed unexpectedly');
    return { ok: false, sourceId, error: { code: e.code, message: e.publicMessage } };
  }

  /** One upstream fetch per source at a time; the result is stored for ttl + staleFor. */
  private fetch(sourceId: string): Promise<StoredReport> {
    const running = this.inFlight.get(sourceId);
    if (running) return running;
    const source = this.sources.get(sourceId)!;
    const task = (async () => {
      try {
        const report = await source.load();
        const entry: StoredReport = { report, retrievedAt: this.now() };
        this.lastFailure.delete(sourceId);
        const keepMs = (source.config.ttlSeconds + source.config.staleForSeconds) * 1000;
        await this.options.store.set(sourceId, entry, keepMs).catch(() => undefined);
        return entry;
      } catch (error) {
        if (error instanceof SourceError) this.lastFailure.set(sourceId, error);
        throw error;
      } finally {
        this.inFlight.delete(sourceId);
      }
    })();
    this.inFlight.set(sourceId, task);
    return task;
  }
}
