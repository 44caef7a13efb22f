import { SourceError } from '../../../../src/errors';
import { countsToReport } from '../../../../src/sources/shapes/counts';
import { totalsToReport } from '../../../../src/sources/shapes/totals';
import { breakdownsToReport } from '../../../../src/sources/shapes/breakdowns';
import {
  MAX_LABEL_LENGTH,
  MAX_NOTES_LENGTH,
  MAX_TITLE_LENGTH,
  MAX_URL_LENGTH,
  checkUpstreamText,
} from '../../../../src/sources/shapes/upstream-text';
import { context, thrown } from './context';

const ok = (text: string) => ({ ok: true, text });
const refused = (problem: string) => ({ ok: false, problem });

describe('upstream text is checked before it is stored (issue 18, item 4)', () => {
  describe('control characters are refused, naming the code point and never the text', () => {
    test.each([
      ['\u0000', 'U+0000'],
      ['\u0007', 'U+0007'],
      ['\u001b[31m', 'U+001B'],
      ['\u007f', 'U+007F'],
      ['\u0085', 'U+0085'],
      ['\u009b', 'U+009B'],
    ])('%j is refused as %s', (control, name) => {
      expect(checkUpstreamText(`Force data ${control}here`, MAX_TITLE_LENGTH)).toEqual(
        refused(
          `contains the control character ${name}; text must not hold control characters other than tab and line breaks`,
        ),
      );
    });

    test('a lone surrogate (not text at all) is refused', () => {
      expect(checkUpstreamText('Force \ud800 data', MAX_TITLE_LENGTH)).toEqual(
        refused('is not well-formed Unicode text (it has a lone surrogate)'),
      );
    });
  });

  describe('bidirectional controls that make text display differently are refused', () => {
    test.each(['\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069'])(
      '%j is refused',
      (bidi) => {
        const name = `U+${bidi.codePointAt(0)!.toString(16).toUpperCase()}`;
        expect(checkUpstreamText(`Police ${bidi}atad`, MAX_TITLE_LENGTH)).toEqual(
          refused(
            `contains the bidirectional control ${name}, which makes text display differently from what it says`,
          ),
        );
      },
    );

    test('right-to-left text itself, and the left-to-right and right-to-left marks, are kept', () => {
      expect(checkUpstreamText('شرطة \u200fدورست', MAX_TITLE_LENGTH)).toEqual(ok('شرطة \u200fدورست'));
    });
  });

  describe('layout and invisible characters are cleaned, not refused', () => {
    test('tabs and line breaks become spaces; the ends are trimmed', () => {
      expect(checkUpstreamText('  Sky News FOI\r\nreport\tpart 2\u2028end  ', MAX_TITLE_LENGTH)).toEqual(
        ok('Sky News FOI report part 2 end'),
      );
    });

    test('zero-width spaces, word joiners, byte-order marks and tag characters are removed', () => {
      expect(
        checkUpstreamText('\ufeffDor\u200bset\u2060 Police\u{e0041}\u{e0042}', MAX_TITLE_LENGTH),
      ).toEqual(ok('Dorset Police'));
    });

    test('zero-width joiners and non-joiners stay (some scripts need them)', () => {
      expect(checkUpstreamText('می\u200cخواهم', MAX_TITLE_LENGTH)).toEqual(ok('می\u200cخواهم'));
    });

    test('text that is only invisible characters is blank', () => {
      expect(checkUpstreamText('\u200b \ufeff', MAX_TITLE_LENGTH)).toEqual(ok(''));
    });
  });

  describe('length', () => {
    test('the limits', () => {
      expect([MAX_TITLE_LENGTH, MAX_URL_LENGTH, MAX_NOTES_LENGTH, MAX_LABEL_LENGTH]).toEqual([
        300, 2048, 2000, 100,
      ]);
    });

    test('text at the limit is kept; one character more is refused with both numbers', () => {
      expect(checkUpstreamText('a'.repeat(300), MAX_TITLE_LENGTH)).toEqual(ok('a'.repeat(300)));
      expect(checkUpstreamText('a'.repeat(2417), MAX_TITLE_LENGTH)).toEqual(
        refused('is 2,417 characters long; at most 300 are accepted'),
      );
    });

    test('counts characters (code points), so that a limit means the same in every script', () => {
      expect(checkUpstreamText('🏛'.repeat(300), MAX_TITLE_LENGTH)).toEqual(ok('🏛'.repeat(300)));
    });

    test('counts after cleaning: trimmed spaces and removed invisibles do not count', () => {
      expect(checkUpstreamText(` ${'a'.repeat(300)}\u200b `, MAX_TITLE_LENGTH)).toEqual(ok('a'.repeat(300)));
    });
  });

  test('text a spreadsheet could run is stored neutralised, through the same rule as the CSV writer', () => {
    expect(checkUpstreamText('=HYPERLINK("http://x")', MAX_TITLE_LENGTH)).toEqual(
      ok('\'=HYPERLINK("http://x")'),
    );
    expect(checkUpstreamText('@SUM(1)', MAX_TITLE_LENGTH)).toEqual(ok("'@SUM(1)"));
    expect(checkUpstreamText('\u200b＝1', MAX_TITLE_LENGTH)).toEqual(ok("'＝1"));
    expect(checkUpstreamText('Dorset Police open data', MAX_TITLE_LENGTH)).toEqual(
      ok('Dorset Police open data'),
    );
  });
});

describe('the shapes apply the text rules to every free-text field', () => {
  const COUNTS = { forceId: 'force', asAt: 'date', unaccounted: 'value', title: 'title', url: 'url' };

  function invalid(run: () => unknown): string {
    const error = thrown(run);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).code).toBe('UPSTREAM_INVALID_PAYLOAD');
    return (error as SourceError).publicMessage;
  }

  test('counts: a hostile title is stored neutralised; the figure is kept', () => {
    const report = countsToReport(
      [{ force: 'dorset', date: '2018-01-17', value: 5, title: '=HYPERLINK("http://x")' }],
      context({ mapping: COUNTS }),
    );
    expect(report.figures[0]).toMatchObject({ value: 5, provenance: { title: '\'=HYPERLINK("http://x")' } });
  });

  test('counts: a title with a right-to-left override rejects the payload, naming row, field and character', () => {
    expect(
      invalid(() =>
        countsToReport(
          [{ force: 'dorset', date: '2018-01-17', value: 5, title: 'Police \u202eatad' }],
          context({ mapping: COUNTS }),
        ),
      ),
    ).toBe(
      'validation failed: row 1: field "title" contains the bidirectional control U+202E, which makes text display differently from what it says',
    );
  });

  test('counts: a blank title (once cleaned) falls back to the source’s title', () => {
    const report = countsToReport(
      [{ force: 'dorset', date: '2018-01-17', value: 5, title: '\u200b' }],
      context({ mapping: COUNTS }),
    );
    expect(report.figures[0]!.provenance.title).toBe('Test force feed');
  });

  test('counts: an over-long URL is refused', () => {
    expect(
      invalid(() =>
        countsToReport(
          [
            {
              force: 'dorset',
              date: '2018-01-17',
              value: 5,
              url: `https://force.example/${'a'.repeat(2100)}`,
            },
          ],
          context({ mapping: COUNTS }),
        ),
      ),
    ).toBe('validation failed: row 1: field "url" is 2,122 characters long; at most 2,048 are accepted');
  });

  test('breakdowns: the title goes through the same rules', () => {
    const report = breakdownsToReport(
      [
        {
          force: 'dorset',
          date: '2018-01-17',
          dimension: 'mappa_level',
          category: '1',
          value: 3,
          title: ' @SUM(1)',
        },
      ],
      context({
        shape: 'breakdowns',
        mapping: {
          forceId: 'force',
          asAt: 'date',
          dimension: 'dimension',
          category: 'category',
          value: 'value',
          title: 'title',
        },
      }),
    );
    expect(report.breakdowns[0]!.provenance.title).toBe("'@SUM(1)");
  });

  const TOTALS = { scope: 'scope', measure: 'measure', value: 'value', notes: 'notes', title: 'title' };
  const totalsCtx = () => context({ shape: 'totals', mapping: TOTALS });

  test('totals: scope, measure, notes and title are cleaned and neutralised', () => {
    const [total] = totalsToReport(
      [
        {
          scope: ' UK ',
          measure: 'Whereabouts_Unknown',
          value: 485,
          notes: '-2+3\r\nsecond line',
          title: '＋1',
        },
      ],
      totalsCtx(),
    ).publishedTotals;
    expect(total).toMatchObject({
      scope: 'UK',
      measure: 'whereabouts_unknown',
      notes: "'-2+3 second line",
      provenance: { title: "'＋1" },
    });
  });

  test('totals: notes over the limit, a control character in the scope, a blank measure are refused', () => {
    expect(
      invalid(() =>
        totalsToReport(
          [{ scope: 'UK', measure: 'm', value: 1, notes: 'n'.repeat(MAX_NOTES_LENGTH + 1) }],
          totalsCtx(),
        ),
      ),
    ).toBe('validation failed: row 1: field "notes" is 2,001 characters long; at most 2,000 are accepted');
    expect(invalid(() => totalsToReport([{ scope: 'U\u0000K', measure: 'm', value: 1 }], totalsCtx()))).toBe(
      'validation failed: row 1: field "scope" contains the control character U+0000; text must not hold control characters other than tab and line breaks',
    );
    expect(invalid(() => totalsToReport([{ scope: 'UK', measure: '\u200b', value: 1 }], totalsCtx()))).toBe(
      'validation failed: row 1: field "measure" is blank',
    );
  });
});
