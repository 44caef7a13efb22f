import { z } from 'zod';
import { SHAPE_FIELDS } from '../../config/schema';
import type { PublishedTotal, SourceReport } from '../../domain/figure';
import type { ShapeContext } from './common';
import {
  asAtOf,
  asAtTextSchema,
  countSchema,
  memoSchema,
  precisionSchema,
  provenanceOf,
  validateRows,
} from './common';

const schemas = new Map<string, ReturnType<typeof buildRowSchema>>();

function rowSchema(ctx: ShapeContext) {
  return memoSchema(schemas, ctx.numbers, () => buildRowSchema(ctx.numbers));
}

function buildRowSchema(numbers: ShapeContext['numbers']) {
  const count = countSchema(numbers);
  return z.object({
    scope: z.string().min(1),
    asAt: asAtTextSchema.optional(),
    precision: precisionSchema.optional(),
    measure: z
      .string()
      .min(1)
      .transform((m) => m.trim().toLowerCase()),
    value: count,
    forcesResponded: count.optional(),
    forcesAsked: count.optional(),
    notes: z.string().optional(),
    title: z.string().optional(),
    url: z.string().optional(),
  });
}

/** `totals` shape: national totals an investigation published, kept apart from our sums. */
export function totalsToReport(rows: readonly unknown[], ctx: ShapeContext): SourceReport {
  const valid = validateRows(rows, ctx, SHAPE_FIELDS.totals, rowSchema(ctx), ctx.config.skipRowsMissing);
  const publishedTotals: PublishedTotal[] = valid.map((row) => ({
    scope: row.scope,
    measure: row.measure,
    value: row.value,
    asAt: row.asAt === undefined || row.precision === 'UNKNOWN' ? null : asAtOf(row.asAt, row.precision),
    forcesResponded: row.forcesResponded ?? null,
    forcesAsked: row.forcesAsked ?? null,
    notes: row.notes ?? null,
    provenance: provenanceOf(ctx, row.title, row.url),
  }));
  return { figures: [], breakdowns: [], publishedTotals };
}
