import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { ErrorCode } from '../errors';
import { httpStatusOf } from '../errors';

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
 * Last-resort error handler: body-parser's errors become clear JSON errors (never an HTML page with a
 * stack trace); anything else is a masked 500.
 */
export function createErrorHandler(
  log: (error: unknown, requestId: string | null) => void,
): ErrorRequestHandler {
  return (error: unknown, _req, res, _next) => {
    const e = error as { type?: string; status?: number; limit?: number };
    if (res.headersSent) return;
    switch (e.type) {
      case 'entity.parse.failed':
        return sendError(res, 'MALFORMED_JSON', 'the request body is not valid JSON');
      case 'entity.too.large':
        return sendError(
          res,
          'PAYLOAD_TOO_LARGE',
          `the request body is larger than the limit of ${e.limit ?? 'the configured'} bytes`,
        );
      case 'encoding.unsupported':
      case 'charset.unsupported':
        return sendError(res, 'UNSUPPORTED_MEDIA_TYPE', 'the request body must be UTF-8 JSON');
      case 'request.aborted':
        return sendError(res, 'BAD_REQUEST', 'the request was aborted');
      default:
        if (e.status && e.status >= 400 && e.status < 500)
          return sendError(res, 'BAD_REQUEST', 'the request could not be read');
        log(error, (res.locals.requestId as string | undefined) ?? null);
        return sendError(res, 'INTERNAL_SERVER_ERROR', 'Internal server error');
    }
  };
}
