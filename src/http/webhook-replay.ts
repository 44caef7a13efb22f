/**
 * The webhooks' replay check: a signed webhook is accepted once. Each signature is claimed in Redis (SET NX
 * PX, so every instance refuses a replay) and in this process (so a replay is refused even while Redis is
 * down or absent).
 */
import { LRUCache } from 'lru-cache';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { keys } from '../store/keys';
import type { RedisConnection, RedisFailureRecorder } from '../store/redis-connection';
import { redisFailureRecorder } from '../store/redis-connection';

/** What the check needs. */
export interface WebhookReplayCheckOptions {
  /** Redis shared by every instance; without it the check holds in this process only. */
  readonly redis?: RedisConnection;
  readonly metrics?: Metrics;
  readonly logger?: Logger;
}

/** Remembers the signatures already used, per source, for as long as a replay could still be accepted. */
export class WebhookReplayCheck {
  // lru-cache preallocates arrays of `max`, and 10,000 signed webhooks within the replay window is far
  // beyond real traffic.
  private readonly used = new LRUCache<string, true>({ max: 10_000, ttlAutopurge: false });
  private readonly failed: RedisFailureRecorder;

  constructor(private readonly options: WebhookReplayCheckOptions = {}) {
    this.failed = redisFailureRecorder(options.metrics, options.logger);
  }

  /**
   * Claims `signature` for `sourceId` for `ttlMs`: true the first time; false when it was already used, on
   * any instance (Redis), or in this process when Redis is not available.
   */
  async claim(sourceId: string, signature: string, ttlMs: number): Promise<boolean> {
    const key = keys.hookNonce(sourceId, signature);
    if (this.used.has(key)) return false;
    this.used.set(key, true, { ttl: ttlMs });
    const { redis } = this.options;
    if (!redis) return true;
    const ok = await redis
      .run((client) => client.set(key, '1', 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX'))
      .catch((error) => this.failed('claim', error));
    return ok !== null;
  }
}
