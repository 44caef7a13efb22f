import { loadApprovedOperations } from '../../src/access/approved-operations';
import type { Role } from '../../src/access/caller';
import { raw } from '../helpers/gateway';
import type { KeyedGateway } from '../helpers/keyed-gateway';
import { startKeyedGateway } from '../helpers/keyed-gateway';

const APPROVED = loadApprovedOperations();
const approvedId = (name: string) => APPROVED.find((op) => op.name === name)!.sha256;

interface Row {
  force: { id: string };
  disclosure: string;
  headline: number | null;
  breakdown: null | {
    complete: boolean;
    cells: Array<{ category: string; value: number | null; status: string }>;
  };
}

describe('breakdowns for every role, under disclosure control (bundled published figures)', () => {
  let keyed: KeyedGateway;

  beforeAll(async () => {
    keyed = await startKeyedGateway();
  });
  afterAll(async () => keyed.close());

  async function approved(role: Role, name: string, variables: object) {
    const res = await raw(keyed.gateway.graphqlUrl, {
      body: JSON.stringify({
        extensions: { persistedQuery: { version: 1, sha256Hash: approvedId(name) } },
        variables,
      }),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${keyed.tokens[role]}` },
    });
    expect(res.status).toBe(200);
    expect(res.json.errors).toBeUndefined();
    return res.json.data;
  }

  const yearTable = (role: Role) =>
    approved(role, 'national-breakdown', { dimension: 'YEAR_WENT_MISSING', asAt: '2018-01-17' }).then(
      (data) => data.nationalBreakdown,
    );
  const rowOf = (table: { rows: Row[] }, id: string) => table.rows.find((r) => r.force.id === id)!;

  it.each(['journalist', 'dashboard'] as const)(
    'a %s key sees Dorset 2018 (1 + 3 + 1 = 5) fully suppressed, with its headline as the row total',
    async (role) => {
      const table = await yearTable(role);
      const dorset = rowOf(table, 'dorset');
      expect(dorset.disclosure).toBe('SUPPRESSED');
      expect(dorset.headline).toBe(5);
      expect(dorset.breakdown!.cells).toEqual([
        { category: '2014', value: null, status: 'SUPPRESSED' },
        { category: '2016', value: null, status: 'SUPPRESSED' },
        { category: '2017', value: null, status: 'SUPPRESSED' },
      ]);
      expect(table.disclosureK).toBe(3);
      expect(table.audit).toMatchObject({ k: 3, withdrawnTotals: [] });
      expect(table.audit.cellsChecked).toBeGreaterThanOrEqual(3);
    },
  );

  it('shows Greater Manchester’s "one missing since 2006" as incomplete, and suppressed for a journalist', async () => {
    const table = await yearTable('journalist');
    const gmp = rowOf(table, 'greater-manchester');
    expect(gmp.breakdown!.complete).toBe(false);
    expect(gmp.disclosure).toBe('SUPPRESSED');
    expect(gmp.breakdown!.cells).toEqual([{ category: '2006', value: null, status: 'SUPPRESSED' }]);
  });

  it('an analyst sees every cell, and the column totals add up every shown cell', async () => {
    const table = await yearTable('analyst');
    expect(table.disclosureK).toBeNull();
    expect(table.audit).toBeNull();
    expect(rowOf(table, 'dorset').breakdown!.cells.map((c) => c.value)).toEqual([1, 3, 1]);
    expect(rowOf(table, 'greater-manchester').breakdown!.cells).toEqual([
      { category: '2006', value: 1, status: 'REPORTED' },
    ]);
    expect(table.categories).toEqual(['2006', '2014', '2016', '2017']);
    expect(table.columnTotals).toEqual([
      { category: '2006', value: 1, forces: 1 },
      { category: '2014', value: 1, forces: 1 },
      { category: '2016', value: 3, forces: 1 },
      { category: '2017', value: 1, forces: 1 },
    ]);
  });

  it('a journalist’s column totals count no suppressed cell, and the coverage says what they leave out', async () => {
    const table = await yearTable('journalist');
    expect(
      table.columnTotals.every((t: { value: number; forces: number }) => t.value === 0 && t.forces === 0),
    ).toBe(true);
    expect(table.coverage).toMatchObject({ suppressed: 2, shown: 0 });
    expect(table.coverage.suppressedPeople).toBe(5 + rowOf(table, 'greater-manchester').headline!);
    expect(table.coverage.forces).toBe(table.rows.length);
    const { shown, suppressed, notReported, none } = table.coverage;
    expect(shown + suppressed + notReported + none).toBe(table.coverage.forces);
  });

  it('keeps the Met’s "38 of the 227 missing for at least eight years" visible to a journalist', async () => {
    const data = await approved('journalist', 'force-breakdowns', {
      id: 'metropolitan',
      asAt: '2018-01-17',
      dimension: 'MISSING_FOR_AT_LEAST_YEARS',
    });
    const [breakdown] = data.force.latest.breakdowns;
    expect(breakdown.cells).toEqual([{ category: '8', value: 38, status: 'REPORTED' }]);
    expect(breakdown.complete).toBe(false);
  });

  it('serves the per-force breakdowns to a journalist exactly as the national table has them', async () => {
    const data = await approved('journalist', 'force-breakdowns', {
      id: 'dorset',
      asAt: '2018-01-17',
      dimension: 'YEAR_WENT_MISSING',
    });
    const table = await yearTable('journalist');
    expect(data.force.latest.breakdowns[0].cells).toEqual(rowOf(table, 'dorset').breakdown!.cells);
  });

  it('serves the national table as a feed to a journalist key, with the same cells', async () => {
    const res = await raw(
      `${keyed.gateway.url}/feeds/national-breakdown.json?dimension=YEAR_WENT_MISSING&asAt=2018-01-17`,
      { method: 'GET', headers: { authorization: `Bearer ${keyed.tokens.journalist}` } },
    );
    expect(res.status).toBe(200);
    expect(res.json.data.nationalBreakdown).toEqual(await yearTable('journalist'));
  });
});
