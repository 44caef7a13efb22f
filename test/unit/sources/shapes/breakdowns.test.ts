import { SourceError } from '../../../../src/errors';
import { breakdownsToReport } from '../../../../src/sources/shapes/breakdowns';
import { context, thrown } from './context';

const MAPPING = {
  forceId: 'force_id',
  asAt: 'as_at',
  precision: 'as_at_precision',
  dimension: 'dimension',
  category: 'category',
  value: 'value',
  status: 'status',
  complete: 'complete',
};
const ctx = (numbers: 'text' | 'native' = 'text') =>
  context({ shape: 'breakdowns', mapping: MAPPING }, { numbers });

function row(extra: Record<string, unknown>) {
  return { force_id: 'dorset', as_at: '2018-01-17', dimension: 'year_went_missing', ...extra };
}

describe('breakdowns shape: cells of one force, date and dimension form one breakdown', () => {
  it('groups cells and orders them by category, numerically', () => {
    const report = breakdownsToReport(
      [
        row({ category: '2017', value: '1', complete: 'true' }),
        row({ category: '2014', value: '1', complete: 'true' }),
        row({ category: '2016', value: '3', complete: 'true' }),
      ],
      ctx(),
    );
    expect(report.breakdowns).toHaveLength(1);
    expect(report.breakdowns[0]).toMatchObject({
      forceId: 'dorset',
      dimension: 'YEAR_WENT_MISSING',
      status: 'REPORTED',
      complete: true,
      cells: [
        { category: '2014', value: 1, status: 'REPORTED' },
        { category: '2016', value: 3, status: 'REPORTED' },
        { category: '2017', value: 1, status: 'REPORTED' },
      ],
    });
  });

  it('marks a breakdown incomplete unless the source says it covers the whole count', () => {
    const [b] = breakdownsToReport([row({ category: '2006', value: '1' })], ctx()).breakdowns;
    expect(b?.complete).toBe(false);
  });

  it('keeps a whole breakdown withheld when its only row is category "all" with a refusal', () => {
    const [b] = breakdownsToReport(
      [row({ dimension: 'MAPPA level', category: 'all', status: 'withheld', as_at: '2013-10-09' })],
      ctx(),
    ).breakdowns;
    expect(b).toMatchObject({ dimension: 'MAPPA_LEVEL', status: 'WITHHELD', cells: [] });
  });

  it('reads "mappa_level_2" as category 2 and normalises offence names', () => {
    const report = breakdownsToReport(
      [
        row({ dimension: 'mappa_level', category: 'mappa_level_2', value: '4' }),
        row({ dimension: 'offence-category', category: 'indecent images', value: '2' }),
      ],
      ctx(),
    );
    expect(report.breakdowns.map((b) => [b.dimension, b.cells.map((c) => c.category)])).toEqual([
      ['MAPPA_LEVEL', ['2']],
      ['OFFENCE_CATEGORY', ['INDECENT_IMAGES']],
    ]);
  });

  it('turns a one-cell breakdown of a scalar measure into a figure of that measure', () => {
    const report = breakdownsToReport(
      [row({ dimension: 'registered', category: 'all', value: '574' })],
      ctx(),
    );
    expect(report.breakdowns).toEqual([]);
    expect(report.figures).toMatchObject([
      { forceId: 'dorset', measure: 'REGISTERED', value: 574, status: 'REPORTED' },
    ]);
  });

  it('accepts native numbers and categories from JSON', () => {
    const [b] = breakdownsToReport(
      [row({ category: 2016, value: 3, complete: true })],
      ctx('native'),
    ).breakdowns;
    expect(b?.cells).toEqual([{ category: '2016', value: 3, status: 'REPORTED' }]);
    expect(b?.complete).toBe(true);
  });
});

describe('breakdowns shape: validation', () => {
  function message(rows: unknown[], numbers: 'text' | 'native' = 'text'): string {
    const error = thrown(() => breakdownsToReport(rows, ctx(numbers)));
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).code).toBe('UPSTREAM_INVALID_PAYLOAD');
    return (error as SourceError).publicMessage;
  }

  it('names the accepted dimensions', () => {
    expect(message([row({ dimension: 'shoe size', category: '9', value: '1' })])).toBe(
      'validation failed: row 1: field "dimension" must be one of YEAR_WENT_MISSING, OFFENCE_CATEGORY, MAPPA_LEVEL, YEARS_MISSING_AT_LEAST, MISSING_FOR_AT_LEAST_YEARS, RETURNED_TO_CUSTODY, RETURNED_TO_CUSTODY_BY_MAPPA_LEVEL, BREACHES_CAUTIONED_OR_CONVICTED, REGISTERED (any case)',
    );
  });

  it('rejects a negative cell and a JSON cell sent as text', () => {
    expect(message([row({ category: '2016', value: '-3' })])).toBe(
      'validation failed: row 1: field "value" must be a whole number of 0 or more',
    );
    expect(message([row({ category: '2016', value: '3' })], 'native')).toBe(
      'validation failed: row 1: field "value" must be a whole number of 0 or more, sent as a number',
    );
  });

  it('rejects a reported cell without a value and a refused cell with one', () => {
    expect(message([row({ category: '2016' })])).toBe(
      'validation failed: row 1: field "value" is required when the status is REPORTED',
    );
    expect(message([row({ category: '2016', value: '3', status: 'NOT_HELD' })])).toBe(
      'validation failed: row 1: field "value" must be empty when the status is NOT_HELD',
    );
  });

  it('rejects the same cell stated twice', () => {
    expect(message([row({ category: '2016', value: '3' }), row({ category: '2016', value: '4' })])).toBe(
      'validation failed: duplicate breakdown cell YEAR_WENT_MISSING/2016 for dorset as at 2018-01-17',
    );
  });
});
