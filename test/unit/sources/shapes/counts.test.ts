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
    ).toBe('validation failed: duplicate figure UNACCOUNTED for dorset as at 2018-01-17');
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
