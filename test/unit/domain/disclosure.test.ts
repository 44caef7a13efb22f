import type { Breakdown, BreakdownCell } from '../../../src/domain/figure';
import { DISCLOSURE_DEFAULTS, protectBreakdown, protectBreakdowns } from '../../../src/domain/disclosure';
import { breakdown } from './builders';

const reported = (category: string, value: number): BreakdownCell => ({
  category,
  value,
  status: 'REPORTED',
});

/** A breakdown with these cells (category → value), all REPORTED. */
function cells(values: Record<string, number>, extra: Partial<Breakdown> = {}): Breakdown {
  return breakdown('dorset', '2018-01-17', {
    cells: Object.entries(values).map(([c, v]) => reported(c, v)),
    ...extra,
  });
}

/** category → value, or 'S' for a suppressed cell: the whole pattern at a glance. */
function pattern(b: Breakdown): Record<string, number | string | null> {
  return Object.fromEntries(b.cells.map((c) => [c.category, c.status === 'SUPPRESSED' ? 'S' : c.value]));
}

/** The pattern with every cell of `values` suppressed. */
const allHidden = (values: Record<string, number>): Record<string, string> =>
  Object.fromEntries(Object.keys(values).map((c) => [c, 'S']));

describe('DISCLOSURE_DEFAULTS', () => {
  it('treats 1 and 2 as small by default', () => {
    expect(DISCLOSURE_DEFAULTS.k).toBe(3);
  });
});

describe('protectBreakdown: Dorset, January 2018, by year went missing', () => {
  // "one ... has not been seen since 2014. Three went missing in 2016 and one in 2017"; headline 5.
  const dorset = cells({ '2014': 1, '2016': 3, '2017': 1 });
  const out = protectBreakdown(dorset, 5, { k: 3 });

  it('suppresses all three cells, since two are small', () => {
    expect(pattern(out)).toEqual({ '2014': 'S', '2016': 'S', '2017': 'S' });
    expect(out.cells.every((c) => c.value === null && c.status === 'SUPPRESSED')).toBe(true);
  });

  it('does not mutate its input', () => {
    expect(pattern(dorset)).toEqual({ '2014': 1, '2016': 3, '2017': 1 });
    expect(out).not.toBe(dorset);
    expect(out.forceId).toBe('dorset');
    expect(out.provenance).toEqual(dorset.provenance);
  });
});

describe('protectBreakdown: all or nothing', () => {
  it.each([
    [{ '2015': 5, '2016': 4, '2017': 1 }, 10],
    [{ '2014': 2, '2015': 9, '2016': 20, '2017': 14 }, 45],
    [{ '2013': 0, '2014': 1, '2015': 0, '2016': 12 }, 13],
    [{ '2014': 1, '2015': 9, '2016': 9, '2017': 14, '2018': 0 }, 33],
  ])('hides every cell, zeros and large cells included, when one cell is small: %j', (values, headline) => {
    expect(pattern(protectBreakdown(cells(values), headline))).toEqual(allHidden(values));
  });

  it.each([
    [{ '2015': 5, '2016': 4, '2017': 0 }, 9],
    [{ '2014': 0, '2015': 3, '2016': 7 }, 10],
    [{ '2014': 4, '2015': 3, '2016': 30 }, 37],
  ])('shows every cell as reported when none is small and the total is above k: %j', (values, headline) => {
    const input = cells(values);
    const out = protectBreakdown(input, headline);
    expect(out.cells).toEqual(input.cells);
    expect(out).not.toBe(input);
  });

  it('hides every cell when the headline is k itself: 3 + 0 of 3 would be shown while 1 + 2 was hidden', () => {
    expect(pattern(protectBreakdown(cells({ '2015': 3, '2016': 0 }), 3))).toEqual({
      '2015': 'S',
      '2016': 'S',
    });
  });

  it('shows 4 + 0 of 4 with k = 3: the total is above k and no cell is small', () => {
    expect(pattern(protectBreakdown(cells({ '2015': 4, '2016': 0 }), 4, { k: 3 }))).toEqual({
      '2015': 4,
      '2016': 0,
    });
  });

  it('hides every cell, zeros included, when the headline is from 1 to k-1', () => {
    expect(pattern(protectBreakdown(cells({ '2015': 0, '2016': 2 }), 2))).toEqual({
      '2015': 'S',
      '2016': 'S',
    });
  });

  it('leaves a headline of zero alone (nothing to disclose)', () => {
    expect(pattern(protectBreakdown(cells({ '2015': 0, '2016': 0 }), 0))).toEqual({ '2015': 0, '2016': 0 });
  });

  it('without a headline, uses the sum of a complete breakdown as the total', () => {
    expect(pattern(protectBreakdown(cells({ '2015': 3, '2016': 0 }), null))).toEqual({
      '2015': 'S',
      '2016': 'S',
    });
    expect(pattern(protectBreakdown(cells({ '2015': 4, '2016': 0 }), null))).toEqual({
      '2015': 4,
      '2016': 0,
    });
  });

  it('without a headline, still hides an incomplete breakdown with a small cell', () => {
    const input = cells({ a: 1, b: 5, c: 7 }, { complete: false });
    expect(pattern(protectBreakdown(input, null))).toEqual({ a: 'S', b: 'S', c: 'S' });
    expect(pattern(protectBreakdown(cells({ a: 3, b: 0 }, { complete: false }), null))).toEqual({
      a: 3,
      b: 0,
    });
  });

  it('hides a fraction below k, as a small count', () => {
    expect(pattern(protectBreakdown(cells({ a: 0.5, b: 9 }), 9.5))).toEqual({ a: 'S', b: 'S' });
  });
});

describe('protectBreakdown: k', () => {
  it('is configurable: with k = 5, 3 and 4 are small, with k = 3 they are not', () => {
    const input = cells({ '2014': 4, '2015': 3, '2016': 30 });
    expect(pattern(protectBreakdown(input, 37, { k: 3 }))).toEqual({ '2014': 4, '2015': 3, '2016': 30 });
    expect(pattern(protectBreakdown(input, 37, { k: 5 }))).toEqual({ '2014': 'S', '2015': 'S', '2016': 'S' });
  });

  it('applies to the headline too', () => {
    const input = cells({ '2015': 0, '2016': 4 });
    expect(pattern(protectBreakdown(input, 4, { k: 3 }))).toEqual({ '2015': 0, '2016': 4 });
    expect(pattern(protectBreakdown(input, 4, { k: 5 }))).toEqual({ '2015': 'S', '2016': 'S' });
  });

  it('rejects a threshold below 2 or a fraction', () => {
    expect(() => protectBreakdown(cells({ a: 1 }), 1, { k: 1 })).toThrow(RangeError);
    expect(() => protectBreakdown(cells({ a: 1 }), 1, { k: 2.5 })).toThrow(RangeError);
  });
});

describe('protectBreakdown: incomplete breakdowns', () => {
  const gmp = (values: Record<string, number>): Breakdown =>
    cells(values, { forceId: 'greater-manchester', complete: false });

  it('hides a lone small cell (one missing since 2006; the other 18 not broken down)', () => {
    expect(pattern(protectBreakdown(gmp({ '2006': 1 }), 19))).toEqual({ '2006': 'S' });
  });

  it('hides the zero with the small cell it sits beside', () => {
    expect(pattern(protectBreakdown(gmp({ '2006': 1, '2007': 0 }), 19))).toEqual({
      '2006': 'S',
      '2007': 'S',
    });
  });

  it('hides every cell when the part not broken down is small, since the reader gets it by subtraction', () => {
    expect(pattern(protectBreakdown(gmp({ '2006': 8, '2007': 9 }), 19))).toEqual({
      '2006': 'S',
      '2007': 'S',
    });
  });

  it('shows every cell when no cell and not the rest is small', () => {
    expect(pattern(protectBreakdown(gmp({ '2006': 8, '2007': 0 }), 19))).toEqual({ '2006': 8, '2007': 0 });
  });
});

describe('protectBreakdown: what it leaves alone', () => {
  it('passes a WITHHELD breakdown through unchanged (Dorset 2013, MAPPA levels)', () => {
    const withheld = breakdown('dorset', '2013-10-09', {
      dimension: 'MAPPA_LEVEL',
      status: 'WITHHELD',
      complete: false,
      cells: [{ category: 'all', value: null, status: 'WITHHELD' }],
    });
    expect(protectBreakdown(withheld, 5)).toEqual(withheld);
    expect(protectBreakdown(withheld, 2)).toEqual(withheld);
  });

  it('passes a NOT_HELD breakdown through unchanged', () => {
    const notHeld = breakdown('dorset', '2013-10-09', { status: 'NOT_HELD', cells: [] });
    expect(protectBreakdown(notHeld, 5)).toEqual(notHeld);
  });

  it('keeps cells the force withheld as they are and hides every reported one', () => {
    const input = breakdown('dorset', '2018-01-17', {
      cells: [
        reported('2014', 1),
        { category: '2015', value: null, status: 'WITHHELD' },
        reported('2016', 5),
        reported('2017', 8),
      ],
    });
    const out = protectBreakdown(input, 20);
    expect(pattern(out)).toEqual({ '2014': 'S', '2015': null, '2016': 'S', '2017': 'S' });
    expect(out.cells[1]).toEqual({ category: '2015', value: null, status: 'WITHHELD' });
  });
});

describe('protectBreakdown: cumulative dimensions (missing for at least N years)', () => {
  const cumulative = (values: Record<string, number>): Breakdown =>
    cells(values, { forceId: 'metropolitan', dimension: 'MISSING_FOR_AT_LEAST_YEARS', complete: false });

  it('leaves the Met’s "38 of the 227 missing for at least eight years" alone', () => {
    expect(pattern(protectBreakdown(cumulative({ '8': 38 }), 227))).toEqual({ '8': 38 });
  });

  it('hides every cell when two thresholds differ by 1..k-1 (one person between them)', () => {
    expect(pattern(protectBreakdown(cumulative({ '8': 38, '10': 37 }), 227))).toEqual({
      '8': 'S',
      '10': 'S',
    });
  });

  it('hides every cell when the headline minus a cell is small', () => {
    expect(pattern(protectBreakdown(cumulative({ '8': 225 }), 227))).toEqual({ '8': 'S' });
  });

  it('hides every cell when a cell is small', () => {
    expect(pattern(protectBreakdown(cumulative({ '8': 38, '20': 2 }), 227))).toEqual({ '8': 'S', '20': 'S' });
  });
});

describe('protectBreakdowns', () => {
  it('protects each breakdown against its own headline', () => {
    const dorset = cells({ '2014': 1, '2016': 3, '2017': 1 });
    const met = cells({ '8': 38 }, { forceId: 'metropolitan', dimension: 'MISSING_FOR_AT_LEAST_YEARS' });
    const headlines: Record<string, number> = { dorset: 5, metropolitan: 227 };
    const seen: string[] = [];
    const out = protectBreakdowns([dorset, met], (forceId, b) => {
      seen.push(`${forceId}:${b.dimension}`);
      return headlines[forceId] ?? null;
    });
    expect(out.map(pattern)).toEqual([{ '2014': 'S', '2016': 'S', '2017': 'S' }, { '8': 38 }]);
    expect(seen).toEqual(['dorset:YEAR_WENT_MISSING', 'metropolitan:MISSING_FOR_AT_LEAST_YEARS']);
  });
});
