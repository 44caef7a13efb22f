/** A cell address, zero-based (`A1` is row 0, column 0). */
export interface CellAddress {
  readonly row: number;
  readonly column: number;
}

/** A rectangle of cells, zero-based and inclusive. */
export interface CellRange {
  readonly start: CellAddress;
  readonly end: CellAddress;
}

const CELL = /^([A-Z]{1,3})([1-9]\d{0,6})$/;

/** Column letters to a zero-based index: `A` is 0, `Z` 25, `AA` 26. */
function columnIndex(letters: string): number {
  let n = 0;
  for (const letter of letters) n = n * 26 + (letter.charCodeAt(0) - 64);
  return n - 1;
}

/** A zero-based column index as letters (`0` is `A`). */
export function columnLetters(index: number): string {
  let n = index + 1;
  let letters = '';
  while (n > 0) {
    const rest = (n - 1) % 26;
    letters = String.fromCharCode(65 + rest) + letters;
    n = Math.floor((n - 1) / 26);
  }
  return letters;
}

/** A zero-based address in A1 style (`{ row: 4, column: 1 }` is `B5`). */
export function cellName(address: CellAddress): string {
  return `${columnLetters(address.column)}${address.row + 1}`;
}

/** A range in A1 style (`B5:F12`). */
export function rangeName(range: CellRange): string {
  return `${cellName(range.start)}:${cellName(range.end)}`;
}

/**
 * Parses an A1-style range (`B5:F12`, any case, corners in either order) to zero-based corners, or null
 * when it is not one.
 * @example parseRange('b5:f12') // { start: { row: 4, column: 1 }, end: { row: 11, column: 5 } }
 */
export function parseRange(text: string): CellRange | null {
  const [from, to, ...rest] = text.trim().toUpperCase().split(':');
  if (from === undefined || to === undefined || rest.length > 0) return null;
  const a = CELL.exec(from);
  const b = CELL.exec(to);
  if (!a || !b) return null;
  const [r1, c1, r2, c2] = [Number(a[2]) - 1, columnIndex(a[1]!), Number(b[2]) - 1, columnIndex(b[1]!)];
  return {
    start: { row: Math.min(r1, r2), column: Math.min(c1, c2) },
    end: { row: Math.max(r1, r2), column: Math.max(c1, c2) },
  };
}
