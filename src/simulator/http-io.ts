import type { IncomingMessage, ServerResponse } from 'node:http';

/** Largest request body the simulator reads (GraphQL queries and fault settings are tiny). */
export const MAX_REQUEST_BYTES = 64 * 1024;

/** Thrown when a request body is too large or not JSON; the message is safe to send back. */
export class BadRequestError extends Error {
  override readonly name = 'BadRequestError';
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** Reads a request body as text, refusing anything over `MAX_REQUEST_BYTES`. */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.byteLength;
    if (size > MAX_REQUEST_BYTES)
      throw new BadRequestError(`request body larger than ${MAX_REQUEST_BYTES} bytes`, 413);
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads a JSON request body; an empty body is `{}`. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = await readBody(req);
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new BadRequestError('request body is not valid JSON');
  }
}

/** Headers on every simulator response: never cached, and labelled as simulated. */
const COMMON_HEADERS = { 'cache-control': 'no-store', 'x-simulated': 'true' } as const;

/** Sends a body with its status and content type (headers only for HEAD). */
export function send(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    ...COMMON_HEADERS,
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Sends a JSON document. */
export function sendJson(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  send(req, res, status, 'application/json; charset=utf-8', JSON.stringify(value), headers);
}

/** Sends an error as `{ error: { message } }`. */
export function sendError(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  sendJson(req, res, status, { error: { message } }, headers);
}

/** Sends 204 No Content. */
export function sendNoContent(res: ServerResponse): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(204, COMMON_HEADERS);
  res.end();
}
