import { FORMULA_GUARD, neutraliseFormula, startsLikeFormula } from '../../../src/domain/formula-guard';

describe('neutraliseFormula: text a spreadsheet could run (issue 18, CATALOGUE Upstream sources 11)', () => {
  const hostile: Array<[string, string]> = [
    ['=1+1', 'equals'],
    [' =1', 'equals after a space'],
    ['\u00a0\u3000=1', 'equals after a no-break and an ideographic space'],
    ['\t=1', 'tab first'],
    ['\r=1', 'carriage return first'],
    ['\n=1', 'line feed first'],
    ['\tharmless', 'tab first, whatever follows'],
    ['＝1', 'full-width equals (U+FF1D)'],
    ['＋1', 'full-width plus (U+FF0B)'],
    ['－1', 'full-width hyphen-minus (U+FF0D)'],
    ['＠SUM(1)', 'full-width commercial at (U+FF20)'],
    ['﹦1', 'small equals (U+FE66)'],
    ['  ＝1', 'full-width equals after spaces'],
    ['@SUM(1)', 'at'],
    ['-2+3', 'minus, arithmetic'],
    ['+1+2', 'plus, arithmetic'],
    ['-3+cmd|" /C calc"!A0', 'a DDE call'],
    ['=HYPERLINK("http://x")', 'a hyperlink formula'],
    ['\u200b=1', 'equals after a zero-width space'],
    ['\ufeff=1', 'equals after a byte-order mark'],
    ['\u202e=1', 'equals after a right-to-left override'],
    ['- provisional', 'a list dash'],
    ['-', 'a lone minus'],
  ];

  test.each(hostile)('%j (%s) gets the guard in front, the rest unchanged', (text) => {
    expect(startsLikeFormula(text)).toBe(true);
    expect(neutraliseFormula(text)).toBe(`${FORMULA_GUARD}${text}`);
  });

  const harmless: Array<[string, string]> = [
    ['Dorset Police', 'plain text'],
    ['Sky News FOI investigation - Swanage and Wareham Voice', 'a dash inside'],
    ['a=b', 'equals inside'],
    ['', 'empty'],
    ['   ', 'blank'],
    ['-5', 'a negative number'],
    ['+1.5', 'a signed decimal'],
    ['  -5', 'a negative number after spaces'],
    ['42', 'a number'],
    ["'=1", 'already neutralised'],
    ['Heddlu Dyfed-Powys — Cymru', 'non-ASCII text'],
    ['“=1”', 'a quoted formula'],
    ['\u2212 5', 'a Unicode minus sign, which no spreadsheet reads as a formula'],
  ];

  test.each(harmless)('%j (%s) passes unchanged', (text) => {
    expect(startsLikeFormula(text)).toBe(false);
    expect(neutraliseFormula(text)).toBe(text);
  });

  test('is idempotent: neutralising twice adds one guard', () => {
    for (const [text] of hostile)
      expect(neutraliseFormula(neutraliseFormula(text))).toBe(neutraliseFormula(text));
  });
});
