import type { Router } from 'express';
import express from 'express';

/** Readiness of the process, as reported by /readyz. */
export interface Readiness {
  ready(): { ready: boolean; degraded?: boolean; draining?: boolean; reasons: string[] };
}

/**
 * Readiness from the store: ready, and degraded while Redis is unreachable (the gateway still serves from
 * L1 and upstream, so it stays in the load balancer's rotation); not ready once draining.
 */
export function storeReadiness(
  store: { l2State(): string },
  redis: { readonly status: string } | undefined,
  draining: () => boolean,
): Readiness {
  return {
    ready: () => {
      if (draining()) return { ready: false, draining: true, reasons: ['shutting down'] };
      return store.l2State() === 'degraded'
        ? {
            ready: true,
            degraded: true,
            reasons: [`redis ${redis?.status ?? 'unavailable'}: serving from L1 and upstream`],
          }
        : { ready: true, degraded: false, reasons: [] };
    },
  };
}

/**
 * `/healthz` (the process is alive) and `/readyz` (it can serve; reasons when not; 503 `draining` once
 * shutdown has begun). Open to anyone.
 */
export function healthRouter(readiness: Readiness): Router {
  const router = express.Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', (_req, res) => {
    const state = readiness.ready();
    const status = state.draining
      ? 'draining'
      : !state.ready
        ? 'not-ready'
        : state.degraded
          ? 'degraded'
          : 'ready';
    res.status(state.ready ? 200 : 503).json({ status, reasons: state.reasons });
  });
  return router;
}
