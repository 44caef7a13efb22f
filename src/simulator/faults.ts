import { z } from 'zod';

/** Variants of the `malformed` fault: what kind of broken body the feed sends (with HTTP 200). */
export const MALFORMED_VARIANTS = ['html', 'truncated-json', 'missing-column'] as const;
export type MalformedVariant = (typeof MALFORMED_VARIANTS)[number];

/** Variants of the `drift` fault: the payload parses, but its schema has moved under the gateway's mapping. */
export const DRIFT_VARIANTS = ['renamed-field', 'number-as-text', 'negative-count'] as const;
export type DriftVariant = (typeof DRIFT_VARIANTS)[number];

/** Every fault mode, for help texts and the control endpoint. */
export const FAULT_MODES = [
  'slow',
  'hang',
  'http500',
  'http429',
  'malformed',
  'drift',
  'pii',
  'flaky',
] as const;
export type FaultMode = (typeof FAULT_MODES)[number];

/**
 * Default delay of `slow`: longer than the 2 s timeout the simulator's gateway config gives each source,
 * so that a bare `{ mode: 'slow' }` demonstrates a timeout.
 */
export const DEFAULT_SLOW_DELAY_MS = 3000;

/**
 * A fault as accepted from callers and from `POST /_control/faults/:feedId`, validated so that a typo in a
 * test or a curl command fails loudly instead of silently serving healthy data.
 */
export const faultSchema = z.discriminatedUnion(
  'mode',
  [
    /** Answers normally, after `delayMs`. */
    z
      .object({
        mode: z.literal('slow'),
        delayMs: z.number().int().min(0).max(600_000).default(DEFAULT_SLOW_DELAY_MS),
      })
      .strict(),
    /** Never answers; the socket is held open until the simulator closes. */
    z.object({ mode: z.literal('hang') }).strict(),
    /** Answers a server error: 500 by default, or another 5xx such as 503. */
    z
      .object({ mode: z.literal('http500'), status: z.number().int().min(500).max(599).default(500) })
      .strict(),
    /** Answers 429 with `Retry-After: retryAfterSeconds`. */
    z
      .object({
        mode: z.literal('http429'),
        retryAfterSeconds: z.number().int().min(0).max(86_400).default(1),
      })
      .strict(),
    /** Answers 200 with a body that cannot be parsed; `variant` defaults by kind (see `defaultMalformedVariant`). */
    z.object({ mode: z.literal('malformed'), variant: z.enum(MALFORMED_VARIANTS).optional() }).strict(),
    /**
     * Answers 200 with a parseable payload whose schema drifted. `field` (one of our field names, e.g.
     * `forceId`) chooses what `renamed-field` renames; by default the headline count (records feeds:
     * the force id). `number-as-text` and `negative-count` act on the count (records: the year went missing).
     */
    z
      .object({
        mode: z.literal('drift'),
        variant: z.enum(DRIFT_VARIANTS).default('renamed-field'),
        field: z.string().min(1).optional(),
      })
      .strict(),
    /** Every row also carries `name` and `address`, holding the `PII_CANARIES` strings. */
    z.object({ mode: z.literal('pii') }).strict(),
    /** The first `failures` requests after the fault is set answer 500; later ones succeed. */
    z
      .object({ mode: z.literal('flaky'), failures: z.number().int().min(0).max(1_000_000).default(2) })
      .strict(),
  ],
  { error: `mode must be one of: ${FAULT_MODES.join(', ')}` },
);

/** A fault as callers write it (defaults optional). */
export type FaultInput = z.input<typeof faultSchema>;
/** A fault with its defaults applied. */
export type Fault = z.output<typeof faultSchema>;

/** Thrown for a fault that is not one of the accepted shapes; the message lists what was wrong. */
export class FaultError extends Error {
  override readonly name = 'FaultError';
}

/** Validates a fault and applies its defaults. */
export function parseFault(input: unknown): Fault {
  const parsed = faultSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'fault'}: ${issue.message}`);
  throw new FaultError(`invalid fault: ${problems.join('; ')}`);
}

/**
 * The broken body a kind most plausibly sends: a CSV export with a short row, a JSON body cut off
 * mid-stream (a proxy timing out).
 */
export function defaultMalformedVariant(kind: 'csv' | 'json' | 'graphql'): MalformedVariant {
  return kind === 'csv' ? 'missing-column' : 'truncated-json';
}

/**
 * Obviously fake personal data carried by the `pii` fault. A test that finds one of these strings in a
 * response, a log line or a cache entry has found a leak; they can never be mistaken for a real person.
 */
export const PII_CANARIES = Object.freeze({
  name: 'CANARY-NAME-ZQX',
  address: 'CANARY-ADDRESS-ZQX',
});

/** A fault set on a feed, with the state it needs between requests. */
export interface ActiveFault {
  readonly fault: Fault;
  /** Requests answered since the fault was set (for `flaky`). */
  served: number;
}
