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

describe('totals shape: lower bounds and one survey in several outlets', () => {
  const cited = () =>
    context(
      {
        shape: 'totals',
        mapping: { ...MAPPING, survey: 'survey', title: 'title', url: 'url', quote: 'quote' },
      },
      { numbers: 'text' },
    );

  it('reads ">31300" as a lower bound of 31300, marked as one', () => {
    const [total] = totalsToReport(
      [
        {
          scope: 'England and Wales',
          as_at_precision: 'UNKNOWN',
          measure: 'registered_rsos_mappa',
          value: '>31300',
          quote: 'The number of registered sex offenders rose by 3% to more than 31,300 last year',
        },
      ],
      cited(),
    ).publishedTotals;
    expect(total).toMatchObject({ value: 31300, lowerBound: true, asAt: null });
    expect(total?.provenance.quote).toBe(
      'The number of registered sex offenders rose by 3% to more than 31,300 last year',
    );
  });

  it('merges the same survey’s total from two outlets, keeping the first row’s date and forces', () => {
    const report = totalsToReport(
      [
        {
          scope: 'UK',
          as_at: '2015-03',
          as_at_precision: 'MONTH',
          measure: 'wanted_whereabouts_unknown',
          value: '396',
          forces_responded: '39',
          survey: 'pa-2015',
          title: 'Press Association FOI (BBC News, 10 Mar 2015)',
          url: 'https://www.bbc.co.uk/news/uk-31804999',
        },
        {
          scope: 'UK',
          as_at: '2015-02',
          as_at_precision: 'MONTH',
          measure: 'WANTED_WHEREABOUTS_UNKNOWN',
          value: '396',
          survey: 'pa-2015',
          title: 'Nearly 400 registered sex offenders are reported as missing in the UK (The Independent)',
          url: 'http://independent.co.uk/news/uk/crime/nearly-400-registered-sex-offenders-are-reported-as-missing-in-the-uk-police-figures-show-10097170.html',
          quote: '396 registered sex offenders are wanted by 39 regional forces',
        },
        // The same survey's other measure is its own total.
        { scope: 'UK', as_at: '2015-03', measure: 'registered', value: '396', survey: 'pa-2015', title: 'x' },
      ],
      cited(),
    );
    expect(report.publishedTotals.map((t) => [t.measure, t.value, t.asAt?.date, t.forcesResponded])).toEqual([
      ['wanted_whereabouts_unknown', 396, '2015-03', 39],
      ['registered', 396, '2015-03', null],
    ]);
    expect(report.publishedTotals[0]!.provenance.corroboratedBy).toEqual([
      {
        title: 'Nearly 400 registered sex offenders are reported as missing in the UK (The Independent)',
        url: 'http://independent.co.uk/news/uk/crime/nearly-400-registered-sex-offenders-are-reported-as-missing-in-the-uk-police-figures-show-10097170.html',
        asAt: '2015-02',
        quote: '396 registered sex offenders are wanted by 39 regional forces',
      },
    ]);
  });
});
