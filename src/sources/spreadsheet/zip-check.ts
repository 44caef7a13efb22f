import zlib from 'node:zlib';
import type { WorkbookFormat } from '../../config/schema';
import { SourceError } from '../../errors';
import type { ByteBudget } from '../byte-budget';
import { MAX_UNCOMPRESSED_BYTES, MAX_ZIP_ENTRIES } from './limits';

/** One entry of a zip as its central directory and local header declare it. */
export interface ZipEntry {
  readonly name: string;
  /** 0 (stored) or 8 (deflated). */
  readonly method: number;
  /** Bytes it declares once inflated (the central directory's figure). */
  readonly size: number;
  /** Where its data starts in the file (after the local header). */
  readonly dataOffset: number;
  readonly compressedSize: number;
}

/** What `inspectWorkbook` found: the format and every entry, each within the limits. */
export interface WorkbookZip {
  readonly format: WorkbookFormat;
  readonly entries: readonly ZipEntry[];
  /** Declared inflated bytes of all entries together. */
  readonly declaredBytes: number;
}

const ZIP_MAGIC = 0x04034b50; // PK\3\4, a local file header
const CFB_MAGIC = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];
const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const ZIP64_EXTRA = 0x0001;

function invalid(message: string, detail?: string): SourceError {
  return new SourceError('UPSTREAM_INVALID_PAYLOAD', message, detail);
}

function notAWorkbook(what: string): SourceError {
  return invalid(`the payload is ${what}, not a workbook; accepted: an .xlsx or .ods file`);
}

/**
 * Checks a workbook's bytes before any parser sees them, and says which format it is. It reads the zip's
 * central directory the way SheetJS's zip reader does (the end record found by scanning back from the
 * end, then each entry and its local header), so the entries checked here are the entries SheetJS will
 * inflate, and refuses:
 * - anything that is not a zip: CSV, HTML, JSON (SheetJS would read those as a one-sheet workbook), an
 *   OLE file (a password-protected workbook, or a legacy .xls), a truncated zip;
 * - encrypted entries, compression other than stored and deflate, ZIP64 sizes (a workbook needs none);
 * - more than `MAX_ZIP_ENTRIES` entries, or entries declaring more than `MAX_UNCOMPRESSED_BYTES` together;
 * - a zip that is neither an XLSX (`[Content_Types].xml` and `xl/workbook.xml`) nor an ODS
 *   (`META-INF/manifest.xml` and `content.xml`), or is both, or is one of the other formats SheetJS would
 *   otherwise parse from a zip (XLSB, Apple Numbers).
 * Declared sizes can lie: `checkInflatedSizes` checks them against the data afterwards.
 */
export function inspectWorkbook(bytes: Uint8Array): WorkbookZip {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length >= 8 && CFB_MAGIC.every((b, i) => buf[i] === b))
    throw invalid(
      'the workbook is an OLE compound file: a password-protected workbook or a legacy .xls, neither of which is read; accepted: an unencrypted .xlsx or .ods file',
    );
  if (buf.length < 22 || buf.readUInt32LE(0) !== ZIP_MAGIC) {
    const start = buf.subarray(0, 64).toString('latin1').trimStart();
    if (start.startsWith('<')) throw notAWorkbook('an HTML or XML page');
    if (start.startsWith('{') || start.startsWith('[')) throw notAWorkbook('JSON');
    throw notAWorkbook('not a zip file (CSV or other text, or binary)');
  }
  const entries = readEntries(buf);
  const names = new Set(entries.map((e) => e.name.toUpperCase()));
  const format = formatOf(names);
  const declaredBytes = entries.reduce((sum, e) => sum + e.size, 0);
  if (declaredBytes > MAX_UNCOMPRESSED_BYTES)
    throw invalid(
      `the workbook's zip entries declare ${declaredBytes} bytes once inflated; at most ${MAX_UNCOMPRESSED_BYTES} are accepted`,
    );
  return { format, entries, declaredBytes };
}

/** The format from the entries' names (upper-cased: SheetJS finds entries case-insensitively). */
function formatOf(names: ReadonlySet<string>): WorkbookFormat {
  const some = (suffixes: readonly string[]) =>
    [...names].some((n) => suffixes.some((s) => n === s || n.endsWith(`/${s}`)));
  // SheetJS tries these before XLSX, and matches some of them anywhere in the zip.
  if (some(['INDEX/DOCUMENT.IWA', 'INDEX.ZIP', 'INDEX.XML', 'INDEX.XML.GZ']))
    throw notAWorkbook('an Apple Numbers file');
  const ods = names.has('META-INF/MANIFEST.XML') || some(['OBJECTDATA.XML']);
  const xlsx = names.has('[CONTENT_TYPES].XML');
  if (ods && xlsx)
    throw invalid('the zip holds the parts of both an XLSX and an ODS workbook; it was not read');
  if (ods) {
    if (!names.has('CONTENT.XML')) throw invalid('the ODS workbook has no content.xml');
    return 'ods';
  }
  if (xlsx) {
    if (names.has('XL/WORKBOOK.BIN'))
      throw invalid('the workbook is a binary .xlsb, which is not read; accepted: .xlsx or .ods');
    if (!names.has('XL/WORKBOOK.XML')) throw invalid('the XLSX workbook has no xl/workbook.xml');
    return 'xlsx';
  }
  throw notAWorkbook('a zip file of another kind');
}

function truncated(where: string): SourceError {
  return invalid('the workbook is not a complete zip file (truncated or damaged)', where);
}

/** Reads the central directory and each entry's local header, as SheetJS's `parse_zip` walks them. */
function readEntries(buf: Buffer): ZipEntry[] {
  // SheetJS scans back from the very end for the end record's signature; so does this.
  let eocd = buf.length - 4;
  while (eocd >= 0 && buf.readUInt32LE(eocd) !== EOCD) eocd -= 1;
  if (eocd < 0 || eocd + 22 > buf.length) throw truncated('no end of central directory record');
  const count = buf.readUInt16LE(eocd + 8);
  let at = buf.readUInt32LE(eocd + 16);
  if (count === 0xffff || at === 0xffffffff)
    throw invalid('the workbook is a ZIP64 archive, which no workbook this size needs; it was not read');
  if (count > MAX_ZIP_ENTRIES)
    throw invalid(`the workbook's zip has ${count} entries; at most ${MAX_ZIP_ENTRIES} are accepted`);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (at + 46 > buf.length || buf.readUInt32LE(at) !== CENTRAL)
      throw truncated(`central directory entry ${i} is missing`);
    const flags = buf.readUInt16LE(at + 8);
    const method = buf.readUInt16LE(at + 10);
    const compressedSize = buf.readUInt32LE(at + 20);
    const size = buf.readUInt32LE(at + 24);
    const nameLength = buf.readUInt16LE(at + 28);
    const extraLength = buf.readUInt16LE(at + 30);
    const commentLength = buf.readUInt16LE(at + 32);
    const localOffset = buf.readUInt32LE(at + 42);
    const nameEnd = at + 46 + nameLength;
    if (nameEnd + extraLength > buf.length) throw truncated(`central directory entry ${i} is cut short`);
    const name = buf.toString('latin1', at + 46, nameEnd);
    checkEntry(flags, method, size, compressedSize, buf.subarray(nameEnd, nameEnd + extraLength));
    entries.push({ name, method, size, compressedSize, dataOffset: localData(buf, localOffset, i) });
    at = nameEnd + extraLength + commentLength;
  }
  return entries;
}

/** Where an entry's data starts, after checking its local header the way `checkEntry` checks the central one. */
function localData(buf: Buffer, offset: number, index: number): number {
  if (offset + 30 > buf.length || buf.readUInt32LE(offset) !== ZIP_MAGIC)
    throw truncated(`entry ${index} has no local header`);
  const flags = buf.readUInt16LE(offset + 6);
  const method = buf.readUInt16LE(offset + 8);
  const nameLength = buf.readUInt16LE(offset + 26);
  const extraLength = buf.readUInt16LE(offset + 28);
  const start = offset + 30 + nameLength;
  if (start + extraLength > buf.length) throw truncated(`entry ${index}'s local header is cut short`);
  // The sizes here may be 0 (written in a data descriptor after the data): the central ones are checked.
  checkEntry(flags, method, 0, 0, buf.subarray(start, start + extraLength));
  return start + extraLength;
}

function checkEntry(
  flags: number,
  method: number,
  size: number,
  compressedSize: number,
  extra: Buffer,
): void {
  // Bit 0: encrypted; bit 6: strong encryption; bit 13: central directory encrypted (as SheetJS tests).
  if (flags & 0x2041)
    throw invalid(
      'the workbook is encrypted (password-protected); accepted: an unencrypted .xlsx or .ods file',
    );
  if (method !== 0 && method !== 8)
    throw invalid(
      `the workbook's zip uses compression method ${method}; accepted: stored (0) or deflate (8)`,
    );
  if (size === 0xffffffff || compressedSize === 0xffffffff || hasExtra(extra, ZIP64_EXTRA))
    throw invalid('the workbook is a ZIP64 archive, which no workbook this size needs; it was not read');
}

/** Whether a zip extra field holds a block with this id (SheetJS takes ZIP64 sizes from one). */
function hasExtra(extra: Buffer, id: number): boolean {
  for (let at = 0; at + 4 <= extra.length; at += 4 + extra.readUInt16LE(at + 2)) {
    if (extra.readUInt16LE(at) === id) return true;
  }
  return false;
}

/**
 * Inflates every deflated entry as SheetJS will (from its data to the end of the deflate stream, whatever
 * sizes the headers give) and counts the bytes without keeping them, stopping an entry as soon as it
 * gives more than it declared: declared sizes, summed by `inspectWorkbook`, are then what parsing will
 * hold. Runs on zlib's thread pool; the few bytes in flight (zlib's window and one chunk) are taken from
 * the shared byte budget.
 */
export async function checkInflatedSizes(
  bytes: Uint8Array,
  zip: WorkbookZip,
  budget: ByteBudget,
  signal?: AbortSignal,
): Promise<void> {
  const lease = budget.lease();
  try {
    // zlib's window and state, and its largest output chunk.
    if (!lease.take(64 * 1024 + 16 * 1024))
      throw invalid(
        `the gateway is already holding ${budget.capacity} bytes of source payloads at once (all sources together); this workbook was not read`,
      );
    for (const entry of zip.entries) {
      if (entry.method !== 8) continue;
      await inflatedWithin(bytes.subarray(entry.dataOffset), entry, signal);
    }
  } finally {
    lease.close();
  }
}

function inflatedWithin(data: Uint8Array, entry: ZipEntry, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const inflate = zlib.createInflateRaw({ chunkSize: 16 * 1024 });
    let total = 0;
    let done = false;
    const finish = (error?: SourceError) => {
      if (done) return;
      done = true;
      signal?.removeEventListener('abort', onAbort);
      inflate.destroy();
      if (error) reject(error);
      else resolve();
    };
    const onAbort = () => finish(new SourceError('UPSTREAM_TIMEOUT', 'the source did not answer in time'));
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort);
    inflate.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total > entry.size)
        finish(
          invalid(
            'a zip entry of the workbook inflates to more bytes than it declares (a compression bomb); it was not read',
            `${entry.name}: declares ${entry.size}`,
          ),
        );
    });
    inflate.on('error', (error) =>
      finish(
        invalid(
          'a zip entry of the workbook could not be inflated (damaged)',
          `${entry.name}: ${error.message}`,
        ),
      ),
    );
    // Bytes after the end of the deflate stream are ignored, as SheetJS ignores them.
    inflate.on('end', () => finish());
    inflate.end(data);
  });
}
