import { sourceConfigSchema } from '../../../../src/config/schema';
import { formatZodIssues } from '../../../../src/config/zod-issues';
import { SCOTLAND_SOURCE } from './fixtures';

function problems(spreadsheet: unknown, extra: Record<string, unknown> = {}): string {
  const parsed = sourceConfigSchema.safeParse({
    id: 'scotland',
    ...SCOTLAND_SOURCE,
    location: 'scotland.xlsx',
    spreadsheet,
    ...extra,
  });
  return parsed.success ? '' : formatZodIssues('invalid', parsed.error);
}

describe('spreadsheet options', () => {
  it('accepts the Scottish example and normalises the range', () => {
    const parsed = sourceConfigSchema.parse({
      id: 'scotland',
      ...SCOTLAND_SOURCE,
      location: 'scotland.xlsx',
      spreadsheet: { ...SCOTLAND_SOURCE.spreadsheet, range: 'c13:a4' },
    });
    expect(parsed.spreadsheet).toEqual({
      sheet: 'Appendix C',
      range: 'A4:C13',
      records: 'columns',
      yearDay: '03-31',
    });
  });

  it.each([
    [{ range: 'A4-C13' }, 'spreadsheet.range: must be an A1-style range such as B5:F12'],
    [
      { range: 'A1:C20000' },
      'spreadsheet.range: must end within the first 10000 rows of the sheet (only those are read)',
    ],
    [{ range: 'A1:ZZ2' }, 'spreadsheet.range: must span at most 256 columns'],
    [{ range: 'A1:IV9999' }, 'spreadsheet.range: must hold at most 200000 cells'],
    [{ range: 'A4:C13', headerRow: 2 }, 'spreadsheet.headerRow: must be a row of the range A4:C13 (4 to 13)'],
    [{ headerRow: 0 }, 'spreadsheet.headerRow'],
    [{ yearDay: '02-29' }, 'spreadsheet.yearDay: must be a day that every year has (MM-DD; not 02-29)'],
    [{ yearDay: '31 March' }, 'spreadsheet.yearDay: must be a month and day, MM-DD (such as 03-31)'],
    [{ records: 'diagonal' }, 'spreadsheet.records: must be one of: rows, columns'],
    [{ format: 'xls' }, 'spreadsheet.format: must be one of: xlsx, ods'],
    [{ sheets: 'Appendix C' }, 'spreadsheet'],
  ])('refuses %j, naming the field', (spreadsheet, message) => {
    expect(problems(spreadsheet)).toContain(message);
  });

  it('refuses spreadsheet options on another kind, and yearDay without a mapped asAt', () => {
    expect(problems({}, { kind: 'csv' })).toContain('spreadsheet: is only for kind "spreadsheet"');
    expect(
      problems(
        { yearDay: '03-31' },
        { mapping: { unaccounted: 'x' }, constants: { forceId: 'police-scotland', asAt: '2024-03-31' } },
      ),
    ).toContain('spreadsheet.yearDay: applies to the field mapping.asAt names; map asAt to use it');
  });
});
