import { z } from 'zod';
import { neutraliseFormula } from '../../domain/formula-guard';

/*
 * Free text a source sends (titles, URLs, notes, labels) is stored and served to every caller, shown on
 * the dashboard and written into spreadsheets. What each rule does with a bad character, and why:
 *
 * - Rejected (the payload fails validation, like a negative count): C0 and C1 control characters other
 *   than tab and line breaks, bidirectional embeddings, overrides and isolates (U+202A-U+202E,
 *   U+2066-U+2069), and lone UTF-16 surrogates. Honest text never holds them; they come from a broken
 *   encoding (a Windows-1252 file read as Latin-1 gives C1 controls), binary garbage, terminal escape
 *   sequences, or text built to display differently from what it says (a right-to-left override,
 *   "Trojan Source"). Repairing them would mean guessing, and a payload whose text is garbled may have
 *   garbled numbers too: the operator should see it.
 * - Rejected: text over its field's length limit. Cutting it would silently change a citation; a title of
 *   thousands of characters means a mapping picked the wrong column.
 * - Replaced by a space: tab, CR, LF and the Unicode line and paragraph separators. Honest multi-line
 *   cells are common; every one of these fields is shown on one line.
 * - Removed: zero-width space, word joiner, invisible operators, byte-order mark, Mongolian vowel
 *   separator and tag characters. Text copied from web pages and word processors carries them honestly,
 *   they mean nothing in a title, and they are the usual way to hide something from a reader or a check.
 *   Zero-width joiner and non-joiner stay: some scripts need them.
 * - Neutralised, not rejected: text a spreadsheet could run (`neutraliseFormula`, the one rule the CSV
 *   writer uses too). A leading `-`, `+` or `@` is common in honest text ("@ONS", "- provisional"); a
 *   title is provenance, not the figure, so it must not make a force `UNAVAILABLE`. Stored neutralised,
 *   it is safe in every format (JSON, GraphQL, CSV) and visibly marked.
 */

/**
 * Longest citation title accepted: a publication and an article name (the longest bundled one is 135
 * characters). Counted in code points, after the clean-up above.
 */
export const MAX_TITLE_LENGTH = 300;

/** Longest URL accepted: the limit of sitemaps and of older browsers, far above any honest citation (longest bundled: 142). */
export const MAX_URL_LENGTH = 2048;

/** Longest note on a published total (the longest bundled note is 372 characters). */
export const MAX_NOTES_LENGTH = 2000;

/** Longest quote: the sentence a figure was read from (the longest bundled one is 289 characters). */
export const MAX_QUOTE_LENGTH = 1000;

/** Longest label, such as a published total's scope (`UK`) or measure (`whereabouts_unknown`). */
export const MAX_LABEL_LENGTH = 100;

/** The result of checking one upstream text: the text to store, or why it was refused. */
export type TextCheck =
  { readonly ok: true; readonly text: string } | { readonly ok: false; readonly problem: string };

/** Printable ASCII only: the common case, which needs no per-character work. */
const PLAIN = /^[\x20-\x7e]*$/;
const LONE_SURROGATE = /\p{Cs}/u;
const LINE_BREAKS = /[\t\n\r\u2028\u2029]+/g;
const CONTROL = /\p{Cc}/u;
const BIDI_CONTROL = /[\u202a-\u202e\u2066-\u2069]/;
const INVISIBLE = /[\u200b\u2060-\u2064\ufeff\u180e\u{e0000}-\u{e007f}]/gu;

/** `U+202E`, for messages: which character, never the text around it. */
function codePointName(char: string): string {
  return `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Checks and cleans one free-text value from a source, by the rules above. The text it gives is trimmed
 * and may be empty; a problem names the rule and, for a character, its code point, never the text (which
 * may hold anything).
 * @example checkUpstreamText(' =HYPERLINK("http://x") ', MAX_TITLE_LENGTH) // { ok: true, text: `'=HYPERLINK("http://x")` }
 * @example checkUpstreamText('a\u202eb', MAX_TITLE_LENGTH) // { ok: false, problem: 'contains the bidirectional control U+202E, ...' }
 */
export function checkUpstreamText(raw: string, maxLength: number): TextCheck {
  let text = raw;
  if (!PLAIN.test(text)) {
    if (LONE_SURROGATE.test(text))
      return { ok: false, problem: 'is not well-formed Unicode text (it has a lone surrogate)' };
    text = text.replace(LINE_BREAKS, ' ');
    const control = CONTROL.exec(text);
    if (control)
      return {
        ok: false,
        problem: `contains the control character ${codePointName(control[0])}; text must not hold control characters other than tab and line breaks`,
      };
    const bidi = BIDI_CONTROL.exec(text);
    if (bidi)
      return {
        ok: false,
        problem: `contains the bidirectional control ${codePointName(bidi[0])}, which makes text display differently from what it says`,
      };
    text = text.replace(INVISIBLE, '');
  }
  text = text.trim();
  // Code points, not UTF-16 units, so that a limit means the same for every script.
  const length = text.length <= maxLength ? text.length : [...text].length;
  if (length > maxLength)
    return {
      ok: false,
      problem: `is ${length.toLocaleString('en-GB')} characters long; at most ${maxLength.toLocaleString('en-GB')} are accepted`,
    };
  return { ok: true, text: neutraliseFormula(text) };
}

const textError = (issue: { input?: unknown }) =>
  issue.input === undefined ? 'is required' : 'must be text';

/**
 * An optional free-text field of a row schema, checked and cleaned by `checkUpstreamText`. Text that is
 * blank once cleaned counts as not given, as an empty cell does.
 */
export function upstreamTextSchema(maxLength: number) {
  return z.string({ error: textError }).transform((raw, ctx) => {
    const checked = checkUpstreamText(raw, maxLength);
    if (checked.ok) return checked.text === '' ? undefined : checked.text;
    ctx.addIssue({ code: 'custom', message: checked.problem });
    return z.NEVER;
  });
}

/** A required free-text field of a row schema (a label), checked like `upstreamTextSchema`; blank is refused. */
export function requiredUpstreamTextSchema(maxLength: number) {
  return z.string({ error: textError }).transform((raw, ctx) => {
    const checked = checkUpstreamText(raw, maxLength);
    if (checked.ok && checked.text !== '') return checked.text;
    ctx.addIssue({ code: 'custom', message: checked.ok ? 'is blank' : checked.problem });
    return z.NEVER;
  });
}
