import { z } from 'zod';
import { AS_AT_FORMATS, parseAsAt } from '../../domain/dates';
import type { AsAt, Citation, Precision, Provenance } from '../../domain/figure';
import { PRECISIONS } from '../../domain/figure';
import type { SourceConfig } from '../../config/schema';
import { SourceError } from '../../errors';
import { describeField, mapRow } from '../mapping';
import { futureAsAtProblem } from './fetch-date';

/** What a shape needs to turn validated rows into figures. */
export interface ShapeContext {
  readonly config: SourceConfig;
  readonly numbers: 'text' | 'native';
  readonly retrievedAt: string;
  /** Forces this source may speak for (already resolved from `forces: '*'` to the registry). */
  readonly allowedForces: ReadonlySet<string>;
}

const WHOLE = 'must be a whole number of 0 or more';

/** Largest count accepted as a number (a larger one is a broken feed, not a figure). */
export const MAX_COUNT = 10_000_000;

/** Count text in CSV: digits only, at most 8 of them. */
export const COUNT_TEXT = /^\d{1,8}$/;

/** A count: native JSON numbers must be numbers (text is schema drift); CSV cells must be digits only. */
export function countSchema(numbers: 'text' | 'native') {
  const native = z
    .number({ error: `${WHOLE}, sent as a number` })
    .int(WHOLE)
    .nonnegative(WHOLE)
    .max(MAX_COUNT, 'is implausibly large');
  if (numbers === 'native') return native;
  return z.union([native, z.string().regex(COUNT_TEXT, WHOLE).transform(Number)], { error: WHOLE });
}

/**
 * The source whose rows `validateRows` is checking now. Row schemas are shared by every source of a shape
 * (see `memoSchema`), so what differs per source (the forces it may speak for) is read from here; zod
 * parses synchronously, so only one source is ever being validated at a time.
 */
let validating: ShapeContext | null = null;

function validatingContext(): ShapeContext {
  if (!validating) throw new Error('row schemas are used only inside validateRows');
  return validating;
}

/**
 * Builds a shape's row schema once per key (what it depends on: number style, mapping flags) and shares
 * it between sources. zod compiles each new object schema on first use, which costs about a millisecond
 * and keeps memory for as long as the schema lives: a schema per fetch made every refresh pay that, and
 * a schema per source would grow with the number of sources.
 */
export function memoSchema<T>(cache: Map<string, T>, key: string, build: () => T): T {
  let schema = cache.get(key);
  if (schema === undefined) {
    schema = build();
    cache.set(key, schema);
  }
  return schema;
}

/** A force id that must be one the source being validated may speak for. */
export function forceIdSchema() {
  return z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a force id (text)') })
    .refine((id) => validatingContext().allowedForces.has(id), {
      message: 'is not a force this source covers (or not in the registry)',
    });
}

/** A lower bound as a source writes it: `>31300` ("more than 31,300"). */
export const LOWER_BOUND_TEXT = /^>\s*(\d{1,8})$/;

/** A count the source gave only as a lower bound (`>31300`): the true value is at least `atLeast`. */
export interface LowerBound {
  readonly atLeast: number;
}

/**
 * A count, or a lower bound written `>N` (as text, in a CSV cell or a JSON string): `N` as a `LowerBound`,
 * which becomes a figure marked `lowerBound`, shown and never summed. Anything else is read by
 * `countSchema`, with its messages; an exact count is a number, as it gives it.
 */
export function countOrLowerBoundSchema(numbers: 'text' | 'native') {
  const count = countSchema(numbers);
  const bound = z
    .string()
    .transform((text) => Number(LOWER_BOUND_TEXT.exec(text.trim())![1]))
    .pipe(z.number().max(MAX_COUNT, 'is implausibly large'))
    .transform((atLeast): LowerBound => ({ atLeast }));
  return z.unknown().transform((input, issue): number | LowerBound => {
    const lower = typeof input === 'string' && LOWER_BOUND_TEXT.test(input.trim());
    const parsed = lower ? bound.safeParse(input) : count.safeParse(input);
    if (parsed.success) return parsed.data;
    for (const problem of parsed.error.issues) issue.addIssue({ code: 'custom', message: problem.message });
    return z.NEVER;
  });
}

/** A count as a value and whether it is only a lower bound. */
export function boundedValue(count: number | LowerBound): { value: number; lowerBound: boolean } {
  return typeof count === 'number'
    ? { value: count, lowerBound: false }
    : { value: count.atLeast, lowerBound: true };
}

/** A date at day, month or year precision; `precision` (if given) can coarsen it. */
export const asAtTextSchema = z
  .string({ error: `must be a date: ${AS_AT_FORMATS}` })
  .refine((s) => parseAsAt(s) !== null, {
    message: `must be a date: ${AS_AT_FORMATS}`,
  });

/** Precision, case-insensitive; `UNKNOWN` (as in the published totals file) means not given. */
export const precisionSchema = z
  .string()
  .transform((s) => s.trim().toUpperCase())
  .pipe(z.enum([...PRECISIONS, 'UNKNOWN'], { error: `must be one of ${PRECISIONS.join(', ')}` }));

/** An upper-cased enum value from text ("whereabouts unknown" -> WHEREABOUTS_UNKNOWN). */
export function enumText<T extends readonly [string, ...string[]]>(values: T) {
  return z
    .string({ error: `must be one of ${values.join(', ')}` })
    .transform((s) =>
      s
        .trim()
        .toUpperCase()
        .replace(/[\s-]+/g, '_'),
    )
    .pipe(z.enum(values, { error: `must be one of ${values.join(', ')}` }));
}

/** A row's precision as a hint to `parseAsAt` (`UNKNOWN`, or none, leaves the date as written). */
function precisionHint(precision: string | undefined): Precision | undefined {
  return precision === 'DAY' || precision === 'MONTH' || precision === 'YEAR' ? precision : undefined;
}

/** Resolves the date of a row at its precision. */
export function asAtOf(date: string, precision: string | undefined): AsAt {
  return parseAsAt(date, precisionHint(precision))!;
}

/**
 * Why a row's date, at its precision, cannot be a figure of this fetch (see `futureAsAtProblem`), or
 * null. Judged at the precision the row states, since a coarser one moves the date back to the first
 * day of its period (`2026-12-25` given as a month is December 2026). Rows without a usable date are
 * left to the date's own rule. `retrievedAt` defaults to the fetch being validated, for row schemas.
 */
export function asAtAfterFetch(
  date: string | undefined,
  precision: string | undefined,
  retrievedAt: string = validatingContext().retrievedAt,
): string | null {
  // Typed as the schema's output, but a refinement may see a row whose other fields failed: check.
  if (typeof date !== 'string') return null;
  const asAt = parseAsAt(date, precisionHint(precision));
  return asAt === null ? null : futureAsAtProblem(asAt, retrievedAt);
}

/** For a row schema's `superRefine`: an issue on `asAt` when the row is dated after the fetch. */
export function refuseFutureAsAt(
  row: { readonly asAt?: string | undefined; readonly precision?: string | undefined },
  issue: z.RefinementCtx,
): void {
  const problem = asAtAfterFetch(row.asAt, row.precision);
  if (problem !== null) issue.addIssue({ code: 'custom', path: ['asAt'], message: problem });
}

/** What a row may add to its citation: the sentence it was read from, and notes. */
export interface CitationExtras {
  readonly quote?: string | undefined;
  readonly notes?: string | undefined;
}

/**
 * Provenance of a row: its own citation if the shape maps one, else the source's; with the row's quote
 * and notes when it gives them (absent otherwise).
 */
export function provenanceOf(
  ctx: ShapeContext,
  title?: string,
  url?: string,
  extras: CitationExtras = {},
): Provenance {
  let rowTitle = title ?? ctx.config.title;
  let rowUrl: string | null = ctx.config.url;
  if (url !== undefined) {
    if (/^https?:\/\//i.test(url) && URL.canParse(url)) rowUrl = url;
    else {
      // A citation that is not a web address (e.g. a repository path) stays readable, not a broken link.
      rowTitle = `${rowTitle} (${url})`;
      rowUrl = null;
    }
  }
  const provenance: Provenance = {
    sourceId: ctx.config.id,
    title: rowTitle,
    url: rowUrl,
    retrievedAt: ctx.retrievedAt,
    simulated: ctx.config.simulated,
  };
  if (extras.quote === undefined && extras.notes === undefined) return provenance;
  return {
    ...provenance,
    ...(extras.quote !== undefined && { quote: extras.quote }),
    ...(extras.notes !== undefined && { notes: extras.notes }),
  };
}

/** A provenance as a citation of a figure dated `asAt` (as the row wrote it), for `Corroborations`. */
export function citationOf(provenance: Provenance, asAt: AsAt | null): Citation {
  return {
    title: provenance.title,
    url: provenance.url,
    asAt: asAt?.date ?? null,
    quote: provenance.quote ?? null,
  };
}

/** Whether two citations are the same publication: the same URL, or without URLs, the same title. */
function sameCitation(a: { title: string; url: string | null }, b: { title: string; url: string | null }) {
  return a.url !== null || b.url !== null ? a.url === b.url : a.title === b.title;
}

/**
 * Merges what several rows of one source say about the same figure. Rows that name the same `survey`
 * (one collection exercise: Sky News' FOI of January 2018, the MoJ's MAPPA report for 2019/20) and state
 * the same figure (`sameFigure`: force, measure, basis, status and value, or for a published total its
 * measure and value) are one figure, not several: the first row's is kept, with its date, and each later
 * row adds its citation to the figure's `provenance.corroboratedBy`. Rows of one survey that disagree are
 * each kept, with their own provenance (a conflict is data, not an error). Rows without a survey are never
 * merged.
 */
export class Corroborations<T extends { readonly provenance: Provenance }> {
  private readonly items: T[] = [];
  private readonly more: Citation[][] = [];
  private readonly bySurvey = new Map<string, number>();

  /** Adds an item, or, when an earlier one of the same survey states the same figure, its citation. */
  add(item: T, survey: string | undefined, sameFigure: string, asAt: AsAt | null): void {
    if (survey !== undefined) {
      const key = JSON.stringify([survey, sameFigure]);
      const at = this.bySurvey.get(key);
      if (at !== undefined) {
        const citation = citationOf(item.provenance, asAt);
        const more = this.more[at]!;
        if (
          !sameCitation(this.items[at]!.provenance, citation) &&
          !more.some((c) => sameCitation(c, citation))
        )
          more.push(citation);
        return;
      }
      this.bySurvey.set(key, this.items.length);
    }
    this.items.push(item);
    this.more.push([]);
  }

  /** The items in the order first seen, each with the citations that corroborate it. */
  results(): T[] {
    return this.items.map((item, i) => {
      const corroboratedBy = this.more[i]!;
      return corroboratedBy.length === 0
        ? item
        : { ...item, provenance: { ...item.provenance, corroboratedBy } };
    });
  }
}

const MAX_ISSUES = 3;

/**
 * Maps and validates every row against a shape's schema. Any invalid row rejects the whole payload:
 * a partly valid payload would give a silently smaller total. The error names rows and fields, never values.
 * `plain`, if given, may answer a row as the schema would without running it (a shape's common case);
 * a row it leaves (`undefined`) goes to the schema.
 */
export function validateRows<S extends z.ZodType>(
  rows: readonly unknown[],
  ctx: ShapeContext,
  fields: readonly string[],
  schema: S,
  skipRowsMissing: readonly string[] = [],
  plain?: (mapped: Record<string, unknown>) => z.output<S> | undefined,
): Array<z.output<S>> {
  const out: Array<z.output<S>> = [];
  const problems: string[] = [];
  const previous = validating;
  validating = ctx;
  try {
    rows.forEach((row, index) => {
      if (row === null || typeof row !== 'object' || Array.isArray(row)) {
        problems.push(`row ${index + 1} is not an object`);
        return;
      }
      const mapped = mapRow(row, ctx.config, fields);
      if (skipRowsMissing.some((f) => mapped[f] === undefined)) return;
      const quick = plain?.(mapped);
      if (quick !== undefined) {
        out.push(quick);
        return;
      }
      const parsed = schema.safeParse(mapped);
      if (parsed.success) out.push(parsed.data);
      else {
        for (const issue of parsed.error.issues) {
          const field = String(issue.path[0] ?? '');
          problems.push(`row ${index + 1}: field ${describeField(ctx.config, field)} ${issue.message}`);
        }
      }
    });
  } finally {
    validating = previous;
  }
  if (problems.length > 0) {
    const more = problems.length > MAX_ISSUES ? `; and ${problems.length - MAX_ISSUES} more` : '';
    throw new SourceError(
      'UPSTREAM_INVALID_PAYLOAD',
      `validation failed: ${problems.slice(0, MAX_ISSUES).join('; ')}${more}`,
    );
  }
  return out;
}

/**
 * Rejects a payload that states the same thing twice (which value would be true?). `labelOf` names the
 * repeated key in the message (default: the key itself), so that a key may hold what the message must not.
 */
export function rejectDuplicates(
  keys: readonly string[],
  what: string,
  labelOf: (index: number) => string = (index) => keys[index]!,
): void {
  const seen = new Set<string>();
  keys.forEach((key, index) => {
    if (seen.has(key))
      throw new SourceError(
        'UPSTREAM_INVALID_PAYLOAD',
        `validation failed: duplicate ${what} ${labelOf(index)}`,
      );
    seen.add(key);
  });
}
