/**
 * What disclosure control costs (issue 20): `node test/bench/run.js disclosure [--rounds N]`.
 *
 * For 90 simulated sources (a count feed and a breakdown feed per force: the 45 forces' table) and 4,500
 * (a hundred per force, half of them breakdowns, as the scale bench's size), one gateway in this process (no Redis, a journalist and an analyst by test header) and:
 * - the audit alone: `auditTable` (the table, the release, HiGHS over every suppressed cell; uncached)
 *   on the forces' breakdowns by each dimension, median of N runs, with the cells checked and the linear
 *   programs solved;
 * - the national table's first request after a new generation (selection over every source's breakdowns,
 *   the table and the audit) against a warm request (the generation's kept result), medians;
 * - CPU per warm request of `/feeds/national-breakdown.json` against `/feeds/national-latest.json`,
 *   alternated in rounds in the same process, the gateway's CPU read from `process.cpuUsage()`.
 *
 * Writes `test/bench/results/disclosure.md`. Loopback only; bounded in count and time.
 */
import http from 'node:http';
import path from 'node:path';
import { loadApprovedOperations } from '../../src/access/approved-operations';
import type { Role } from '../../src/access/caller';
import { buildConfig } from '../../src/config/load';
import { parseAsAt } from '../../src/domain/dates';
import type { TableInput } from '../../src/domain/breakdown-table';
import type { Breakdown, Dimension } from '../../src/domain/figure';
import { auditTable } from '../../src/disclosure/audited-table';
import { loadSolver } from '../../src/disclosure/interval-audit';
import { createSimulator } from '../../src/simulator';
import type { RunningGateway } from '../helpers/gateway';
import { startGateway } from '../helpers/gateway';
import { writeFormatted } from './support';

const RESULTS = path.join(__dirname, 'results');
const DIMENSIONS: Dimension[] = ['YEAR_WENT_MISSING', 'OFFENCE_CATEGORY', 'MAPPA_LEVEL'];
const ROLE_HEADER = 'x-bench-role';
const log = (line: string) => process.stderr.write(`[disclosure] ${line}\n`);

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function get(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent, headers }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

function post(url: string, role: Role, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', [ROLE_HEADER]: role },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const ms = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e6;
const round2 = (x: number): number => Math.round(x * 100) / 100;

/** The approved `national-breakdown` operation, sent by document id as a journalist's client must. */
const NATIONAL_BREAKDOWN = loadApprovedOperations().find((op) => op.name === 'national-breakdown')!;

interface SizeResult {
  sources: number;
  rows: Array<{
    dimension: Dimension;
    forcesWithBreakdown: number;
    cellsChecked: number;
    solves: number;
    auditMs: number;
    firstRequestMs: number;
    warmRequestMs: number;
  }>;
  feedCpuUs: { breakdown: number; latest: number };
  feedBytes: { breakdown: number; latest: number };
}

async function measureSize(sources: number, rounds: number): Promise<SizeResult> {
  const sim = createSimulator({ sources, breakdowns: true, latencyMs: [0, 2] });
  const { baseUrl } = await sim.listen(0);
  const document = sim.gatewayConfig(baseUrl, {
    refreshWithoutTraffic: false,
    ttlSeconds: 86_400,
    staleForSeconds: 86_400,
    timeoutMs: 10_000,
  });
  const config = buildConfig(
    {
      ...document,
      access: { ...document.access, rateLimits: { journalist: { points: 1e7, durationSeconds: 1 } } },
    },
    { baseDir: process.cwd(), origin: 'simulator' },
  );
  let gateway: RunningGateway | null = null;
  try {
    gateway = await startGateway(config, {
      redis: null,
      env: {},
      resolveCaller: async (headers) => {
        const role = (headers[ROLE_HEADER] as Role | undefined) ?? 'analyst';
        return { keyId: `bench-${role}`, role, via: 'api-key' };
      },
    });
    const graphql = gateway.graphqlUrl;
    // Every source fetched once: the national query fans out to all of them.
    const national = await post(
      graphql,
      'analyst',
      JSON.stringify({ query: '{ national { unaccounted { value } } }' }),
    );
    if (national.status !== 200)
      throw new Error(`national: HTTP ${national.status} ${national.body.slice(0, 300)}`);

    const rows: SizeResult['rows'] = [];
    for (const dimension of DIMENSIONS) {
      const body = JSON.stringify({
        extensions: { persistedQuery: { version: 1, sha256Hash: NATIONAL_BREAKDOWN.sha256 } },
        variables: { dimension },
      });
      // First request of this generation for the journalist (selection, table, audit), then warm ones.
      let start = process.hrtime.bigint();
      const first = await post(graphql, 'journalist', body);
      const firstRequestMs = ms(start);
      if (first.status !== 200 || first.body.includes('"errors"')) throw new Error(first.body.slice(0, 500));
      const warm: number[] = [];
      for (let i = 0; i < 21; i++) {
        start = process.hrtime.bigint();
        await post(graphql, 'journalist', body);
        warm.push(ms(start));
      }
      const served = JSON.parse(first.body).data.nationalBreakdown;
      // The truth (the analyst's table) as the audit's input, then the audit alone, timed.
      const truth = JSON.parse((await post(graphql, 'analyst', body)).body).data.nationalBreakdown;
      const inputs: TableInput[] = truth.rows.map((row: any) => ({
        forceId: row.force.id,
        headline: row.headline,
        breakdown: row.breakdown && breakdownOf(row.force.id, dimension, row.breakdown),
      }));
      await loadSolver();
      const audits: number[] = [];
      for (let i = 0; i < rounds; i++) {
        start = process.hrtime.bigint();
        await auditTable(dimension, inputs, 3);
        audits.push(ms(start));
      }
      rows.push({
        dimension,
        forcesWithBreakdown: inputs.filter((i) => i.breakdown).length,
        cellsChecked: served.audit.cellsChecked,
        solves: served.audit.solves,
        auditMs: round2(median(audits)),
        firstRequestMs: round2(firstRequestMs),
        warmRequestMs: round2(median(warm)),
      });
      log(`${sources} sources, ${dimension}: ${JSON.stringify(rows.at(-1))}`);
    }

    // CPU per warm feed request: the two feeds alternated, 400 requests a round, this process' CPU.
    const feeds = {
      breakdown: `${gateway.url}/feeds/national-breakdown.json?dimension=YEAR_WENT_MISSING`,
      latest: `${gateway.url}/feeds/national-latest.json`,
    };
    const headers = { [ROLE_HEADER]: 'journalist' };
    const bytes = { breakdown: 0, latest: 0 };
    for (const which of Object.keys(feeds) as Array<keyof typeof feeds>) {
      const res = await get(feeds[which], headers);
      if (res.status !== 200) throw new Error(`${which}: HTTP ${res.status} ${res.body.slice(0, 300)}`);
      bytes[which] = Buffer.byteLength(res.body);
    }
    const cpu: Record<keyof typeof feeds, number[]> = { breakdown: [], latest: [] };
    const PER_ROUND = 400;
    for (let r = 0; r < rounds; r++) {
      const order = (r % 2 ? ['latest', 'breakdown'] : ['breakdown', 'latest']) as Array<keyof typeof feeds>;
      for (const which of order) {
        const before = process.cpuUsage();
        for (let i = 0; i < PER_ROUND; i++) await get(feeds[which], headers);
        const used = process.cpuUsage(before);
        cpu[which].push((used.user + used.system) / PER_ROUND);
      }
    }
    return {
      sources,
      rows,
      feedCpuUs: { breakdown: round2(median(cpu.breakdown)), latest: round2(median(cpu.latest)) },
      feedBytes: bytes,
    };
  } finally {
    await gateway?.close();
    await sim.close();
  }
}

/** A served row's breakdown as the domain has it. */
function breakdownOf(forceId: string, dimension: Dimension, b: any): Breakdown {
  return {
    forceId,
    dimension,
    status: b.status,
    complete: b.complete,
    asAt: parseAsAt(b.asAt.date)!,
    provenance: { ...b.provenance, retrievedAt: '' },
    cells: b.cells,
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(3);
  const roundsAt = argv.indexOf('--rounds');
  const rounds = roundsAt >= 0 ? Number(argv[roundsAt + 1]) : 9;
  const sizes: SizeResult[] = [];
  for (const sources of [90, 4500]) sizes.push(await measureSize(sources, rounds));

  const lines = [
    '# Disclosure control: the audit and the breakdown feed',
    '',
    `\`node test/bench/run.js disclosure --rounds ${rounds}\`, ${new Date().toISOString().slice(0, 10)}, ` +
      `Node ${process.version}. One gateway in the bench's process per size (no Redis), simulated sources.`,
    '',
    '| sources | dimension | forces with a breakdown | cells audited | LPs solved | audit alone (median) | first request of a generation | warm request (median) |',
    '|---:|---|---:|---:|---:|---:|---:|---:|',
    ...sizes.flatMap((s) =>
      s.rows.map(
        (r) =>
          `| ${s.sources} | ${r.dimension} | ${r.forcesWithBreakdown} | ${r.cellsChecked} | ${r.solves} | ` +
          `${r.auditMs} ms | ${r.firstRequestMs} ms | ${r.warmRequestMs} ms |`,
      ),
    ),
    '',
    'CPU per warm feed request (the whole process: gateway and this client; median of the rounds, alternated):',
    '',
    '| sources | `/feeds/national-breakdown.json` | `/feeds/national-latest.json` | ratio | body bytes (breakdown / latest) |',
    '|---:|---:|---:|---:|---:|',
    ...sizes.map(
      (s) =>
        `| ${s.sources} | ${s.feedCpuUs.breakdown} µs | ${s.feedCpuUs.latest} µs | ` +
        `${round2(s.feedCpuUs.breakdown / s.feedCpuUs.latest)} | ${s.feedBytes.breakdown} / ${s.feedBytes.latest} |`,
    ),
    '',
  ];
  await writeFormatted(path.join(RESULTS, 'disclosure.md'), lines.join('\n'), log);
  process.stdout.write(lines.join('\n'));
  agent.destroy();
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
