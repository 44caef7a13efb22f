import fc from 'fast-check';
import type { SourceShape } from '../../../../src/config/schema';
import { SHAPE_FIELDS } from '../../../../src/config/schema';
import { SourceError } from '../../../../src/errors';
import { SHAPES } from '../../../../src/sources/shapes';
import { context } from './context';

/** Every generated text starts with this, so a leak is easy to spot in a message or a report. */
const MARK = 'QXZ';

const cell = fc.oneof(
  fc.string({ maxLength: 12 }).map((s) => `${MARK}${s}`),
  fc.constantFrom(
    'dorset',
    '2018-01-17',
    '2015-03',
    'DAY',
    'WANTED',
    'REPORTED',
    'year_went_missing',
    '5',
    '-1',
  ),
  fc.integer({ min: -5, max: 3000 }),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant({ nested: `${MARK}-object` }),
);

function rowArb(shape: SourceShape) {
  const fields = SHAPE_FIELDS[shape].filter(
    (f) => f !== 'title' && f !== 'url' && f !== 'notes' && f !== 'scope',
  );
  return fc.record(
    { ...Object.fromEntries(fields.map((f) => [`src_${f}`, cell])), name: fc.constant(`${MARK} John Smith`) },
    { requiredKeys: ['name'] },
  );
}

describe.each(['counts', 'breakdowns', 'records', 'totals'] as const)('the %s shape (property)', (shape) => {
  const fields = SHAPE_FIELDS[shape].filter(
    (f) => f !== 'title' && f !== 'url' && f !== 'notes' && f !== 'scope',
  );
  const ctx = (numbers: 'text' | 'native') =>
    context(
      {
        shape,
        mapping: Object.fromEntries(fields.map((f) => [f, `src_${f}`])),
        constants: shape === 'totals' ? { scope: 'UK' } : {},
      },
      { numbers, retrievedAt: '2018-01-20T10:00:00.000Z', forces: ['dorset'] },
    );

  it('either rejects a payload with UPSTREAM_INVALID_PAYLOAD that repeats no value, or passes nothing unmapped', () => {
    fc.assert(
      fc.property(
        fc.array(rowArb(shape), { minLength: 1, maxLength: 5 }),
        fc.constantFrom('text', 'native'),
        (rows, numbers) => {
          try {
            const report = SHAPES[shape](rows, ctx(numbers as 'text' | 'native'));
            expect(JSON.stringify(report)).not.toContain('John Smith');
            if (shape === 'records') expect(JSON.stringify(report)).not.toContain(MARK);
            for (const f of report.figures) {
              if (f.status === 'REPORTED') expect(Number.isInteger(f.value) && f.value! >= 0).toBe(true);
              else expect(f.value).toBeNull();
            }
          } catch (error) {
            expect(error).toBeInstanceOf(SourceError);
            const e = error as SourceError;
            expect(e.code).toBe('UPSTREAM_INVALID_PAYLOAD');
            expect(e.publicMessage).toMatch(/^validation failed: /);
            expect(e.publicMessage).not.toContain(MARK);
            expect(e.publicMessage).not.toContain('John Smith');
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
