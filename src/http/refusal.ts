import type { Response } from 'express';
import type { Refusal } from '../access/policy';
import { sendError } from './errors';

/** Sends an access refusal (`admit`, `authorise`) as a plain-HTTP error: its code's status, message and headers. */
export function sendRefusal(res: Response, refusal: Refusal): void {
  sendError(res, refusal.code, refusal.message, refusal.headers);
}
