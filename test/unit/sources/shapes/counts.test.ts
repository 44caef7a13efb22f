import { SourceError } from '../../../../src/errors';
import { countsToReport } from '../../../../src/sources/shapes/counts';
import { context, thrown } from './context';

const FULL_MAPPING = {
  forceId: 'force',
  asAt: 'date',
  precision: 'precision',
  basis: 'basis',
  unaccounted: 'value',
  unaccountedStatus: 'status',
  registered: 'registered',
  breachesCautionedOrConvicted: 'breaches',
  returnedToCustody: 'returned',
};

function invalid(rows: unknown[], ...args: Parameters<typeof context>): SourceError {
  const error = thrown(() => countsToReport(rows, context(...args)));
  expect(error).toBeInstanceOf(SourceError);
  expect((error as SourceError).code).toBe('UPSTREAM_INVALID_PAYLOAD');
  return error as SourceError;
}

describe('counts shape: rows become figures', () => {
  it('turns a row into a REPORTED headline figure with basis, date and the source’s provenance', () => {
    const report = countsToReport([{ force: 'dorset', date: '2018-01-17', value: 5 }], context());
    expect(report).toEqual({
      figures: [
        {
          forceId: 'dorset',
          measure: 'UNACCOUNTED',
          value: 5,
          status: 'REPORTED',
          basis: 'WHEREABOUTS_UNKNOWN',
          asAt: { date: '2018-01-17', precision: 'DAY', start: '2018-01-17', end: '2018-01-17' },
          provenance: {
            sourceId: 'test-source',
            title: 'Test force feed',
            url: 'https://force.example/about',
            retrievedAt: '2018-01-20T10:00:00.000Z',
            simulated: false,
          },
          reason: null,
        },
      ],
      breakdowns: [],
      publishedTotals: [],
    });
  });

  it('reads zero as a reported value, not a missing one', () => {
    const [fig] = countsToReport([{ force: 'dorset', date: '2018-01-17', value: 0 }], context()).figures;
    expect(fig).toMatchObject({ value: 0, status: 'REPORTED' });
  });

  it('makes each other scalar measure its own figure', () => {
    const report = countsToReport(
      [
        {
          force: 'dorset',
          date: '2013-10-09',
          value: 5,
          basis: 'missing or wanted',
          registered: 574,
          breaches: 3,
          returned: 1,
        },
      ],
      context({ mapping: FULL_MAPPING }),
    );
    expect(report.figures.map((f) => [f.measure, f.value, f.basis])).toEqual([
      ['UNACCOUNTED', 5, 'MISSING_OR_WANTED'],
      ['REGISTERED', 574, null],
      ['BREACHES_CAUTIONED_OR_CONVICTED', 3, null],
      ['RETURNED_TO_CUSTODY', 1, null],
    ]);
  });

  it('keeps a refusal as a WITHHELD figure with no value', () => {
    const [fig] = countsToReport(
      [{ force: 'dorset', date: '2018-01-17', status: 'withheld' }],
      context({ mapping: FULL_MAPPING }),
    ).figures;
    expect(fig).toMatchObject({ status: 'WITHHELD', value: null, basis: 'WHEREABOUTS_UNKNOWN' });
  });

  it('makes no headline figure from a source that maps only registered RSOs', () => {
    const report = countsToReport(
      [{ force: 'dorset', date: '2017-03-31', registered: 798 }],
      context({ mapping: { forceId: 'force', asAt: 'date', registered: 'registered' } }),
    );
    expect(report.figures.map((f) => f.measure)).toEqual(['REGISTERED']);
  });

  it('rejects a row without its headline when the source maps one (a renamed or dropped field)', () => {
    expect(() =>
      countsToReport(
        [{ force: 'dorset', date: '2017-03-31', registered: 798 }],
        context({ mapping: FULL_MAPPING }),
      ),
    ).toThrow(
      'validation failed: row 1: field "unaccounted" (source field "value") is missing (give a count, or a status such as WITHHELD)',
    );
  });

  it('dates a figure at the precision the source gives', () => {
    const [fig] = countsToReport(
      [{ force: 'metropolitan', date: '2015-03-10', precision: 'month', value: 167 }],
      context({ mapping: FULL_MAPPING }),
    ).figures;
    expect(fig?.asAt).toEqual({
      date: '2015-03',
      precision: 'MONTH',
      start: '2015-03-01',
      end: '2015-03-31',
    });
  });

  it('takes fixed values from constants (a single-force feed need not name its force)', () => {
    const [fig] = countsToReport(
      [{ date: '2018-01-17', value: 5 }],
      context({
        mapping: { asAt: 'date', unaccounted: 'value' },
        constants: { forceId: 'dorset', basis: 'WANTED' },
      }),
    ).figures;
    expect(fig).toMatchObject({ forceId: 'dorset', basis: 'WANTED' });
  });

  it('reads a row’s own citation, and keeps a citation that is not a web address readable', () => {
    const mapping = { ...FULL_MAPPING, title: 'cite', url: 'link' };
    const [web] = countsToReport(
      [{ force: 'dorset', date: '2018-01-17', value: 5, cite: 'Echo', link: 'https://echo.example/a' }],
      context({ mapping }),
    ).figures;
    expect(web?.provenance).toMatchObject({ title: 'Echo', url: 'https://echo.example/a' });
    const [path] = countsToReport(
      [{ force: 'dorset', date: '2018-01-17', value: 5, cite: 'Echo', link: 'data/echo.csv' }],
      context({ mapping }),
    ).figures;
    expect(path?.provenance).toMatchObject({ title: 'Echo (data/echo.csv)', url: null });
  });

  it('labels a simulated source’s figures as simulated', () => {
    const [fig] = countsToReport(
      [{ force: 'dorset', date: '2018-01-17', value: 5 }],
      context({ simulated: true }),
    ).figures;
    expect(fig?.provenance.simulated).toBe(true);
  });
});

describe('counts shape: numbers', () => {
  it('accepts CSV digit strings, since CSV has no numbers', () => {
    const [fig] = countsToReport(
      [{ force: 'dorset', date: '2018-01-17', value: '227' }],
      context({}, { numbers: 'text' }),
    ).figures;
    expect(fig?.value).toBe(227);
  });

  it('rejects a JSON number sent as text (schema drift), naming row and field but not the value', () => {
    const error = invalid([
      { force: 'dorset', date: '2018-01-17', value: 5 },
      { force: 'hampshire', date: '2018-01-17', value: '7' },
    ]);
    expect(error.publicMessage).toBe(
      'validation failed: row 2: field "unaccounted" (source field "value") must be a whole number of 0 or more, sent as a number',
    );
  });

  it('rejects a negative count', () => {
    expect(invalid([{ force: 'dorset', date: '2018-01-17', value: -1 }]).publicMessage).toBe(
      'validation failed: row 1: field "unaccounted" (source field "value") must be a whole number of 0 or more',
    );
  });

  it('rejects a fractional count', () => {
    expect(invalid([{ force: 'dorset', date: '2018-01-17', value: 1.5 }]).publicMessage).toBe(
      'validation failed: row 1: field "unaccounted" (source field "value") must be a whole number of 0 or more',
    );
  });

  it.each(['-1', '1.5', '1e3', '12abc', '123456789'])('rejects the CSV cell %j', (cell) => {
    expect(
      invalid([{ force: 'dorset', date: '2018-01-17', value: cell }], {}, { numbers: 'text' }).publicMessage,
    ).toBe(
      'validation failed: row 1: field "unaccounted" (source field "value") must be a whole number of 0 or more',
    );
  });

  it('rejects an implausibly large count', () => {
    expect(invalid([{ force: 'dorset', date: '2018-01-17', value: 10_000_001 }]).publicMessage).toBe(
      'validation failed: row 1: field "unaccounted" (source field "value") is implausibly large',
    );
  });
});

describe('counts shape: a payload with any invalid row is rejected whole', () => {
  it('uses nothing from a payload when one row of many is bad', () => {
    const rows = [
      { force: 'dorset', date: '2018-01-17', value: 5 },
      { force: 'hampshire', date: '2018-01-17', value: 7 },
      { force: 'metropolitan', date: '2018-01-17', value: -227 },
    ];
    expect(invalid(rows).publicMessage).toMatch(/^validation failed: row 3: /);
  });

  it('rejects a force the source does not cover', () => {
    expect(invalid([{ force: 'atlantis', date: '2018-01-17', value: 5 }]).publicMessage).toBe(
      'validation failed: row 1: field "forceId" (source field "force") is not a force this source covers (or not in the registry)',
    );
  });

  it('rejects a date that is not on the calendar, naming the accepted formats', () => {
    expect(invalid([{ force: 'dorset', date: '2018-02-30', value: 5 }]).publicMessage).toBe(
      'validation failed: row 1: field "asAt" (source field "date") must be a date: YYYY-MM-DD (day), YYYY-MM (month) or YYYY (year)',
    );
  });

  it('rejects a missing date', () => {
    expect(invalid([{ force: 'dorset', value: 5 }]).publicMessage).toMatch(
      /^validation failed: row 1: field "asAt" \(source field "date"\) must be a date/,
    );
  });

  it('rejects a row that is not an object', () => {
    expect(invalid([{ force: 'dorset', date: '2018-01-17', value: 5 }, 'dorset,5']).publicMessage).toBe(
      'validation failed: row 2 is not an object',
    );
  });

  it('rejects the same figure stated twice', () => {
    expect(
      invalid([
        { force: 'dorset', date: '2018-01-17', value: 5 },
        { force: 'dorset', date: '2018-01-17', value: 6 },
      ]).publicMessage,
    ).toBe(
      'validation failed: duplicate figure UNACCOUNTED (WHEREABOUTS_UNKNOWN) for dorset as at 2018-01-17',
    );
  });

  it('rejects one publication stating the same figure twice, even within a survey', () => {
    const mapping = { ...CITED_MAPPING };
    expect(
      invalid(
        [
          { ...PA_STAMFORD, value: 7 },
          { ...PA_STAMFORD, value: 7 },
        ],
        { mapping },
        { numbers: 'text', forces: ['lincolnshire'] },
      ).publicMessage,
    ).toBe(
      'validation failed: duplicate figure UNACCOUNTED (WHEREABOUTS_UNKNOWN) for lincolnshire as at 2015-02',
    );
  });

  it('rejects a value given with a refusal, and a REPORTED status without a value', () => {
    const ctx = { mapping: FULL_MAPPING };
    expect(
      invalid([{ force: 'dorset', date: '2018-01-17', status: 'WITHHELD', value: 5 }], ctx).publicMessage,
    ).toBe(
      'validation failed: row 1: field "unaccounted" (source field "value") must be empty when the status is WITHHELD',
    );
    expect(invalid([{ force: 'dorset', date: '2018-01-17', status: 'REPORTED' }], ctx).publicMessage).toBe(
      'validation failed: row 1: field "unaccounted" (source field "value") is required when the status is REPORTED',
    );
  });

  it('names at most three problems and counts the rest', () => {
    const rows = Array.from({ length: 5 }, () => ({ force: 'dorset', date: '2018-01-17', value: -1 }));
    const message = invalid(rows).publicMessage;
    expect(message).toMatch(/^validation failed: row 1: .*; row 2: .*; row 3: .*; and 2 more$/);
  });

  it('never repeats an invalid value in its message', () => {
    const secret = 'John Smith, 1 High Street';
    const message = invalid(
      [{ force: secret, date: secret, value: secret, basis: secret, status: secret, registered: secret }],
      { mapping: FULL_MAPPING },
    ).publicMessage;
    expect(message).not.toContain('John');
    expect(message).not.toContain('High Street');
    expect(message).toMatch(/^validation failed: row 1: field "forceId"/);
  });

  it('skips rows missing a field listed in skipRowsMissing, rather than rejecting them', () => {
    const report = countsToReport(
      [
        { date: '2018-01-17', value: 36921 },
        { force: 'dorset', date: '2018-01-17', value: 5 },
      ],
      context({ skipRowsMissing: ['forceId'] }),
    );
    expect(report.figures.map((f) => f.forceId)).toEqual(['dorset']);
  });
});

/** The bundled published-figures mapping: a row's own citation, quote, notes and survey. */
const CITED_MAPPING = {
  forceId: 'force_id',
  asAt: 'as_at',
  precision: 'as_at_precision',
  basis: 'basis',
  unaccounted: 'value',
  registered: 'registered',
  survey: 'survey',
  title: 'source_title',
  url: 'source_url',
  quote: 'quote',
  notes: 'notes',
};

/** Lincolnshire in the Press Association's 2015 survey, as the Stamford Mercury gave it. */
const PA_STAMFORD = {
  force_id: 'lincolnshire',
  as_at: '2015-02',
  as_at_precision: 'MONTH',
  basis: 'WHEREABOUTS_UNKNOWN',
  survey: 'pa-2015',
  source_title: "Sex offenders are 'missing' (Stamford Mercury)",
  source_url: 'https://www.stamfordmercury.co.uk/news/crime/sex-offenders-are-missing-1-6632620',
  quote: 'Lincolnshire Police said the whereabouts of seven registered sex offenders were unknown.',
};

function cited(
  rows: Array<Record<string, string>>,
  forces = ['lincolnshire', 'cambridgeshire', 'metropolitan'],
) {
  return countsToReport(rows, context({ mapping: CITED_MAPPING }, { numbers: 'text', forces }));
}

describe('counts shape: one survey reported by several outlets is one figure', () => {
  const bbc = {
    force_id: 'cambridgeshire',
    as_at: '2015-03',
    as_at_precision: 'MONTH',
    basis: 'WHEREABOUTS_UNKNOWN',
    value: '10',
    survey: 'pa-2015',
    source_title: 'Press Association FOI - Cambs Times',
    source_url: 'https://www.cambstimes.co.uk/news/cambridgeshire-loses-10',
  };
  const stamford = {
    ...bbc,
    as_at: '2015-02',
    source_title: "Sex offenders are 'missing' (Stamford Mercury)",
    source_url: 'https://www.stamfordmercury.co.uk/news/crime/sex-offenders-are-missing-1-6632620',
    quote:
      'Cambridgeshire Police said 10 registered sex offenders were wanted because their whereabouts were unknown.',
  };

  it('keeps the first row’s figure and date, and the other outlet (with its own date) as a corroborating citation', () => {
    const { figures } = cited([bbc, stamford]);
    expect(figures).toHaveLength(1);
    expect(figures[0]).toMatchObject({
      forceId: 'cambridgeshire',
      value: 10,
      asAt: { date: '2015-03', precision: 'MONTH' },
      provenance: {
        title: 'Press Association FOI - Cambs Times',
        corroboratedBy: [
          {
            title: "Sex offenders are 'missing' (Stamford Mercury)",
            url: 'https://www.stamfordmercury.co.uk/news/crime/sex-offenders-are-missing-1-6632620',
            asAt: '2015-02',
            quote: stamford.quote,
          },
        ],
      },
    });
  });

  it('keeps two rows of one survey that disagree as two figures, each with its own provenance', () => {
    const { figures } = cited([bbc, { ...stamford, value: '11' }]);
    expect(figures.map((f) => [f.value, f.provenance.title, f.provenance.corroboratedBy])).toEqual([
      [10, 'Press Association FOI - Cambs Times', undefined],
      [11, "Sex offenders are 'missing' (Stamford Mercury)", undefined],
    ]);
  });

  it('never merges rows without a survey: two outlets on one date are two figures', () => {
    const { figures } = cited([
      { ...bbc, survey: '' },
      { ...stamford, as_at: '2015-03', survey: '' },
    ]);
    expect(figures).toHaveLength(2);
    expect(figures.every((f) => f.provenance.corroboratedBy === undefined)).toBe(true);
  });

  it('merges each measure on its own: the same registered count corroborated, a different one kept', () => {
    const { figures } = cited([
      { ...bbc, registered: '4775' },
      { ...stamford, registered: '4775' },
    ]);
    expect(figures.map((f) => [f.measure, f.provenance.corroboratedBy?.length])).toEqual([
      ['UNACCOUNTED', 1],
      ['REGISTERED', 1],
    ]);
  });

  it('carries a row’s quote and notes in its provenance, and leaves them out when it gives none', () => {
    const [withQuote] = cited([{ ...PA_STAMFORD, value: '7', notes: 'PA FOI survey 2015' }]).figures;
    expect(withQuote?.provenance).toMatchObject({ quote: PA_STAMFORD.quote, notes: 'PA FOI survey 2015' });
    const [plain] = cited([{ ...bbc }]).figures;
    expect(Object.keys(plain!.provenance).sort()).toEqual([
      'retrievedAt',
      'simulated',
      'sourceId',
      'title',
      'url',
    ]);
  });
});

describe('counts shape: bases, dates the source did not give, and lower bounds', () => {
  it('keeps two bases for one force and date as two figures (the Met: 63 missing, 96 wanted)', () => {
    const gla = {
      force_id: 'metropolitan',
      as_at: '2013-11',
      as_at_precision: 'MONTH',
      survey: 'gla-foi-2013-11',
      source_title: 'Rapists and paedophiles lost in London whilst on supervision (GLA Conservatives blog)',
      source_url: 'http://glaconservatives.co.uk/blog/rapists-paedophiles-lost-london-whilst-supervision/',
    };
    const { figures } = cited([
      { ...gla, basis: 'WHEREABOUTS_UNKNOWN', value: '63' },
      { ...gla, basis: 'WANTED', value: '96' },
    ]);
    expect(figures.map((f) => [f.basis, f.value])).toEqual([
      ['WHEREABOUTS_UNKNOWN', 63],
      ['WANTED', 96],
    ]);
  });

  it('makes a row with precision UNKNOWN an undated figure, with or without a date written', () => {
    const sun = {
      force_id: 'metropolitan',
      as_at_precision: 'UNKNOWN',
      basis: 'WHEREABOUTS_UNKNOWN',
      value: '128',
      source_title: 'Sex offender monitoring defended with 300 missing (Yorkshire Post; Sun FOI survey)',
      source_url:
        'https://www.yorkshirepost.co.uk/news/sex-offender-monitoring-defended-with-300-missing-1977325',
    };
    const [undated] = cited([{ ...sun, as_at: '' }]).figures;
    expect(undated).toMatchObject({ value: 128, status: 'REPORTED', asAt: null });
    const [estimate] = cited([{ ...sun, as_at: '2010' }]).figures;
    expect(estimate?.asAt).toBeNull();
  });

  it('still rejects a row with no date and no UNKNOWN precision (a dropped field, not an undated figure)', () => {
    expect(
      invalid([{ force_id: 'metropolitan', value: '121' }], { mapping: CITED_MAPPING }, { numbers: 'text' })
        .publicMessage,
    ).toBe(
      'validation failed: row 1: field "asAt" (source field "as_at") must be a date: YYYY-MM-DD (day), YYYY-MM (month) or YYYY (year) (or give precision UNKNOWN for a figure the source did not date)',
    );
  });

  it('reads ">N" as a lower bound: value N, marked, for the headline and the registered count', () => {
    const { figures } = countsToReport(
      [{ force: 'dorset', date: '2009-03-31', value: '>5', registered: '>31300' }],
      context({ mapping: FULL_MAPPING }, { numbers: 'text' }),
    );
    expect(figures.map((f) => [f.measure, f.value, f.lowerBound])).toEqual([
      ['UNACCOUNTED', 5, true],
      ['REGISTERED', 31300, true],
    ]);
  });

  it('keeps an exact count unmarked, and refuses a bound on a measure that takes none', () => {
    const [exact] = countsToReport(
      [{ force: 'dorset', date: '2018-01-17', value: '5' }],
      context({}, { numbers: 'text' }),
    ).figures;
    expect(exact).not.toHaveProperty('lowerBound');
    expect(
      invalid(
        [{ force: 'dorset', date: '2018-01-17', value: '5', breaches: '>3' }],
        { mapping: FULL_MAPPING },
        { numbers: 'text' },
      ).publicMessage,
    ).toBe(
      'validation failed: row 1: field "breachesCautionedOrConvicted" (source field "breaches") must be a whole number of 0 or more',
    );
  });
});

describe('row schemas shared between sources', () => {
  it("checks each source's rows against that source's own forces", () => {
    const rows = [{ force: 'dorset', date: '2018-01-17', value: 3 }];
    const dorset = context({ id: 'dorset-feed' }, { forces: ['dorset'] });
    const kent = context({ id: 'kent-feed' }, { forces: ['kent'] });
    expect(countsToReport(rows, dorset).figures.map((f) => f.forceId)).toEqual(['dorset']);
    const error = thrown(() => countsToReport(rows, kent)) as SourceError;
    expect(error.code).toBe('UPSTREAM_INVALID_PAYLOAD');
    expect(error.publicMessage).toMatch(/not a force this source covers/);
    // And the first source still passes after the second failed.
    expect(countsToReport(rows, dorset).figures).toHaveLength(1);
  });
});
