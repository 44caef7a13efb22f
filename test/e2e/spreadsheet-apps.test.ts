/**
 * The feeds in a real spreadsheet application: Debian's LibreOffice Calc (headless), given the CSV feed
 * with the import settings the README's "Opening the CSV in a spreadsheet" gives, and given the .xlsx feed
 * as it is. What Calc made of each is read back from the file it saves. Nothing is mocked and nothing is
 * skipped: without `soffice` every test here fails, saying how to install it.
 *
 * The feed is the bundled published figures as at 2015-03-31: day and month precision side by side
 * (`2015-03` from the March 2015 Press Association FOI), zeros, and forces with no figure.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import * as XLSX from '@e965/xlsx';
import { parse } from 'csv-parse/sync';
import { ApiKeyStore } from '../../src/access/api-keys';
import { buildConfig } from '../../src/config/load';
import type { RunningGateway } from '../helpers/gateway';
import { startGateway } from '../helpers/gateway';

const run = promisify(execFile);
/** Debian's LibreOffice (`npm run deps:system` installs libreoffice-calc-nogui). */
const SOFFICE = process.env.WHEREABOUTS_SOFFICE ?? '/usr/bin/soffice';
const FEED = '/feeds/national-latest';
const QUERY = '?asAt=2015-03-31';

/**
 * LibreOffice's CSV import options, token by token, as the README's steps set them in the dialog:
 * separator comma (44), text delimiter `"` (34), character set Unicode UTF-8 (76), from line 1, column 3
 * (`as_at`) of type Text (2), English (1033), quoted fields not forced to text, "Detect special numbers"
 * unticked.
 */
const README_CSV_IMPORT = 'CSV:44,34,76,1,3/2,1033,false,false';

jest.setTimeout(120_000);

describe('the feeds in LibreOffice Calc', () => {
  let gateway: RunningGateway;
  let dir: string;
  let token: string;

  beforeAll(async () => {
    if (!fs.existsSync(SOFFICE))
      throw new Error(`${SOFFICE} is missing: run npm run deps:system (Debian's libreoffice-calc-nogui)`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wa-calc-'));
    const keys = ApiKeyStore.load(path.join(dir, 'keys.json'));
    token = keys.create('journalist', 'data desk').token;
    gateway = await startGateway(buildConfig({ includeBundled: true }, { baseDir: dir, origin: 'test' }), {
      apiKeys: keys,
      redis: null,
    });
  });
  afterAll(async () => {
    await gateway?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const download = async (format: 'csv' | 'xlsx'): Promise<string> => {
    const res = await fetch(`${gateway.url}${FEED}.${format}${QUERY}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    const file = path.join(dir, `national.${format}`);
    fs.writeFileSync(file, Buffer.from(await res.arrayBuffer()));
    return file;
  };

  /** Has Calc open `file` (with `infilter`, when given) and save it as `to`; the saved file's path. */
  const calc = async (file: string, to: 'ods' | 'csv', infilter?: string): Promise<string> => {
    const out = path.join(dir, `calc-${to}-${path.extname(file).slice(1)}`);
    fs.mkdirSync(out, { recursive: true });
    await run(
      SOFFICE,
      [
        `-env:UserInstallation=file://${path.join(dir, 'profile')}`,
        '--headless',
        '--norestore',
        ...(infilter ? [`--infilter=${infilter}`] : []),
        // Saved as CSV, Calc writes the cells as they are shown (its default "save as shown").
        '--convert-to',
        to === 'csv' ? 'csv:Text - txt - csv (StarCalc):44,34,76,1' : 'ods',
        '--outdir',
        out,
        file,
      ],
      { timeout: 90_000, env: { ...process.env, HOME: dir } },
    );
    const saved = path.join(out, `${path.basename(file, path.extname(file))}.${to}`);
    expect(fs.existsSync(saved)).toBe(true);
    return saved;
  };

  test("the CSV imported with the README's settings: a clean header, months kept as months, counts as numbers", async () => {
    const csvFile = await download('csv');
    const ours = parse(fs.readFileSync(csvFile), { bom: true, columns: true }) as Record<string, string>[];
    expect(ours.some((r) => r.precision === 'MONTH')).toBe(true);

    const book = XLSX.read(fs.readFileSync(await calc(csvFile, 'ods', README_CSV_IMPORT)), {
      type: 'buffer',
    });
    const sheet = book.Sheets[book.SheetNames[0]!]!;
    // The byte-order mark is read as the encoding's mark, not as text in A1.
    expect(sheet.A1?.v).toBe('force_id');
    const rows = XLSX.utils.sheet_to_json<Record<string, XLSX.CellObject['v']>>(sheet, { defval: null });
    expect(rows.map((r) => r.force_id)).toEqual(ours.map((r) => r.force_id));
    for (const [i, row] of rows.entries()) {
      const csv = ours[i]!;
      // as_at stays the text the source gave: 2015-03 is not turned into a day.
      expect(row.as_at).toBe(csv.as_at === '' ? null : csv.as_at);
      // value is a number cell (zero included), or empty.
      expect(row.value).toBe(csv.value === '' ? null : Number(csv.value));
    }
    const cell = (force: string, column: string) => {
      const r = rows.findIndex((row) => row.force_id === force) + 2;
      const c = Object.keys(rows[0]!).indexOf(column);
      return sheet[XLSX.utils.encode_cell({ r: r - 1, c })] as XLSX.CellObject | undefined;
    };
    expect(cell('metropolitan', 'as_at')).toMatchObject({ t: 's', v: '2015-03' });
    expect(cell('metropolitan', 'value')).toMatchObject({ t: 'n', v: 167 });
  });

  test('the .xlsx as Calc shows it: each date at its precision, counts as numbers, the same rows as the CSV', async () => {
    const csvFile = await download('csv');
    const ours = parse(fs.readFileSync(csvFile), { bom: true, columns: true }) as Record<string, string>[];
    const shown = parse(fs.readFileSync(await calc(await download('xlsx'), 'csv')), {
      bom: true,
      columns: true,
    }) as Record<string, string>[];
    // Calc saves the cells as they are shown: a day as 2015-03-31, a month as 2015-03, a count as digits.
    expect(shown).toEqual(ours);
  });
});
