import type { RequestHandler, Response } from 'express';
import { auditOf } from '../access/audit';
import type { AccessGate, Refusal } from '../access/policy';
import { sendError } from './errors';

/**
 * Access on the routes express serves (`/metrics`): the same gate and refusals as the request path of
 * /graphql and /feeds (src/access/policy.ts), rendered with express's response.
 */

/** Sends an access refusal (`admit`, `authorise`) as a plain-HTTP error: its code's status, message and headers. */
export function sendRefusal(res: Response, refusal: Refusal): void {
  sendError(res, refusal.code, refusal.message, refusal.headers);
}

/**
 * Admits the caller (`AccessGate.admit`: 401 with one message for every bad credential, 429 with
 * Retry-After; callers without a key are counted per address first), records it for the audit line and
 * renders a refusal; `res.locals.caller` is the caller for the handlers after it.
 */
export function admitRequest(gate: AccessGate): RequestHandler {
  return async (req, res, next) => {
    try {
      const admission = await gate.admit(req.headers, req.socket.remoteAddress);
      auditOf(res).caller = admission.caller;
      if (!admission.ok) return sendRefusal(res, admission.refusal);
      res.locals.caller = admission.caller;
      next();
    } catch (error) {
      next(error);
    }
  };
}
