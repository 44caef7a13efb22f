import { loadApprovedOperations } from '../../src/access/approved-operations';
import type { Role } from '../../src/access/caller';
import { parseAsAt } from '../../src/domain/dates';
import type { Breakdown, Dimension } from '../../src/domain/figure';
import { auditIntervals, loadSolver } from '../../src/disclosure/interval-audit';
import type { Release, ReleasedBreakdown, ReleasedSum } from '../../src/disclosure/release';
import { auditInputOf, cellId } from '../../src/disclosure/release';
import { raw } from '../helpers/gateway';
import type { World } from './store/world';
import { ROLE_HEADER, world } from './store/world';

const NATIONAL_BREAKDOWN = loadApprovedOperations().find((op) => op.name === 'national-breakdown')!;
const DIMENSIONS: Dimension[] = ['YEAR_WENT_MISSING', 'OFFENCE_CATEGORY', 'MAPPA_LEVEL'];
const ROUNDS = 4;

/** A row of the `national-breakdown` operation's result. */
interface ServedRow {
  force: { id: string };
  disclosure: string;
  headline: number | null;
  breakdown: null | {
    complete: boolean;
    status: string;
    asAt: { date: string };
    provenance: { sourceId: string; title: string; url: string | null; simulated: boolean };
    cells: Array<{ category: string; value: number | null; status: string }>;
  };
}

/** A served row as the domain's breakdown (what the audit reads). */
function breakdownOf(dimension: Dimension, row: ServedRow): Breakdown {
  const b = row.breakdown!;
  return {
    forceId: row.force.id,
    dimension,
    status: b.status as Breakdown['status'],
    complete: b.complete,
    asAt: parseAsAt(b.asAt.date)!,
    provenance: { ...b.provenance, retrievedAt: '' },
    cells: b.cells.map((c) => ({ ...c, status: c.status as Breakdown['status'] })),
  };
}

/**
 * A journalist pulls every national breakdown table on several neighbouring dates while the forces'
 * figures change between them (the simulator drifts, the sources refresh), and combines all of it: every
 * row's shown cells and row total (the force's headline), every column total. The interval audit of the
 * union, built from the served JSON alone, must find no suppressed cell it can narrow; and each
 * suppressed cell's true value (the analyst's view of the same table) lies in its interval.
 */
describe('differencing: the union of every table a journalist is served over a drifting series', () => {
  let w: World;

  beforeAll(async () => {
    w = await world({ redis: null });
  });
  afterAll(async () => w?.close());

  async function table(role: Role, dimension: Dimension) {
    const res = await raw(w.instances[0]!.graphqlUrl, {
      body: JSON.stringify({
        extensions: { persistedQuery: { version: 1, sha256Hash: NATIONAL_BREAKDOWN.sha256 } },
        variables: { dimension },
      }),
      headers: { 'content-type': 'application/json', [ROLE_HEADER]: role },
    });
    expect([res.status, res.json.errors]).toEqual([200, undefined]);
    return res.json.data.nationalBreakdown as {
      rows: ServedRow[];
      columnTotals: Array<{ category: string; value: number | null }>;
      audit: { withdrawnTotals: string[] } | null;
    };
  }

  test('no suppressed cell can be worked out, and every true value lies in its interval', async () => {
    const breakdowns = new Map<string, ReleasedBreakdown>();
    const sums: ReleasedSum[] = [];
    const truths = new Map<string, number>();
    const changed = new Set<string>();
    let suppressedRows = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (const dimension of DIMENSIONS) {
        const served = await table('journalist', dimension);
        const truth = await table('analyst', dimension);
        expect(served.audit?.withdrawnTotals).toEqual([]);
        served.rows.forEach((row, i) => {
          if (!row.breakdown) return;
          const shown = breakdownOf(dimension, row);
          const real = breakdownOf(dimension, truth.rows[i]!);
          for (const cell of real.cells)
            if (cell.value !== null) truths.set(cellId(real, cell.category), cell.value);
          const key = cellId(real, '');
          if (!breakdowns.has(key)) changed.add(`${round} ${row.force.id}`);
          breakdowns.set(key, { truth: real, shown, headline: row.headline });
          if (row.disclosure === 'SUPPRESSED') suppressedRows++;
        });
        for (const total of served.columnTotals) {
          if (total.value === null) continue;
          sums.push({
            label: `round ${round} ${dimension} ${total.category}`,
            value: total.value,
            parts: served.rows.flatMap((row) =>
              row.disclosure === 'SHOWN' && row.breakdown!.cells.some((c) => c.category === total.category)
                ? [{ breakdown: breakdownOf(dimension, row), category: total.category }]
                : [],
            ),
          });
        }
      }
      // The forces' figures move on, and the gateway's sources refresh past their TTL.
      w.sim.advance(w.sim.driftIntervalMs * 5);
      w.clock.advance(31_000);
    }
    // The series really moved, and disclosure control really hid rows: otherwise the audit proves little.
    const rowsAtFirst = [...changed].filter((c) => c.startsWith('0 ')).length;
    expect(rowsAtFirst).toBeGreaterThan(3);
    expect(changed.size - rowsAtFirst).toBeGreaterThan(rowsAtFirst / 2);
    expect(suppressedRows).toBeGreaterThan(0);

    const release: Release = { breakdowns: [...breakdowns.values()], sums };
    const report = auditIntervals(await loadSolver(), auditInputOf(release, 3));
    expect(report.intervals.length).toBeGreaterThan(0);
    expect(report.unsafe).toEqual([]);
    for (const cell of report.intervals) {
      const value = truths.get(cell.id)!;
      expect(value).toBeGreaterThanOrEqual(cell.min);
      expect(value).toBeLessThanOrEqual(cell.max);
    }
  });
});
