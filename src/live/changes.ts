import { Repeater, SlidingBuffer } from '@graphql-yoga/subscription';
import type { Logger } from '../logger';
import type { InvalidationMessage } from '../store/invalidation-bus';
import type { FigureService } from '../store/figure-service';

/** One change of a source's stored report, as subscribers receive it. */
export interface FiguresChangedEvent {
  readonly sourceId: string;
  /** Every force the source covers (its configured forces that are in the registry). */
  readonly forceIds: readonly string[];
  /**
   * When the new report was retrieved (ISO 8601, UTC): the same instant on every instance, since they
   * share the report through L2. For an `invalidate` message (no new report yet), when it was received.
   */
  readonly changedAt: string;
}

/** Defaults of the live changes feed. */
export const LIVE_CHANGES_DEFAULTS = {
  /**
   * @default 64: events kept per subscriber that is not reading (a stalled socket); the oldest go first.
   * Each subscriber has its own buffer: without one, the 1,025th pending event throws inside the
   * EventTarget listener, which Node reports as an uncaught exception.
   */
  bufferPerSubscriber: 64,
} as const;

/** A subscriber: its filter and the push of its own repeater. */
interface Subscriber {
  readonly forceIds: ReadonlySet<string> | null;
  readonly push: (event: FiguresChangedEvent) => unknown;
}

/**
 * This app's stream of source changes, for `figuresChanged`. One per app (never process-wide), so two
 * apps in one process only hear each other through Redis, as two processes would.
 *
 * Its inputs are the store's existing seams, with no channel of its own:
 * - `SourceReader` `updated` (sourceId, background): this instance stored a new report (its own fetch, a
 *   stale-while-revalidate refresh, an operator refresh or webhook, or a report another instance fetched
 *   while this one waited on the refresh lock);
 * - `InvalidationBus.onMessage`: another instance's `updated` / `invalidate` on the store's pub/sub channel
 *   (`keys.invalidationChannel`), which already reaches every instance.
 *
 * One change can arrive by both (a lock waiter receives the report and then the announcement), so each
 * signal is keyed by the stored report's `retrievedAt` (read from L1, or L2 after a remote message) and a
 * report just announced is not announced again. Nothing is looked up while nobody is subscribed.
 */
export class LiveChanges {
  private readonly subscribers = new Set<Subscriber>();
  private readonly stops = new Set<() => void>();
  /** The `retrievedAt` last announced per source. */
  private readonly announced = new Map<string, number>();
  private readonly onUpdated = (sourceId: string) => void this.signal(sourceId, 'updated');
  private closed = false;

  constructor(
    private readonly service: FigureService,
    private readonly options: { readonly logger?: Logger; readonly bufferPerSubscriber?: number } = {},
  ) {
    service.reader.on('updated', this.onUpdated);
    // The store has no way to unsubscribe; after close() the listener does nothing.
    service.store.bus.onMessage(
      (message: InvalidationMessage) => void this.signal(message.sourceId, message.kind),
    );
  }

  /** How many subscriptions are open now. */
  get size(): number {
    return this.subscribers.size;
  }

  /**
   * The events of the sources covering any of `forceIds` (every source when null), from now until the
   * returned iterator is returned or the feed is closed. The ids must have been checked by the caller.
   */
  subscribe(forceIds: readonly string[] | null): AsyncIterableIterator<FiguresChangedEvent> {
    const wanted = forceIds === null ? null : new Set(forceIds);
    const size = this.options.bufferPerSubscriber ?? LIVE_CHANGES_DEFAULTS.bufferPerSubscriber;
    return new Repeater<FiguresChangedEvent>(async (push, stop) => {
      if (this.closed) return stop();
      const subscriber: Subscriber = { forceIds: wanted, push };
      this.subscribers.add(subscriber);
      this.stops.add(stop);
      await stop;
      this.subscribers.delete(subscriber);
      this.stops.delete(stop);
    }, new SlidingBuffer(size));
  }

  /** Publishes an event to the matching subscribers of this app (tests, and the signals below). */
  publish(event: FiguresChangedEvent): void {
    for (const subscriber of this.subscribers) {
      if (subscriber.forceIds && !event.forceIds.some((id) => subscriber.forceIds!.has(id))) continue;
      void subscriber.push(event);
    }
  }

  private async signal(sourceId: string, kind: InvalidationMessage['kind']): Promise<void> {
    if (this.closed || this.subscribers.size === 0) return;
    const source = this.service.sourcesById.get(sourceId);
    if (!source) return; // a source this instance does not have (another config version)
    try {
      let retrievedAt: number | undefined;
      if (kind === 'updated') {
        const { keepMs } = this.service.reader.timing(sourceId);
        // L1 holds a report this instance just stored; after another instance's message L1 was dropped
        // and the read goes to L2, where that instance wrote its report before announcing it.
        const [lookup] = await this.service.store.reports.lookupMany(
          [sourceId],
          () => ({ freshMs: Number.POSITIVE_INFINITY, keepMs }),
          this.service.now(),
        );
        retrievedAt = lookup?.entry?.retrievedAt;
        if (retrievedAt !== undefined) {
          // Equal only: another instance's clock may run a little behind, and its newer report still counts.
          if (retrievedAt === this.announced.get(sourceId)) return;
          this.announced.set(sourceId, retrievedAt);
        }
      }
      if (this.closed) return;
      this.publish({
        sourceId,
        forceIds: source.forceIds,
        changedAt: new Date(retrievedAt ?? this.service.now()).toISOString(),
      });
    } catch (error) {
      this.options.logger?.warn({ sourceId, err: (error as Error)?.message }, 'live change not announced');
    }
  }

  /** Ends every subscription and stops listening. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.service.reader.off('updated', this.onUpdated);
    for (const stop of this.stops) stop();
    this.stops.clear();
    this.subscribers.clear();
  }
}
