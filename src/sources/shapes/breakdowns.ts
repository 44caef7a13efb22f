import { z } from 'zod';
import { SHAPE_FIELDS } from '../../config/schema';
import type { Breakdown, BreakdownCell, Dimension, Figure, Measure, SourceReport } from '../../domain/figure';
import { OFFENCE_CATEGORIES } from '../../domain/figure';
import type { ShapeContext } from './common';
import { MAX_TITLE_LENGTH, MAX_URL_LENGTH, upstreamTextSchema } from './upstream-text';
import {
  asAtOf,
  asAtTextSchema,
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

/**
 * Dimension names as sources write them, to ours. A scalar measure written as a one-cell breakdown
 * (category `all`) becomes a figure of that measure; a breakdown of returns to custody by MAPPA level
 * is its own dimension.
 */
const DIMENSION_NAMES: Record<string, { dimension: Dimension } | { measure: Measure }> = {
  YEAR_WENT_MISSING: { dimension: 'YEAR_WENT_MISSING' },
  OFFENCE_CATEGORY: { dimension: 'OFFENCE_CATEGORY' },
  MAPPA_LEVEL: { dimension: 'MAPPA_LEVEL' },
  YEARS_MISSING_AT_LEAST: { dimension: 'MISSING_FOR_AT_LEAST_YEARS' },
  MISSING_FOR_AT_LEAST_YEARS: { dimension: 'MISSING_FOR_AT_LEAST_YEARS' },
  RETURNED_TO_CUSTODY: { dimension: 'RETURNED_TO_CUSTODY_BY_MAPPA_LEVEL' },
  RETURNED_TO_CUSTODY_BY_MAPPA_LEVEL: { dimension: 'RETURNED_TO_CUSTODY_BY_MAPPA_LEVEL' },
  BREACHES_CAUTIONED_OR_CONVICTED: { measure: 'BREACHES_CAUTIONED_OR_CONVICTED' },
  REGISTERED: { measure: 'REGISTERED' },
};

const ALL = 'ALL';

/**
 * Categories each dimension accepts. Free text never passes: a category is a year, a level, a count of
 * years or an offence category, so nothing a source writes in a cell can carry personal data.
 */
const CATEGORY_RULES: Record<Dimension, { test: (c: string) => boolean; accepted: string }> = {
  YEAR_WENT_MISSING: { test: (c) => /^(19[5-9]\d|20\d\d)$/.test(c), accepted: 'a year from 1950' },
  OFFENCE_CATEGORY: {
    test: (c) => (OFFENCE_CATEGORIES as readonly string[]).includes(c),
    accepted: OFFENCE_CATEGORIES.join(', '),
  },
  MAPPA_LEVEL: { test: (c) => /^[123]$/.test(c), accepted: 'a MAPPA level 1, 2 or 3' },
  MISSING_FOR_AT_LEAST_YEARS: { test: (c) => /^\d{1,2}$/.test(c), accepted: 'a whole number of years' },
  RETURNED_TO_CUSTODY_BY_MAPPA_LEVEL: { test: (c) => /^[123]$/.test(c), accepted: 'a MAPPA level 1, 2 or 3' },
};

const schemas = new Map<string, ReturnType<typeof buildRowSchema>>();

function rowSchema(ctx: ShapeContext) {
  return memoSchema(schemas, ctx.numbers, () => buildRowSchema(ctx.numbers));
}

function buildRowSchema(numbers: ShapeContext['numbers']) {
  return z
    .object({
      forceId: forceIdSchema(),
      asAt: asAtTextSchema,
      precision: precisionSchema.optional(),
      dimension: z
        .string()
        .transform((s) =>
          s
            .trim()
            .toUpperCase()
            .replace(/[\s-]+/g, '_'),
        )
        .refine((d) => d in DIMENSION_NAMES, {
          message: `must be one of ${Object.keys(DIMENSION_NAMES).join(', ')} (any case)`,
        }),
      category: z
        .union([z.string(), z.number()])
        .transform((c) => String(c).trim())
        // "mappa_level_2" -> "2": the level is the category of a by-level dimension.
        .transform((c) => c.replace(/^mappa_level_/i, ''))
        .transform((c) => (c.toUpperCase() === ALL ? ALL : c.toUpperCase().replace(/[\s-]+/g, '_'))),
      value: countSchema(numbers).optional(),
      status: enumText(['REPORTED', 'WITHHELD', 'NOT_HELD'] as const).optional(),
      complete: z
        .union([z.boolean(), z.enum(['true', 'false', 'TRUE', 'FALSE', 'True', 'False'])])
        .transform((v) => v === true || String(v).toLowerCase() === 'true')
        .optional(),
      title: upstreamTextSchema(MAX_TITLE_LENGTH).optional(),
      url: upstreamTextSchema(MAX_URL_LENGTH).optional(),
    })
    .superRefine((row, issue) => {
      refuseFutureAsAt(row, issue);
      const target = DIMENSION_NAMES[row.dimension];
      if (target && 'dimension' in target && row.category !== ALL) {
        const rule = CATEGORY_RULES[target.dimension];
        if (!rule.test(row.category)) {
          issue.addIssue({
            code: 'custom',
            path: ['category'],
            message: `must be ${rule.accepted} (or "all") for this dimension`,
          });
        }
      }
      if (target && 'measure' in target && row.category !== ALL) {
        issue.addIssue({
          code: 'custom',
          path: ['category'],
          message: 'must be "all" for a measure written as a breakdown',
        });
      }
      const status = row.status ?? 'REPORTED';
      if (status === 'REPORTED' && row.value === undefined) {
        issue.addIssue({
          code: 'custom',
          path: ['value'],
          message: 'is required when the status is REPORTED',
        });
      }
      if (status !== 'REPORTED' && row.value !== undefined) {
        issue.addIssue({
          code: 'custom',
          path: ['value'],
          message: `must be empty when the status is ${status}`,
        });
      }
    });
}

/**
 * `breakdowns` shape: one row per cell. Cells of one force, date, source and dimension form one breakdown.
 * A row with category `all` and a non-reported status withholds the whole breakdown.
 */
export function breakdownsToReport(rows: readonly unknown[], ctx: ShapeContext): SourceReport {
  const valid = validateRows(rows, ctx, SHAPE_FIELDS.breakdowns, rowSchema(ctx), ctx.config.skipRowsMissing);
  const figures: Figure[] = [];
  const groups = new Map<
    string,
    { head: (typeof valid)[number]; dimension: Dimension; cells: BreakdownCell[] }
  >();
  for (const row of valid) {
    const target = DIMENSION_NAMES[row.dimension]!;
    const status = row.status ?? 'REPORTED';
    if ('measure' in target) {
      figures.push({
        forceId: row.forceId,
        measure: target.measure,
        value: row.value ?? null,
        status,
        basis: null,
        asAt: asAtOf(row.asAt, row.precision),
        provenance: provenanceOf(ctx, row.title, row.url),
        reason: null,
      });
      continue;
    }
    const key = `${row.forceId}|${row.asAt}|${target.dimension}`;
    const group = groups.get(key) ?? { head: row, dimension: target.dimension, cells: [] };
    group.cells.push({ category: row.category, value: row.value ?? null, status });
    groups.set(key, group);
  }
  const breakdowns: Breakdown[] = [...groups.values()].map(({ head, dimension, cells }) => {
    const withheldWhole = cells.length === 1 && cells[0]!.category === ALL && cells[0]!.status !== 'REPORTED';
    return {
      forceId: head.forceId,
      dimension,
      status: withheldWhole ? cells[0]!.status : 'REPORTED',
      complete: head.complete ?? false,
      asAt: asAtOf(head.asAt, head.precision),
      provenance: provenanceOf(ctx, head.title, head.url),
      cells: withheldWhole
        ? []
        : cells.sort((a, b) => a.category.localeCompare(b.category, 'en', { numeric: true })),
    };
  });
  rejectDuplicates(
    breakdowns.flatMap((b) =>
      b.cells.map((c) => `cell ${b.dimension}/${c.category} for ${b.forceId} as at ${b.asAt.date}`),
    ),
    'breakdown',
  );
  rejectDuplicates(
    figures.map((f) => `${f.measure} for ${f.forceId} as at ${f.asAt!.date}`),
    'figure',
  );
  return { figures, breakdowns, publishedTotals: [] };
}
