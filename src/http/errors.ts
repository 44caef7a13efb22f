import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { ErrorCode } from '../errors';
import { httpStatusOf } from '../errors';
import { bodyErrorReading } from './request-body';

/** The body of a plain-HTTP error: the GraphQL response shape, so every client parses one format. */
export function errorBody(code: ErrorCode, message: string): string {
  return JSON.stringify({ errors: [{ message, extensions: { code } }] });
}

/** Sends a plain-HTTP error in the GraphQL response shape (`errorBody`). */
export function sendError(
  res: Response,
  code: ErrorCode,
  message: string,
  headers: Record<string, string> = {},
): void {
  res.status(httpStatusOf(code)).set(headers).type('application/json').send(errorBody(code, message));
}

/** 404 for anything no route claims. */
export const notFound: RequestHandler = (_req, res) => {
  sendError(res, 'NOT_FOUND', 'no such resource; see /graphql, /feeds, /dashboard, /healthz and /readyz');
};

/**
 * Last-resort error handler of the express routes: a body that cannot be read becomes its clear JSON error
 * (`bodyErrorReading`: never an HTML page with a stack trace); anything else is a masked 500.
 */
export function createErrorHandler(
  log: (error: unknown, requestId: string | null) => void,
): ErrorRequestHandler {
  return (error: unknown, _req, res, _next) => {
    if (res.headersSent) return;
    const reading = bodyErrorReading(error);
    if (reading) return sendError(res, reading.code, reading.message, reading.headers);
    log(error, (res.locals.requestId as string | undefined) ?? null);
    return sendError(res, 'INTERNAL_SERVER_ERROR', 'Internal server error');
  };
}
