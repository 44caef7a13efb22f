import { z } from 'zod';
import { SHAPE_FIELDS } from '../../config/schema';
import type { AsAt, Figure, Measure, SourceReport } from '../../domain/figure';
import { AS_AT_FORMATS, parseAsAt } from '../../domain/dates';
import { BASES, PRECISIONS } from '../../domain/figure';
import type { LowerBound, ShapeContext } from './common';
import {
  MAX_LABEL_LENGTH,
  MAX_NOTES_LENGTH,
  MAX_QUOTE_LENGTH,
  MAX_TITLE_LENGTH,
  MAX_URL_LENGTH,
  checkUpstreamText,
  upstreamTextSchema,
} from './upstream-text';
import {
  COUNT_TEXT,
  Corroborations,
  MAX_COUNT,
  asAtAfterFetch,
  asAtOf,
  asAtTextSchema,
  boundedValue,
  countOrLowerBoundSchema,
  countSchema,
  enumText,
  forceIdSchema,
  memoSchema,
  precisionSchema,
  provenanceOf,
  refuseFutureAsAt,
  rejectDuplicates,
  validateRows,
} from './common';

const REPORTABLE_STATUSES = ['REPORTED', 'WITHHELD', 'NOT_HELD'] as const;

const schemas = new Map<string, ReturnType<typeof buildRowSchema>>();

/**
 * Whether every row must give the headline (or a status): a source that maps it must, since a row
 * without it is a renamed or dropped field, not a force with nothing to say.
 */
function headlineRequired(ctx: ShapeContext): boolean {
  const { mapping, constants } = ctx.config;
  return ['unaccounted', 'unaccountedStatus'].some((f) => f in mapping || f in constants);
}

/** The row schema of a counts source (shared by every source with the same number style and rules). */
export function countsRowSchema(ctx: ShapeContext) {
  const requireHeadline = headlineRequired(ctx);
  return memoSchema(schemas, `${ctx.numbers}|${requireHeadline}`, () =>
    buildRowSchema(ctx.numbers, requireHeadline),
  );
}

/** A counts row as the schema gives it. */
export type CountsRow = z.output<ReturnType<typeof buildRowSchema>>;

const PRECISION_TEXT: ReadonlySet<string> = new Set([...PRECISIONS, 'UNKNOWN']);
const BASIS_TEXT: ReadonlySet<string> = new Set(BASES);
const STATUS_TEXT: ReadonlySet<string> = new Set(REPORTABLE_STATUSES);
const COUNT_FIELDS = ['unaccounted', 'registered', 'breachesCautionedOrConvicted', 'returnedToCustody'];
const TEXT_FIELDS: ReadonlyArray<[string, number]> = [
  ['survey', MAX_LABEL_LENGTH],
  ['title', MAX_TITLE_LENGTH],
  ['url', MAX_URL_LENGTH],
  ['quote', MAX_QUOTE_LENGTH],
  ['notes', MAX_NOTES_LENGTH],
];

/** `value` as the enum schema reads it (see `enumText`), if it is one of `allowed`. */
function enumValue(value: unknown, allowed: ReadonlySet<string>, spaces: boolean): string | undefined {
  if (typeof value !== 'string') return undefined;
  let text = value.trim().toUpperCase();
  if (spaces) text = text.replace(/[\s-]+/g, '_');
  return allowed.has(text) ? text : undefined;
}

/**
 * A mapped counts row checked without zod, when every field is of the plain kind the row schema accepts
 * and the headline rules hold: answers the row exactly as the schema would, or `undefined` to leave it to
 * the schema (which then words the errors). On a cold fan-out each source's row goes through here once,
 * in code V8 has rarely optimised yet, where the schema costs far more than in a warm loop: a source's
 * whole reduce (a one-row feed) took 170, 120 and 85 µs in the first three 450-source fan-outs of a
 * gateway with the schema, 80, 87 and 69 µs with this. The property test
 * (test/unit/sources/shapes/counts-plain.property.test.ts) checks that every row answered here is the
 * schema's answer.
 */
export function plainCountsRow(
  mapped: Record<string, unknown>,
  ctx: ShapeContext,
  requireHeadline = headlineRequired(ctx),
): CountsRow | undefined {
  const { forceId, asAt } = mapped;
  if (typeof forceId !== 'string' || !ctx.allowedForces.has(forceId)) return undefined;
  if (typeof asAt !== 'string' || parseAsAt(asAt) === null) return undefined;
  const row: Record<string, unknown> = { forceId, asAt };
  if (mapped.precision !== undefined) {
    const precision = enumValue(mapped.precision, PRECISION_TEXT, false);
    if (precision === undefined) return undefined;
    row.precision = precision;
  }
  if (mapped.basis !== undefined) {
    const basis = enumValue(mapped.basis, BASIS_TEXT, true);
    if (basis === undefined) return undefined;
    row.basis = basis;
  }
  if (mapped.unaccountedStatus !== undefined) {
    const status = enumValue(mapped.unaccountedStatus, STATUS_TEXT, true);
    if (status === undefined) return undefined;
    row.unaccountedStatus = status;
  }
  for (const field of COUNT_FIELDS) {
    const value = mapped[field];
    if (value === undefined) continue;
    if (typeof value === 'number') {
      if (!Number.isInteger(value) || value < 0 || value > MAX_COUNT) return undefined;
      row[field] = value;
    } else if (ctx.numbers === 'text' && typeof value === 'string' && COUNT_TEXT.test(value)) {
      row[field] = Number(value);
    } else return undefined;
  }
  for (const [field, maxLength] of TEXT_FIELDS) {
    const value = mapped[field];
    if (value === undefined) continue;
    if (typeof value !== 'string') return undefined;
    const checked = checkUpstreamText(value, maxLength);
    if (!checked.ok) return undefined;
    // Blank once cleaned counts as not given, as the schema's text field has it.
    if (checked.text !== '') row[field] = checked.text;
  }
  if (asAtAfterFetch(asAt, row.precision as string | undefined, ctx.retrievedAt) !== null) return undefined;
  // The schema's headline rules (see buildRowSchema); a row that breaks one goes to it for the message.
  const status = row.unaccountedStatus ?? (row.unaccounted !== undefined ? 'REPORTED' : undefined);
  if (status === undefined && requireHeadline) return undefined;
  if (status === 'REPORTED' && row.unaccounted === undefined) return undefined;
  if (status !== undefined && status !== 'REPORTED' && row.unaccounted !== undefined) return undefined;
  return row as CountsRow;
}

function buildRowSchema(numbers: ShapeContext['numbers'], requireHeadline: boolean) {
  const count = countSchema(numbers).optional();
  const bounded = countOrLowerBoundSchema(numbers).optional();
  return z
    .object({
      forceId: forceIdSchema(),
      asAt: asAtTextSchema.optional(),
      precision: precisionSchema.optional(),
      basis: enumText(BASES).optional(),
      unaccounted: bounded,
      unaccountedStatus: enumText(REPORTABLE_STATUSES).optional(),
      registered: bounded,
      breachesCautionedOrConvicted: count,
      returnedToCustody: count,
      survey: upstreamTextSchema(MAX_LABEL_LENGTH).optional(),
      title: upstreamTextSchema(MAX_TITLE_LENGTH).optional(),
      url: upstreamTextSchema(MAX_URL_LENGTH).optional(),
      quote: upstreamTextSchema(MAX_QUOTE_LENGTH).optional(),
      notes: upstreamTextSchema(MAX_NOTES_LENGTH).optional(),
    })
    .superRefine((row, issue) => {
      refuseFutureAsAt(row, issue);
      if (row.asAt === undefined && row.precision !== 'UNKNOWN') {
        issue.addIssue({
          code: 'custom',
          path: ['asAt'],
          message: `must be a date: ${AS_AT_FORMATS} (or give precision UNKNOWN for a figure the source did not date)`,
        });
      }
      const status = row.unaccountedStatus ?? (row.unaccounted !== undefined ? 'REPORTED' : undefined);
      if (status === undefined && requireHeadline) {
        issue.addIssue({
          code: 'custom',
          path: ['unaccounted'],
          message: 'is missing (give a count, or a status such as WITHHELD)',
        });
      }
      if (status === 'REPORTED' && row.unaccounted === undefined) {
        issue.addIssue({
          code: 'custom',
          path: ['unaccounted'],
          message: 'is required when the status is REPORTED',
        });
      }
      if (status !== undefined && status !== 'REPORTED' && row.unaccounted !== undefined) {
        issue.addIssue({
          code: 'custom',
          path: ['unaccounted'],
          message: `must be empty when the status is ${status}`,
        });
      }
    });
}

/** A row's date: null when the source gave none (precision `UNKNOWN`, or no date with it). */
function rowAsAt(row: CountsRow): AsAt | null {
  return row.asAt === undefined || row.precision === 'UNKNOWN' ? null : asAtOf(row.asAt, row.precision);
}

/** What makes two rows of one survey the same figure (see `Corroborations`). */
function sameFigure(figure: Figure): string {
  return JSON.stringify([
    figure.measure,
    figure.forceId,
    figure.basis,
    figure.status,
    figure.value,
    figure.lowerBound === true,
  ]);
}

/**
 * `counts` shape: one row per force and date. The headline (`unaccounted`, with its basis and status) and
 * the other scalar measures each become a figure.
 *
 * - A row with precision `UNKNOWN` (or no date and that precision) is a figure its source did not date:
 *   `asAt` null, shown but never selected for a date.
 * - A count written `>N` is a lower bound: a figure of value N marked `lowerBound`, never summed.
 * - Rows of one `survey` that state the same figure are one figure with corroborating citations; rows
 *   that disagree, or cite different publications for one force and date, are kept each with its own
 *   provenance (see `Corroborations`). The same publication stating two figures for one force, measure,
 *   basis and date is a broken payload.
 */
export function countsToReport(rows: readonly unknown[], ctx: ShapeContext): SourceReport {
  const requireHeadline = headlineRequired(ctx);
  const valid = validateRows(
    rows,
    ctx,
    SHAPE_FIELDS.counts,
    countsRowSchema(ctx),
    ctx.config.skipRowsMissing,
    (mapped) => plainCountsRow(mapped, ctx, requireHeadline),
  );
  const merged = new Corroborations<Figure>();
  // Repeats are judged per publication (two outlets may disagree about one date); messages name no citation.
  const keys: string[] = [];
  const labels: string[] = [];
  for (const row of valid) {
    const asAt = rowAsAt(row);
    const provenance = provenanceOf(ctx, row.title, row.url, { quote: row.quote, notes: row.notes });
    const add = (figure: Figure) => {
      const label = `${figure.measure}${figure.basis ? ` (${figure.basis})` : ''} for ${figure.forceId} as at ${figure.asAt?.date ?? 'no date'}`;
      labels.push(label);
      keys.push(`${label}\u0000${provenance.title}\u0000${provenance.url}`);
      merged.add(figure, row.survey, row.survey === undefined ? '' : sameFigure(figure), asAt);
    };
    const status = row.unaccountedStatus ?? (row.unaccounted !== undefined ? 'REPORTED' : undefined);
    if (status !== undefined) {
      const headline = status === 'REPORTED' ? boundedValue(row.unaccounted!) : null;
      add({
        forceId: row.forceId,
        measure: 'UNACCOUNTED',
        value: headline?.value ?? null,
        status,
        basis: row.basis ?? 'WHEREABOUTS_UNKNOWN',
        asAt,
        provenance,
        reason: null,
        ...(headline?.lowerBound && { lowerBound: true }),
      });
    }
    const scalar: Array<[Measure, number | LowerBound | undefined]> = [
      ['REGISTERED', row.registered],
      ['BREACHES_CAUTIONED_OR_CONVICTED', row.breachesCautionedOrConvicted],
      ['RETURNED_TO_CUSTODY', row.returnedToCustody],
    ];
    for (const [measure, count] of scalar) {
      if (count === undefined) continue;
      const { value, lowerBound } = boundedValue(count);
      add({
        forceId: row.forceId,
        measure,
        value,
        status: 'REPORTED',
        basis: null,
        asAt,
        provenance,
        reason: null,
        ...(lowerBound && { lowerBound: true }),
      });
    }
  }
  rejectDuplicates(keys, 'figure', (index) => labels[index]!);
  return { figures: merged.results(), breakdowns: [], publishedTotals: [] };
}
