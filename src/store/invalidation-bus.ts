/**
 * The invalidation bus: messages between instances about a source (Redis pub/sub on
 * `keys.invalidationChannel`), so that a report refreshed or invalidated on one instance is dropped from
 * every other instance's L1. Owns the channel's message format and the subscription (renewed on every
 * reconnection). Without Redis there are no other instances: nothing is sent and nothing arrives.
 */
import { keys } from './keys';
import type { RedisConnection, RedisFailureRecorder } from './redis-connection';

/** A message from another instance about a source. */
export interface InvalidationMessage {
  readonly sourceId: string;
  /** `updated`: a new report is in L2. `invalidate`: drop it (webhook, operator refresh). */
  readonly kind: 'updated' | 'invalidate';
  readonly from: string;
}

/** The bus as its users see it. */
export interface InvalidationBus {
  /** Tells every other instance about a source. */
  publish(message: Omit<InvalidationMessage, 'from'>): Promise<void>;
  /**
   * Calls `listener` with each other instance's message, in the order listeners were added (the report
   * cache, made with the store, drops its L1 copy before any later listener hears of it). There is no way
   * to stop listening: the bus lives as long as the app.
   */
  onMessage(listener: (message: InvalidationMessage) => void): void;
}

/** What the bus needs. */
export interface RedisInvalidationBusOptions {
  /** This instance's id: messages carry it in `from`, and this instance ignores its own. */
  readonly instanceId: string;
  readonly redis?: RedisConnection;
  readonly failed: RedisFailureRecorder;
}

/** The bus over Redis pub/sub (and a silent one without Redis). */
export class RedisInvalidationBus implements InvalidationBus {
  private readonly listeners: Array<(message: InvalidationMessage) => void> = [];

  constructor(private readonly options: RedisInvalidationBusOptions) {
    if (options.redis) this.subscribe(options.redis);
  }

  /** A message as it goes on the channel: also published by the commit script, in the same step as its write. */
  encode(message: Omit<InvalidationMessage, 'from'>): string {
    return JSON.stringify({ ...message, from: this.options.instanceId });
  }

  async publish(message: Omit<InvalidationMessage, 'from'>): Promise<void> {
    const { redis, failed } = this.options;
    if (!redis) return;
    await redis
      .run((client) => client.publish(keys.invalidationChannel, this.encode(message)))
      .catch((error) => failed('publish', error));
  }

  onMessage(listener: (message: InvalidationMessage) => void): void {
    this.listeners.push(listener);
  }

  private subscribe(redis: RedisConnection): void {
    const subscriber = redis.subscriber;
    const channel = keys.invalidationChannel;
    const doSubscribe = () => subscriber.subscribe(channel).catch(() => undefined);
    // Re-subscribe after every reconnection: a restarted Redis has forgotten its subscribers. A connection
    // already up (a bus made after it connected) will not say 'ready' again: subscribe now.
    subscriber.on('ready', doSubscribe);
    if (subscriber.status === 'ready') void doSubscribe();
    subscriber.on('message', (ch: string, text: string) => {
      if (ch !== channel) return;
      let message: InvalidationMessage;
      try {
        message = JSON.parse(text) as InvalidationMessage;
      } catch {
        return;
      }
      if (typeof message?.sourceId !== 'string' || message.from === this.options.instanceId) return;
      for (const listener of this.listeners) listener(message);
    });
  }
}
