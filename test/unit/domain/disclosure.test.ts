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

/**
 * Every value a suppressed cell could take, for a reader who sees the visible cells and knows the
 * hidden cells add up to `hiddenTotal`; `primary` cells (as the strict reader knows them) lie in 1..k-1.
 * Plain enumeration: the examples here are small.
 */
function possible(
  out: Breakdown,
  hiddenTotal: number,
  k: number,
  primary: ReadonlySet<string>,
): Map<string, Set<number>> {
  const hidden = out.cells.filter((c) => c.status === 'SUPPRESSED').map((c) => c.category);
  const result = new Map(hidden.map((c) => [c, new Set<number>()]));
  const walk = (i: number, left: number, chosen: number[]): void => {
    if (i === hidden.length) {
      if (left === 0) chosen.forEach((v, j) => result.get(hidden[j]!)!.add(v));
      return;
    }
    const [lo, hi] = primary.has(hidden[i]!) ? [1, k - 1] : [0, left];
    for (let v = lo; v <= Math.min(hi, left); v++) walk(i + 1, left - v, [...chosen, v]);
  };
  walk(0, hiddenTotal, []);
  return result;
}

describe('DISCLOSURE_DEFAULTS', () => {
  it('suppresses 1 and 2 by default', () => {
    expect(DISCLOSURE_DEFAULTS.k).toBe(3);
  });
});

describe('protectBreakdown: Dorset, January 2018, by year went missing', () => {
  // "one ... has not been seen since 2014. Three went missing in 2016 and one in 2017"; headline 5.
  const dorset = cells({ '2014': 1, '2016': 3, '2017': 1 });
  const out = protectBreakdown(dorset, 5, { k: 3 });

  it('suppresses all three cells', () => {
    // 2014 and 2017 (1 each) are primary. Hiding only them leaves 2016 = 3 and a total of 5, so they
    // sum to 2; a reader who knows both are in 1..2 gets 1 and 1. 2016 is the only other cell, so it
    // is hidden too: the reader then knows only that three cells add up to 5.
    expect(pattern(out)).toEqual({ '2014': 'S', '2016': 'S', '2017': 'S' });
    expect(out.cells.every((c) => c.value === null)).toBe(true);
  });

  it('leaves every suppressed cell with at least two possible values, for either reader', () => {
    const generic = possible(out, 5, 3, new Set());
    const strict = possible(out, 5, 3, new Set(['2014', '2017']));
    for (const values of [...generic.values(), ...strict.values()])
      expect(values.size).toBeGreaterThanOrEqual(2);
    expect([...strict.get('2014')!].sort()).toEqual([1, 2]);
    expect([...strict.get('2016')!].sort()).toEqual([1, 2, 3]);
  });

  it('would have been recoverable with primary suppression alone', () => {
    // The check the fix is for: 2014 and 2017 hidden, 2016 shown.
    const naive: Breakdown = {
      ...dorset,
      cells: [
        { category: '2014', value: null, status: 'SUPPRESSED' },
        reported('2016', 3),
        { category: '2017', value: null, status: 'SUPPRESSED' },
      ],
    };
    const strict = possible(naive, 5 - 3, 3, new Set(['2014', '2017']));
    expect([...strict.get('2014')!]).toEqual([1]);
  });

  it('does not mutate its input', () => {
    expect(pattern(dorset)).toEqual({ '2014': 1, '2016': 3, '2017': 1 });
    expect(out).not.toBe(dorset);
    expect(out.forceId).toBe('dorset');
    expect(out.provenance).toEqual(dorset.provenance);
  });
});

describe('protectBreakdown: secondary suppression', () => {
  it('hides one small cell and the smallest cell of at least k, leaving the rest', () => {
    const out = protectBreakdown(cells({ '2014': 2, '2015': 9, '2016': 20, '2017': 14 }), 45);
    expect(pattern(out)).toEqual({ '2014': 'S', '2015': 'S', '2016': 20, '2017': 14 });
    // Hidden sum 11: 2014 is 1 or 2, 2015 is 9 or 10.
    const strict = possible(out, 11, 3, new Set(['2014']));
    expect([...strict.get('2014')!].sort((a, b) => a - b)).toEqual([1, 2]);
    expect([...strict.get('2015')!].sort((a, b) => a - b)).toEqual([9, 10]);
  });

  it('prefers a positive cell to a zero, and leaves zeros visible', () => {
    const out = protectBreakdown(cells({ '2013': 0, '2014': 1, '2015': 0, '2016': 12 }), 13);
    expect(pattern(out)).toEqual({ '2013': 0, '2014': 'S', '2015': 0, '2016': 'S' });
  });

  it('suppresses nothing when no cell is small; zero is not disclosive', () => {
    const input = cells({ '2014': 0, '2015': 3, '2016': 7 });
    expect(pattern(protectBreakdown(input, 10))).toEqual({ '2014': 0, '2015': 3, '2016': 7 });
  });

  it('lets two small cells protect each other when their sum leaves room', () => {
    // k = 5: 3 and 4 are primary and sum to 7; each could be 3 or 4 (both in 1..4), so 10 and 12 stay.
    const out = protectBreakdown(cells({ '2014': 3, '2015': 4, '2016': 10, '2017': 12 }), 29, { k: 5 });
    expect(pattern(out)).toEqual({ '2014': 'S', '2015': 'S', '2016': 10, '2017': 12 });
    const strict = possible(out, 7, 5, new Set(['2014', '2015']));
    expect([...strict.get('2014')!].sort()).toEqual([3, 4]);
  });

  it('k is configurable: with k = 5, 3 and 4 are small, with k = 3 they are not', () => {
    const input = cells({ '2014': 4, '2015': 3, '2016': 30 });
    expect(pattern(protectBreakdown(input, 37, { k: 3 }))).toEqual({ '2014': 4, '2015': 3, '2016': 30 });
    // Hidden 4 and 3 (sum 7): each in 1..4, so 3 or 4 each; still two values, 30 stays.
    expect(pattern(protectBreakdown(input, 37, { k: 5 }))).toEqual({ '2014': 'S', '2015': 'S', '2016': 30 });
  });

  it('hides more when the small cells are all 1 (each would be pinned at 1)', () => {
    const out = protectBreakdown(cells({ a: 1, b: 1, c: 6, d: 8 }), 16);
    expect(pattern(out)).toEqual({ a: 'S', b: 'S', c: 'S', d: 8 });
  });

  it('hides a zero when nothing else remains: it still hides the split', () => {
    // Incomplete (Greater Manchester style): 1 since 2006, 0 in 2007, the rest not broken down. A
    // reader who knows how many are broken down would read the lone hidden cell off; hiding the zero
    // as well leaves "the two add up to 1", which could be either.
    const gmp = cells({ '2006': 1, '2007': 0 }, { forceId: 'greater-manchester', complete: false });
    expect(pattern(protectBreakdown(gmp, 19))).toEqual({ '2006': 'S', '2007': 'S' });
  });

  it('does the best it can when nothing can protect a cell: a lone small cell', () => {
    // Greater Manchester 2018: "one has been missing since 2006"; the other 18 are not broken down.
    const gmp = cells({ '2006': 1 }, { forceId: 'greater-manchester', complete: false });
    expect(pattern(protectBreakdown(gmp, 19))).toEqual({ '2006': 'S' });
  });

  it('gives the same pattern whatever the order of the cells', () => {
    const a = cells({ '2014': 1, '2015': 9, '2016': 9, '2017': 14, '2018': 0 });
    const b = { ...a, cells: [...a.cells].reverse() };
    expect(pattern(protectBreakdown(a, 33))).toEqual(pattern(protectBreakdown(b, 33)));
    // Ties on value are broken by category: 2015 before 2016.
    expect(pattern(protectBreakdown(b, 33))).toEqual({
      '2014': 'S',
      '2015': 'S',
      '2016': 9,
      '2017': 14,
      '2018': 0,
    });
  });
});

describe('protectBreakdown: a tiny headline', () => {
  it('suppresses every cell, zeros included, when the headline is from 1 to k-1', () => {
    const out = protectBreakdown(cells({ '2015': 0, '2016': 2 }), 2);
    expect(pattern(out)).toEqual({ '2015': 'S', '2016': 'S' });
  });

  it('leaves a headline of zero alone (nothing to disclose)', () => {
    expect(pattern(protectBreakdown(cells({ '2015': 0, '2016': 0 }), 0))).toEqual({ '2015': 0, '2016': 0 });
  });

  it('applies k to the headline too', () => {
    const input = cells({ '2015': 0, '2016': 4 });
    expect(pattern(protectBreakdown(input, 4, { k: 3 }))).toEqual({ '2015': 0, '2016': 4 });
    expect(pattern(protectBreakdown(input, 4, { k: 5 }))).toEqual({ '2015': 'S', '2016': 'S' });
  });

  it('works without a headline (rules 1 and 2 only)', () => {
    expect(pattern(protectBreakdown(cells({ a: 1, b: 5, c: 7 }), null))).toEqual({ a: 'S', b: 'S', c: 7 });
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

  it('keeps cells the force withheld as they are and hides small reported ones', () => {
    const input = breakdown('dorset', '2018-01-17', {
      cells: [
        reported('2014', 1),
        { category: '2015', value: null, status: 'WITHHELD' },
        reported('2016', 5),
        reported('2017', 8),
      ],
    });
    expect(pattern(protectBreakdown(input, 20))).toEqual({
      '2014': 'S',
      '2015': null,
      '2016': 'S',
      '2017': 8,
    });
    expect(protectBreakdown(input, 20).cells[1]).toEqual({
      category: '2015',
      value: null,
      status: 'WITHHELD',
    });
  });

  it('rejects a threshold below 2 or a fraction', () => {
    expect(() => protectBreakdown(cells({ a: 1 }), 1, { k: 1 })).toThrow(RangeError);
    expect(() => protectBreakdown(cells({ a: 1 }), 1, { k: 2.5 })).toThrow(RangeError);
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
