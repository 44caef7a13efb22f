import { SourceError } from '../../../../src/errors';
import { totalsToReport } from '../../../../src/sources/shapes/totals';
import { context, thrown } from './context';

const MAPPING = {
  scope: 'scope',
  asAt: 'as_at',
  precision: 'as_at_precision',
  measure: 'measure',
  value: 'value',
  forcesResponded: 'forces_responded',
  forcesAsked: 'forces_asked',
  notes: 'notes',
};
const ctx = () => context({ shape: 'totals', mapping: MAPPING }, { numbers: 'text' });

describe('totals shape: national totals published by investigations', () => {
  it('keeps a total with how many forces responded, apart from any figure', () => {
    const report = totalsToReport(
      [
        {
          scope: 'UK',
          as_at: '2018-01-17',
          as_at_precision: 'DAY',
          measure: 'Whereabouts_Unknown',
          value: '485',
          forces_responded: '41',
          forces_asked: '45',
        },
      ],
      ctx(),
    );
    expect(report.figures).toEqual([]);
    expect(report.publishedTotals).toMatchObject([
      {
        scope: 'UK',
        measure: 'whereabouts_unknown',
        value: 485,
        forcesResponded: 41,
        forcesAsked: 45,
        notes: null,
        asAt: { date: '2018-01-17', precision: 'DAY' },
      },
    ]);
  });

  it('leaves a total undated when its precision is UNKNOWN or it has no date', () => {
    const report = totalsToReport(
      [
        { scope: 'Great Britain', as_at_precision: 'UNKNOWN', measure: 'whereabouts_unknown', value: '316' },
        { scope: 'UK', as_at: '2015', as_at_precision: 'unknown', measure: 'x', value: '1' },
      ],
      ctx(),
    );
    expect(report.publishedTotals.map((t) => t.asAt)).toEqual([null, null]);
  });

  it('rejects a total without a value, naming the field', () => {
    const error = thrown(() =>
      totalsToReport([{ scope: 'UK', measure: 'whereabouts_unknown' }], ctx()),
    ) as SourceError;
    expect(error).toBeInstanceOf(SourceError);
    expect(error.publicMessage).toBe(
      'validation failed: row 1: field "value" must be a whole number of 0 or more',
    );
  });

  it('rejects an unknown precision, naming the accepted ones', () => {
    const error = thrown(() =>
      totalsToReport(
        [{ scope: 'UK', as_at: '2015', as_at_precision: 'decade', measure: 'm', value: '1' }],
        ctx(),
      ),
    ) as SourceError;
    expect(error.publicMessage).toBe(
      'validation failed: row 1: field "precision" (source field "as_at_precision") must be one of DAY, MONTH, YEAR',
    );
  });
});
