import type { RequestHandler } from 'express';
import { sendError } from './errors';
import { exceedsJsonDepth, isPlainObject, jsonTooDeepMessage } from './json-guard';

/**
 * Express middleware for `/graphql`, after `express.json`: the checks of a request's JSON that Apollo does
 * not make, so that they are refused with a clear 400 rather than reaching code that assumes them.
 *
 * - GET: the `variables` and `extensions` parameters pass the JSON depth guard before Apollo parses
 *   them (a POST body passed it in `express.json`'s `verify`).
 * - GET and POST: `extensions.persistedQuery`, when present, is an object whose `sha256Hash` is a string.
 *   Apollo answered a number there with PERSISTED_QUERY_NOT_FOUND (inviting the client to send the
 *   document), and the approved-operations check with INTERNAL_SERVER_ERROR (issue 18).
 */
export const checkGraphqlRequestJson: RequestHandler = (req, res, next) => {
  let extensions: unknown;
  if (req.method === 'GET') {
    const query = req.query as Record<string, unknown>;
    for (const name of ['variables', 'extensions']) {
      const text = query[name];
      if (typeof text === 'string' && exceedsJsonDepth(text))
        return sendError(res, 'JSON_TOO_DEEP', jsonTooDeepMessage(`the ${name} parameter`));
    }
    if (typeof query.extensions === 'string') {
      try {
        extensions = JSON.parse(query.extensions);
      } catch {
        return next(); // Apollo words its own error for unparseable extensions
      }
    }
  } else if (isPlainObject(req.body)) extensions = req.body.extensions;
  const persisted = isPlainObject(extensions) ? extensions.persistedQuery : undefined;
  if (persisted !== undefined && !(isPlainObject(persisted) && typeof persisted.sha256Hash === 'string')) {
    return sendError(
      res,
      'BAD_REQUEST',
      'extensions.persistedQuery must be an object { version: 1, sha256Hash } whose sha256Hash is the document id as a string ("sha256:<hex>")',
    );
  }
  next();
};
