import { z } from 'zod';
import { SHAPE_FIELDS } from '../../config/schema';
import type { PublishedTotal, SourceReport } from '../../domain/figure';
import type { ShapeContext } from './common';
import {
  MAX_LABEL_LENGTH,
  MAX_NOTES_LENGTH,
  MAX_QUOTE_LENGTH,
  MAX_TITLE_LENGTH,
  MAX_URL_LENGTH,
  requiredUpstreamTextSchema,
  upstreamTextSchema,
} from './upstream-text';
import {
  Corroborations,
  asAtOf,
  asAtTextSchema,
  boundedValue,
  countOrLowerBoundSchema,
  countSchema,
  memoSchema,
  precisionSchema,
  provenanceOf,
  refuseFutureAsAt,
  validateRows,
} from './common';

const schemas = new Map<string, ReturnType<typeof buildRowSchema>>();

function rowSchema(ctx: ShapeContext) {
  return memoSchema(schemas, ctx.numbers, () => buildRowSchema(ctx.numbers));
}

function buildRowSchema(numbers: ShapeContext['numbers']) {
  const count = countSchema(numbers);
  return z
    .object({
      scope: requiredUpstreamTextSchema(MAX_LABEL_LENGTH),
      asAt: asAtTextSchema.optional(),
      precision: precisionSchema.optional(),
      measure: requiredUpstreamTextSchema(MAX_LABEL_LENGTH).transform((m) => m.toLowerCase()),
      value: countOrLowerBoundSchema(numbers),
      forcesResponded: count.optional(),
      forcesAsked: count.optional(),
      notes: upstreamTextSchema(MAX_NOTES_LENGTH).optional(),
      survey: upstreamTextSchema(MAX_LABEL_LENGTH).optional(),
      title: upstreamTextSchema(MAX_TITLE_LENGTH).optional(),
      url: upstreamTextSchema(MAX_URL_LENGTH).optional(),
      quote: upstreamTextSchema(MAX_QUOTE_LENGTH).optional(),
    })
    .superRefine((row, issue) => {
      refuseFutureAsAt(row, issue);
    });
}

/**
 * `totals` shape: national totals an investigation published, kept apart from our sums. A value written
 * `>N` is a lower bound (`lowerBound`). Rows of one `survey` giving the same measure and value are one
 * total with corroborating citations (see `Corroborations`): the first row's scope, date and counts of
 * forces are the total's.
 */
export function totalsToReport(rows: readonly unknown[], ctx: ShapeContext): SourceReport {
  const valid = validateRows(rows, ctx, SHAPE_FIELDS.totals, rowSchema(ctx), ctx.config.skipRowsMissing);
  const merged = new Corroborations<PublishedTotal>();
  for (const row of valid) {
    const { value, lowerBound } = boundedValue(row.value);
    const asAt =
      row.asAt === undefined || row.precision === 'UNKNOWN' ? null : asAtOf(row.asAt, row.precision);
    const total: PublishedTotal = {
      scope: row.scope,
      measure: row.measure,
      value,
      asAt,
      forcesResponded: row.forcesResponded ?? null,
      forcesAsked: row.forcesAsked ?? null,
      notes: row.notes ?? null,
      provenance: provenanceOf(ctx, row.title, row.url, { quote: row.quote }),
      ...(lowerBound && { lowerBound: true }),
    };
    merged.add(total, row.survey, JSON.stringify([row.measure, value, lowerBound]), asAt);
  }
  return { figures: [], breakdowns: [], publishedTotals: merged.results() };
}
