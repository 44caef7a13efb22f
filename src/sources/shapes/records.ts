import { z } from 'zod';
import { SHAPE_FIELDS } from '../../config/schema';
import type { Basis, Breakdown, Dimension, Figure, SourceReport } from '../../domain/figure';
import { BASES, OFFENCE_CATEGORIES } from '../../domain/figure';
import type { ShapeContext } from './common';
import {
  asAtOf,
  asAtTextSchema,
  enumText,
  forceIdSchema,
  memoSchema,
  precisionSchema,
  provenanceOf,
  refuseFutureAsAt,
  validateRows,
} from './common';

const schemas = new Map<string, ReturnType<typeof buildRowSchema>>();

function rowSchema(ctx: ShapeContext) {
  const maxYear = Number(ctx.retrievedAt.slice(0, 4));
  return memoSchema(schemas, `${ctx.numbers}|${maxYear}`, () => buildRowSchema(ctx.numbers, maxYear));
}

function buildRowSchema(numbers: ShapeContext['numbers'], maxYear: number) {
  const year = z
    .number()
    .int()
    .min(1950, 'must be a year from 1950')
    .max(maxYear, 'must not be in the future');
  return z
    .object({
      forceId: forceIdSchema(),
      asAt: asAtTextSchema.optional(),
      precision: precisionSchema.optional(),
      basis: enumText(BASES).optional(),
      yearWentMissing: (numbers === 'native'
        ? year
        : z
            .string()
            .regex(/^\d{4}$/, 'must be a year')
            .transform(Number)
            .pipe(year)
      ).optional(),
      offenceCategory: enumText(OFFENCE_CATEGORIES).optional(),
      mappaLevel: z
        .union([
          z.number(),
          z
            .string()
            .regex(/^[123]$/)
            .transform(Number),
        ])
        .pipe(z.number().int().min(1, 'must be 1, 2 or 3').max(3, 'must be 1, 2 or 3'))
        .optional(),
    })
    .superRefine((row, issue) => {
      refuseFutureAsAt(row, issue);
    });
}

type RecordRow = z.output<ReturnType<typeof rowSchema>>;

const BY: Array<[Dimension, (r: RecordRow) => string | undefined]> = [
  ['YEAR_WENT_MISSING', (r) => (r.yearWentMissing === undefined ? undefined : String(r.yearWentMissing))],
  ['OFFENCE_CATEGORY', (r) => r.offenceCategory],
  ['MAPPA_LEVEL', (r) => (r.mappaLevel === undefined ? undefined : String(r.mappaLevel))],
];

/**
 * `records` shape: anonymised individual records (year went missing, offence category, MAPPA level),
 * reduced to counts here. Only mapped fields are ever read (see `mapRow`), so a record that carries a
 * name or an address loses it at this boundary; nothing per-record is kept.
 *
 * A force the source is configured for (an explicit `forces` list) with no records reports zero.
 * Records without a date are as at the day they were retrieved.
 */
export function recordsToReport(rows: readonly unknown[], ctx: ShapeContext): SourceReport {
  const valid = validateRows(rows, ctx, SHAPE_FIELDS.records, rowSchema(ctx), ctx.config.skipRowsMissing);
  const today = ctx.retrievedAt.slice(0, 10);
  const groups = new Map<string, RecordRow[]>();
  if (ctx.config.forces !== '*') {
    for (const id of ctx.config.forces) groups.set(`${id}|${today}|`, []);
  }
  for (const row of valid) {
    const key = `${row.forceId}|${row.asAt ?? today}|${row.precision ?? ''}`;
    // A dated record replaces the zero placeholder of its force, never undated records already counted.
    const placeholder = `${row.forceId}|${today}|`;
    if (row.asAt !== undefined && groups.get(placeholder)?.length === 0) groups.delete(placeholder);
    const list = groups.get(key) ?? [];
    list.push(row);
    groups.set(key, list);
  }
  const provenance = provenanceOf(ctx);
  const figures: Figure[] = [];
  const breakdowns: Breakdown[] = [];
  for (const [key, records] of groups) {
    const [forceId, date, precision] = key.split('|') as [string, string, string];
    const asAt = asAtOf(date, precision || undefined);
    const bases = new Set(records.map((r) => r.basis ?? 'WHEREABOUTS_UNKNOWN'));
    // Records of mixed basis add up to one combined figure, as forces that give one figure do.
    const basis: Basis = bases.size > 1 ? 'MISSING_OR_WANTED' : ([...bases][0] ?? 'WHEREABOUTS_UNKNOWN');
    figures.push({
      forceId,
      measure: 'UNACCOUNTED',
      value: records.length,
      status: 'REPORTED',
      basis,
      asAt,
      provenance,
      reason: null,
    });
    for (const [dimension, categoryOf] of BY) {
      const counts = new Map<string, number>();
      let covered = 0;
      for (const record of records) {
        const category = categoryOf(record);
        if (category === undefined) continue;
        covered += 1;
        counts.set(category, (counts.get(category) ?? 0) + 1);
      }
      if (covered === 0) continue;
      breakdowns.push({
        forceId,
        dimension,
        status: 'REPORTED',
        complete: covered === records.length,
        asAt,
        provenance,
        cells: [...counts.entries()]
          .sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))
          .map(([category, value]) => ({ category, value, status: 'REPORTED' as const })),
      });
    }
  }
  return { figures, breakdowns, publishedTotals: [] };
}
