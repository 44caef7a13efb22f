import { z } from 'zod';
import { SHAPE_FIELDS } from '../../config/schema';
import type { Figure, Measure, SourceReport } from '../../domain/figure';
import { BASES } from '../../domain/figure';
import type { ShapeContext } from './common';
import {
  asAtOf,
  asAtTextSchema,
  countSchema,
  enumText,
  forceIdSchema,
  memoSchema,
  precisionSchema,
  provenanceOf,
  rejectDuplicates,
  validateRows,
} from './common';

const REPORTABLE_STATUSES = ['REPORTED', 'WITHHELD', 'NOT_HELD'] as const;

const schemas = new Map<string, ReturnType<typeof buildRowSchema>>();

function rowSchema(ctx: ShapeContext) {
  // A source that maps the headline must give it (or a status) on every row: a row without it is a
  // renamed or dropped field, not a force with nothing to say.
  const { mapping, constants } = ctx.config;
  const requireHeadline = ['unaccounted', 'unaccountedStatus'].some((f) => f in mapping || f in constants);
  return memoSchema(schemas, `${ctx.numbers}|${requireHeadline}`, () =>
    buildRowSchema(ctx.numbers, requireHeadline),
  );
}

function buildRowSchema(numbers: ShapeContext['numbers'], requireHeadline: boolean) {
  const count = countSchema(numbers).optional();
  return z
    .object({
      forceId: forceIdSchema(),
      asAt: asAtTextSchema,
      precision: precisionSchema.optional(),
      basis: enumText(BASES).optional(),
      unaccounted: count,
      unaccountedStatus: enumText(REPORTABLE_STATUSES).optional(),
      registered: count,
      breachesCautionedOrConvicted: count,
      returnedToCustody: count,
      title: z.string().optional(),
      url: z.string().optional(),
    })
    .superRefine((row, issue) => {
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

/**
 * `counts` shape: one row per force and date. The headline (`unaccounted`, with its basis and status) and
 * the other scalar measures each become a figure.
 */
export function countsToReport(rows: readonly unknown[], ctx: ShapeContext): SourceReport {
  const valid = validateRows(rows, ctx, SHAPE_FIELDS.counts, rowSchema(ctx), ctx.config.skipRowsMissing);
  const figures: Figure[] = [];
  for (const row of valid) {
    const asAt = asAtOf(row.asAt, row.precision);
    const provenance = provenanceOf(ctx, row.title, row.url);
    const status = row.unaccountedStatus ?? (row.unaccounted !== undefined ? 'REPORTED' : undefined);
    if (status !== undefined) {
      figures.push({
        forceId: row.forceId,
        measure: 'UNACCOUNTED',
        value: status === 'REPORTED' ? row.unaccounted! : null,
        status,
        basis: row.basis ?? 'WHEREABOUTS_UNKNOWN',
        asAt,
        provenance,
        reason: null,
      });
    }
    const scalar: Array<[Measure, number | undefined]> = [
      ['REGISTERED', row.registered],
      ['BREACHES_CAUTIONED_OR_CONVICTED', row.breachesCautionedOrConvicted],
      ['RETURNED_TO_CUSTODY', row.returnedToCustody],
    ];
    for (const [measure, value] of scalar) {
      if (value === undefined) continue;
      figures.push({
        forceId: row.forceId,
        measure,
        value,
        status: 'REPORTED',
        basis: null,
        asAt,
        provenance,
        reason: null,
      });
    }
  }
  rejectDuplicates(
    figures.map((f) => `${f.measure} for ${f.forceId} as at ${f.asAt!.date}`),
    'figure',
  );
  return { figures, breakdowns: [], publishedTotals: [] };
}
