import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Router } from 'express';
import express from 'express';
import type { Logger } from '../logger';
import type { FigureService } from '../store/figure-service';
import { sendError } from './errors';
import type { WebhookReplayCheck } from './webhook-replay';

/** Webhook defaults. */
export const WEBHOOK_DEFAULTS = {
  /** @default 300: a signed request older or newer than this (seconds) is refused. */
  toleranceSeconds: 300,
  /** @default 16 KiB */
  bodyLimitBytes: 16 * 1024,
} as const;

/** Header carrying the Unix time (seconds) the sender signed at. */
export const TIMESTAMP_HEADER = 'x-whereabouts-timestamp';
/** Header carrying `sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">`. */
export const SIGNATURE_HEADER = 'x-whereabouts-signature';

/** The environment variable holding a source's webhook secret: `WHEREABOUTS_HOOK_SECRET_<ID>`. */
export function hookSecretVariable(sourceId: string): string {
  return `WHEREABOUTS_HOOK_SECRET_${sourceId.toUpperCase().replace(/-/g, '_')}`;
}

/** Signs a webhook body as a sender must (exported for senders' tooling and the tests). */
export function signWebhook(secret: string, timestamp: number, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`;
}

/**
 * `POST /hooks/sources/:id`: a source tells the gateway its figures changed. The request must carry a
 * timestamp within the tolerance and an HMAC-SHA256 signature under that source's secret; each signature
 * is accepted once (replays are refused on every instance). A valid call refreshes the source at once
 * (and pub/sub drops every instance's L1 copy); anything else is 401 and refreshes nothing. The 401 says
 * the same for an unknown source, a missing secret and a bad signature, so it reveals nothing.
 */
export function webhookRouter(
  service: FigureService,
  replays: WebhookReplayCheck,
  env: NodeJS.ProcessEnv,
  logger: Logger,
  nowMs: () => number = Date.now,
): Router {
  const router = express.Router();
  router.post(
    '/hooks/sources/:id',
    express.raw({ type: () => true, limit: WEBHOOK_DEFAULTS.bodyLimitBytes }),
    async (req, res) => {
      const sourceId = String(req.params.id);
      const body: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const reject = (why: string) => {
        logger.warn({ sourceId, why }, 'webhook refused');
        sendError(res, 'UNAUTHENTICATED', 'invalid or missing webhook signature');
      };
      const secret = env[hookSecretVariable(sourceId)];
      if (!service.sourcesById.has(sourceId) || !secret)
        return reject('unknown source or no secret configured');
      const timestamp = Number(req.header(TIMESTAMP_HEADER));
      if (!Number.isInteger(timestamp)) return reject('missing timestamp');
      if (Math.abs(nowMs() / 1000 - timestamp) > WEBHOOK_DEFAULTS.toleranceSeconds)
        return reject('timestamp outside tolerance');
      const given = Buffer.from(String(req.header(SIGNATURE_HEADER) ?? ''));
      const expected = Buffer.from(signWebhook(secret, timestamp, body));
      if (given.length !== expected.length || !timingSafeEqual(given, expected))
        return reject('bad signature');
      const fresh = await replays.claim(
        sourceId,
        expected.toString(),
        WEBHOOK_DEFAULTS.toleranceSeconds * 2 * 1000,
      );
      if (!fresh) return reject('replayed signature');
      // The refresh publishes 'updated' when it lands, which drops every other instance's L1 copy.
      void service.refresh(sourceId);
      res.status(202).json({ accepted: true, sourceId });
    },
  );
  return router;
}
