import type { IncomingMessage, ServerResponse } from 'node:http';
import cors from 'cors';

/** Sets CORS headers for an allowed origin and answers its preflight; calls `next` for anything else. */
export type CorsHandler = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

/**
 * CORS for `access.corsOrigins` only, one allow-list for feeds and /graphql: a newsroom page on another
 * origin may read a feed (with a key, or a public feed without one) and its caching headers, or send
 * GraphQL requests with its key. Any other origin gets no CORS header (its browser then hides the answer).
 */
export function corsHandlers(origins: readonly string[]): { graphql: CorsHandler; feeds: CorsHandler } {
  const allowed = new Set(origins);
  const origin = (value: string | undefined, done: (error: Error | null, allow?: boolean) => void) =>
    done(null, value !== undefined && allowed.has(value));
  const feeds = cors({
    origin,
    methods: ['GET'],
    allowedHeaders: ['authorization', 'if-none-match', 'if-modified-since', 'x-request-id'],
    exposedHeaders: ['etag', 'last-modified', 'x-request-id'],
    maxAge: 600,
  });
  const graphql = cors({
    origin,
    methods: ['GET', 'POST'],
    allowedHeaders: [
      'content-type',
      'authorization',
      'apollo-require-preflight',
      'x-apollo-operation-name',
      'x-request-id',
    ],
    exposedHeaders: ['x-request-id'],
    maxAge: 600,
  });
  // The cors package is connect middleware; it only reads headers and writes the response, as node's own.
  return {
    graphql: (req, res, next) => graphql(req as never, res as never, next),
    feeds: (req, res, next) => feeds(req as never, res as never, next),
  };
}
