import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { ErrorCode } from '../errors';
import { httpStatusOf } from '../errors';
import { jsonTooDeepMessage } from './json-guard';

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
      case 'entity.too.deep':
        return sendError(res, 'JSON_TOO_DEEP', jsonTooDeepMessage('the request body'));
      case 'entity.too.large':
        // Answered as soon as the body passes the limit, ended or not; the rest is never read, so the
        // connection closes rather than wait for a body that may never end.
        return sendError(
          res,
          'PAYLOAD_TOO_LARGE',
          `the request body is larger than the limit of ${e.limit ?? 'the configured'} bytes`,
          { connection: 'close' },
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

/**
 * Answers 413 as soon as a request body passes `limitBytes`, whether or not it ends: at once for a
 * declared Content-Length over the limit, or when the streamed bytes (a chunked body) pass it. It runs just
 * before `express.json`, whose own limit waits for the end of the body before answering (it reads the
 * rest off to keep the connection usable), so a chunked body that never ends got no answer at all (issue
 * 18). The answer closes the connection instead: the rest of the body is never read.
 */
export function limitRequestBody(limitBytes: number): RequestHandler {
  const message = `the request body is larger than the limit of ${limitBytes} bytes`;
  return (req, res, next) => {
    const tooLarge = () => {
      if (!res.headersSent) sendError(res, 'PAYLOAD_TOO_LARGE', message, { connection: 'close' });
    };
    if (Number(req.headers['content-length']) > limitBytes) return tooLarge();
    let seen = 0;
    const count = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > limitBytes) {
        req.off('data', count);
        tooLarge();
      }
    };
    req.on('data', count);
    req.once('end', () => req.off('data', count));
    // Synchronously: express.json's reader must listen before the first chunk flows (see `count` above).
    next();
  };
}
