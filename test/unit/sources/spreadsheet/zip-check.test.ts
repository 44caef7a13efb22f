import { ByteBudget } from '../../../../src/sources/byte-budget';
import { MAX_UNCOMPRESSED_BYTES, MAX_ZIP_ENTRIES } from '../../../../src/sources/spreadsheet/limits';
import { checkInflatedSizes, inspectWorkbook } from '../../../../src/sources/spreadsheet/zip-check';
import type { ZipFixtureEntry } from './fixtures';
import { odsWithRows, unzip, workbook, zipOf } from './fixtures';

const XLSX_BYTES = workbook({ Sheet1: [['a'], [1]] }, 'xlsx');
const xlsxEntries = () => unzip(XLSX_BYTES);

/** `inspectWorkbook`'s public message for `bytes`. */
function refusal(bytes: Buffer): string {
  try {
    inspectWorkbook(bytes);
  } catch (error) {
    return (error as { publicMessage: string }).publicMessage;
  }
  throw new Error('expected a refusal');
}

describe('inspectWorkbook: which format, and nothing a parser should not see', () => {
  it('tells XLSX from ODS by their parts, whatever the file is called', () => {
    expect(inspectWorkbook(XLSX_BYTES).format).toBe('xlsx');
    expect(inspectWorkbook(workbook({ Sheet1: [['a']] }, 'ods')).format).toBe('ods');
    expect(inspectWorkbook(odsWithRows('')).format).toBe('ods');
  });

  it.each<[string, ZipFixtureEntry[], string]>([
    [
      'an XLSB (binary workbook)',
      [...xlsxEntries(), { name: 'xl/workbook.bin', data: Buffer.from('x') }],
      'the workbook is a binary .xlsb, which is not read; accepted: .xlsx or .ods',
    ],
    [
      'an Apple Numbers file',
      [{ name: 'Index/Document.iwa', data: Buffer.from('x') }],
      'the payload is an Apple Numbers file, not a workbook; accepted: an .xlsx or .ods file',
    ],
    [
      'a zip that is both an XLSX and an ODS',
      [...xlsxEntries(), { name: 'META-INF/manifest.xml', data: Buffer.from('<x/>') }],
      'the zip holds the parts of both an XLSX and an ODS workbook; it was not read',
    ],
    [
      'some other zip',
      [{ name: 'readme.txt', data: Buffer.from('hello') }],
      'the payload is a zip file of another kind, not a workbook; accepted: an .xlsx or .ods file',
    ],
  ])('refuses %s', (_what, entries, message) => {
    expect(refusal(zipOf(entries))).toBe(message);
  });

  it('refuses more entries than accepted, before reading them', () => {
    const entries = Array.from({ length: MAX_ZIP_ENTRIES + 1 }, (_, i) => ({
      name: `f${i}`,
      data: Buffer.alloc(0),
    }));
    expect(refusal(zipOf(entries))).toBe(
      `the workbook's zip has ${MAX_ZIP_ENTRIES + 1} entries; at most ${MAX_ZIP_ENTRIES} are accepted`,
    );
  });

  it('refuses entries that together declare more than the budget, even if each is small', () => {
    const share = Math.ceil(MAX_UNCOMPRESSED_BYTES / 3) + 1;
    const entries = [
      ...xlsxEntries(),
      ...[1, 2, 3].map((i) => ({ name: `xl/media/p${i}.bin`, data: Buffer.alloc(1), declaredSize: share })),
    ];
    expect(refusal(zipOf(entries))).toMatch(
      /^the workbook's zip entries declare \d+ bytes once inflated; at most 33554432 are accepted$/,
    );
  });

  it('refuses a ZIP64 size marker and a compression method other than deflate or stored', () => {
    const zip64 = zipOf([...xlsxEntries().slice(1), { ...xlsxEntries()[0]!, declaredSize: 0xffffffff }]);
    expect(refusal(zip64)).toBe(
      'the workbook is a ZIP64 archive, which no workbook this size needs; it was not read',
    );
    const bzip = Buffer.from(XLSX_BYTES);
    // The first local header's method (offset 8) and the first central entry's (offset 10 from its signature).
    const central = bzip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    bzip.writeUInt16LE(12, central + 10);
    expect(refusal(bzip)).toBe(
      "the workbook's zip uses compression method 12; accepted: stored (0) or deflate (8)",
    );
  });
});

describe('checkInflatedSizes: declared sizes are checked against the data', () => {
  it('passes a workbook whose entries hold what they declare, and returns every byte it took', async () => {
    const budget = new ByteBudget(1024 * 1024);
    await checkInflatedSizes(XLSX_BYTES, inspectWorkbook(XLSX_BYTES), budget);
    expect(budget.used).toBe(0);
  });

  it('stops an entry at the first byte past what it declares', async () => {
    const bomb = zipOf([
      ...xlsxEntries(),
      { name: 'xl/media/zeros.bin', data: Buffer.alloc(64 * 1024 * 1024), declaredSize: 10 },
    ]);
    const budget = new ByteBudget(1024 * 1024);
    await expect(checkInflatedSizes(bomb, inspectWorkbook(bomb), budget)).rejects.toMatchObject({
      code: 'UPSTREAM_INVALID_PAYLOAD',
      publicMessage:
        'a zip entry of the workbook inflates to more bytes than it declares (a compression bomb); it was not read',
    });
    expect(budget.used).toBe(0);
  });

  it('refuses a damaged deflate stream', async () => {
    const entries = xlsxEntries();
    const damaged = zipOf(entries);
    const sheet = inspectWorkbook(damaged).entries.find((e) => e.name === 'xl/worksheets/sheet1.xml')!;
    damaged.fill(0xff, sheet.dataOffset, sheet.dataOffset + 8);
    await expect(
      checkInflatedSizes(damaged, inspectWorkbook(damaged), new ByteBudget()),
    ).rejects.toMatchObject({
      publicMessage: 'a zip entry of the workbook could not be inflated (damaged)',
    });
  });

  it('takes nothing when the shared budget has nothing to spare', async () => {
    await expect(
      checkInflatedSizes(XLSX_BYTES, inspectWorkbook(XLSX_BYTES), new ByteBudget(1024)),
    ).rejects.toMatchObject({
      publicMessage: expect.stringContaining('this workbook was not read'),
    });
  });
});
