/**
 * Writes what sources say into the archive, off the request path: a fetch hands its report over and goes
 * on. One write at a time, of everything waiting; while one is being written, only each source's newest
 * report waits behind it (an older one says nothing the newest does not, except its `lastSeen`).
 *
 * A failed write (the database down) is logged and counted, and loses nothing lasting: the next fetch of
 * the source records its whole report again, so a figure first seen during an outage is archived, with a
 * later `firstSeen`, as soon as the database is back.
 */
import type { Figure } from '../domain/figure';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { Archive, ReportToRecord } from './archive';

/** Feeds reports to an archive in the background. */
export class ArchiveRecorder {
  /** The newest report of each source not yet handed to the archive. */
  private readonly waiting = new Map<string, ReportToRecord>();
  private writing: Promise<void> | null = null;

  constructor(
    private readonly archive: Archive,
    private readonly options: { readonly logger?: Logger; readonly metrics?: Metrics } = {},
  ) {}

  /** Queues a source's report, fetched at `seenAt` (epoch ms), for the archive. Never throws. */
  record(sourceId: string, figures: readonly Figure[], seenAt: number): void {
    this.waiting.set(sourceId, { sourceId, figures, seenAt });
    this.writing ??= this.drain();
  }

  /** Resolves once every queued report has been written (or has failed): for shutdown and tests. */
  async settled(): Promise<void> {
    while (this.writing) await this.writing;
  }

  /**
   * Writes what is waiting, all sources in one transaction (a warm-up's or a schedule's many reports
   * cost one commit), until nothing is.
   */
  private async drain(): Promise<void> {
    const { logger, metrics } = this.options;
    while (this.waiting.size > 0) {
      const batch = [...this.waiting.values()];
      this.waiting.clear();
      try {
        const outcome = await this.archive.record(batch);
        metrics?.archiveRecords.inc({ result: 'ok' }, batch.length);
        if (metrics)
          for (const [change, n] of Object.entries(outcome))
            if (n > 0) metrics.archiveFigures.inc({ change }, n);
        if (outcome.revised > 0)
          logger?.info(
            { sources: batch.map((r) => r.sourceId), revised: outcome.revised },
            'archive: sources revised figures they gave before',
          );
      } catch (error) {
        metrics?.archiveRecords.inc({ result: 'error' }, batch.length);
        // The driver's message only: it names no credentials (they stay in the pool's settings).
        logger?.warn(
          { sources: batch.map((r) => r.sourceId), err: { message: (error as Error).message } },
          'archive: recording failed',
        );
      }
    }
    this.writing = null;
  }
}
