/**
 * The one rule for text a spreadsheet could run (CSV or formula injection, OWASP). Every writer of
 * spreadsheet-bound text (the CSV feeds, `whereabouts export`) and the ingest check on upstream text
 * (`src/sources/shapes/upstream-text.ts`) call `neutraliseFormula`, so what is stored, served as JSON or
 * GraphQL, and written as CSV agree, and a change to the rule is a change here only.
 */

/**
 * What a neutralised cell starts with. A leading apostrophe makes Excel, LibreOffice and Google Sheets
 * take the cell as text (OWASP's recommendation); it stays visible, so a reader sees that the text was
 * altered.
 */
export const FORMULA_GUARD = "'";

/**
 * What a spreadsheet may skip, or a reader cannot see, before the character that decides whether a cell
 * is a formula: whitespace of every kind (Excel drops leading spaces of a formula, and some importers trim
 * cells) and invisible format characters (zero-width spaces, bidi marks, tag characters), which can hide
 * a formula from a reader and from a check that looks only at the first character.
 */
const LEADING_BLANKS = /^[\s\p{Cf}]*/u;

/**
 * Characters that start a formula or a DDE call: `=`, `+`, `-`, `@` (OWASP). Compared after NFKC, so the
 * full-width forms (`＝` U+FF1D, `＋` U+FF0B, `－` U+FF0D, `＠` U+FF20) and the small and superscript forms,
 * which East Asian input methods type and some spreadsheets read as their ASCII twins, count as well.
 */
const FORMULA_STARTS: ReadonlySet<string> = new Set(['=', '+', '-', '@']);

/**
 * Tab and carriage return as the very first character: some importers strip them and then read what
 * follows (OWASP lists both); a line feed is treated alike.
 */
const CONTROL_STARTS = /^[\t\r\n]/;

/**
 * Text that is wholly one decimal number, such as `-5` or `+1.5`: a spreadsheet reads it as that number
 * and runs nothing, so it is left as it is (a negative number sent as text stays a number).
 */
const PLAIN_NUMBER = /^[+-]?\d+(?:\.\d+)?$/;

/**
 * Whether a spreadsheet could run `text` as a formula: it starts (after any whitespace and invisible
 * characters) with `=`, `+`, `-` or `@`, in ASCII or full-width form, or with a tab or carriage return,
 * and is not a plain decimal number.
 * @example startsLikeFormula(' =1+1') // true
 * @example startsLikeFormula('-5') // false
 */
export function startsLikeFormula(text: string): boolean {
  if (CONTROL_STARTS.test(text)) return true;
  const rest = text.slice(LEADING_BLANKS.exec(text)![0].length);
  const first = rest.codePointAt(0);
  if (first === undefined) return false;
  if (!FORMULA_STARTS.has(String.fromCodePoint(first).normalize('NFKC'))) return false;
  return !PLAIN_NUMBER.test(rest);
}

/**
 * Text as a spreadsheet may safely receive it: anything `startsLikeFormula` flags gets `FORMULA_GUARD`
 * in front (the rest unchanged, so nothing is lost); anything else is returned as it is. Idempotent: a
 * neutralised text starts with the guard, which is not a formula start.
 * @example neutraliseFormula('=HYPERLINK("http://x")') // `'=HYPERLINK("http://x")`
 * @example neutraliseFormula('Dorset Police') // 'Dorset Police'
 */
export function neutraliseFormula(text: string): string {
  return startsLikeFormula(text) ? `${FORMULA_GUARD}${text}` : text;
}
