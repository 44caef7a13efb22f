import type { Router } from 'express';
import express from 'express';

/** Readiness of the process, as reported by /readyz. */
export interface Readiness {
  ready(): { ready: boolean; degraded?: boolean; draining?: boolean; reasons: string[] };
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
