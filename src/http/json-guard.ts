/**
 * The one guard on the nesting of JSON that clients send: request bodies, the `variables` and
 * `extensions` query parameters of a GraphQL GET, and graphql-ws messages. It runs on the raw text, before
 * anything parses or walks it, so no later walk (JSON.parse, Apollo's variable coercion, the audit hash,
 * response-cache keys) can meet data deep enough to exhaust the stack (issue 18: variables nested about
 * 4,000 deep gave a 500 on Node 20). Size is bounded separately: bodies and WebSocket messages by
 * `bodyLimitBytes`, query strings by Node's header size limit.
 */

/**
 * Deepest nesting of arrays and objects accepted, counted from the outermost value (`{}` is 1). A request
 * here needs about 5 (body, variables, an input object, a list); 32 leaves room for any input this schema
 * takes while keeping every recursive walk tens of frames deep at most.
 */
export const MAX_JSON_DEPTH = 32;

const OPEN_BRACE = 0x7b; // {
const OPEN_BRACKET = 0x5b; // [
const CLOSE_BRACE = 0x7d; // }
const CLOSE_BRACKET = 0x5d; // ]
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

/**
 * Whether `text` nests `{` and `[` deeper than `max`, counted outside strings, in one pass and without
 * parsing. It reads UTF-16 code units of a string or bytes of a UTF-8 buffer alike: the characters it
 * looks for are ASCII, which never occur inside a multi-byte UTF-8 sequence. It does not validate: text
 * that is not JSON is left for the parser to refuse.
 */
export function exceedsJsonDepth(text: string | Uint8Array, max: number = MAX_JSON_DEPTH): boolean {
  const isString = typeof text === 'string';
  const length = text.length;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < length; i++) {
    const c = isString ? text.charCodeAt(i) : text[i]!;
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return false;
}

/** The message of a `JSON_TOO_DEEP` error, the same on every transport. */
export function jsonTooDeepMessage(where: string): string {
  return `${where} nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep; at most ${MAX_JSON_DEPTH} are accepted`;
}

/**
 * Thrown from body-parser's `verify` hook for a body that is too deep (request-body.ts); it is answered
 * with `JSON_TOO_DEEP` (`type` is how body-parser's own errors are told apart, `bodyErrorReading`).
 */
export class JsonTooDeepError extends Error {
  readonly type = 'entity.too.deep';
  readonly status = 400;
  constructor() {
    super(jsonTooDeepMessage('the request body'));
    this.name = 'JsonTooDeepError';
  }
}

/** Whether a parsed JSON value is an object (not null, not an array): what a request body or `variables` must be. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
