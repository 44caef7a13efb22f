/**
 * The cold group of `npm run bench` (issue 6, target 3): a national query while every cache is empty,
 * against 45 simulated sources (one per force) answering in 50-200 ms each.
 *
 * One gateway process (auth, limits, rate limiting and Redis on, warm-up off). Its first national query
 * is reported on its own (a fresh process: code not yet compiled by V8, connections not yet open). Then
 * each sample makes it cold again (FLUSHALL, and a pub/sub invalidation per source drops its L1 copies
 * and snapshot) and times one national query from the client. The simulator records how long each of its
 * feed requests really took, so each sample compares the answer with that sample's slowest source.
 *
 * Hung source: one source never answers; the answer must come within its timeout + 50 ms with its force
 * UNAVAILABLE (read from the answer's `forces { outcome }`).
 */
import { percentile } from './support';
import type { ScenarioOptions, ScenarioResult } from './types';
import {
  LATENCY_MS,
  latencyOf,
  makeCold,
  nationalQuery,
  round,
  startFanoutGateway,
  startFanoutRun,
  startSimulator,
} from './fanout';
import type { GatewayProcess } from './support';
import { stopChild } from './support';
import type { FanoutRun } from './fanout';
import type { Simulator } from '../../src/simulator';
import { SIMULATED_SOURCE_DEFAULTS } from '../../src/simulator';

const SOURCES = 45;
const FORCES = 45;
/** The allowance over the slowest source. */
const OVERHEAD_MS = 20;
/** The allowance over a hung source's timeout. */
const HANG_ALLOWANCE_MS = 50;

interface Sample {
  readonly ms: number;
  readonly slowestMs: number;
  readonly overheadMs: number;
  readonly answered: number;
  readonly reporting: number | null;
  readonly error: string | null;
}

async function coldSample(
  run: FanoutRun,
  simulator: Simulator,
  gateway: GatewayProcess,
  fresh: boolean,
): Promise<Sample> {
  if (!fresh)
    await makeCold(
      run,
      simulator.feeds.map((f) => f.id),
    );
  simulator.resetCounts();
  const answer = await nationalQuery(gateway.port, run.analystKey);
  const { slowestMs, answered } = latencyOf(simulator.requestLog());
  let error = answer.error;
  if (!error && answered !== SOURCES) error = `${answered} of ${SOURCES} sources fetched: not cold`;
  if (!error && answer.reporting !== FORCES) error = `reporting ${answer.reporting}/${FORCES}`;
  return {
    ms: answer.ms,
    slowestMs,
    overheadMs: answer.ms - slowestMs,
    answered,
    reporting: answer.reporting,
    error,
  };
}

export async function runCold(opts: ScenarioOptions): Promise<ScenarioResult[]> {
  const { quick, log } = opts;
  const samples = quick ? 7 : 30;
  const hangSamples = quick ? 1 : 3;
  const results: ScenarioResult[] = [];
  const run = await startFanoutRun('cold');
  let simulator: Simulator | null = null;
  let gateway: GatewayProcess | null = null;
  try {
    const sim = await startSimulator(SOURCES);
    simulator = sim.simulator;
    gateway = await startFanoutGateway(run, simulator, sim.baseUrl, { label: 'cold' });
    log(
      `cold: redis :${run.redisPort}, simulator ${sim.baseUrl} (${SOURCES} sources), gateway :${gateway.port}`,
    );
    const range = `${SOURCES} sources, ${LATENCY_MS[0]}-${LATENCY_MS[1]} ms`;

    // --- the very first query of a fresh process ---
    const first = await coldSample(run, simulator, gateway, true);
    if (first.error) throw new Error(`first cold query: ${first.error}`);
    results.push({
      section: 'cold',
      name: `cold national, first query of a fresh process (${range})`,
      value: round(first.ms),
      unit: 'ms',
      detail: { slowestSourceMs: round(first.slowestMs, 1), overheadMs: round(first.overheadMs, 1) },
    });

    // --- cold samples ---
    const taken: Sample[] = [];
    for (let i = 0; i < samples; i++) {
      const s = await coldSample(run, simulator, gateway, false);
      if (s.error) throw new Error(`cold sample ${i + 1}: ${s.error}`);
      taken.push(s);
    }
    const ms = taken.map((s) => s.ms).sort((a, b) => a - b);
    const slowest = taken.map((s) => s.slowestMs).sort((a, b) => a - b);
    const overhead = taken.map((s) => s.overheadMs).sort((a, b) => a - b);
    const p50 = percentile(ms, 50);
    const p50Slowest = percentile(slowest, 50);
    const p50Overhead = percentile(overhead, 50);
    log(
      `cold: ${samples} samples, p50 ${round(p50)} ms (slowest source p50 ${round(p50Slowest)} ms), ` +
        `overhead p50 ${round(p50Overhead, 1)} ms p99 ${round(percentile(overhead, 99), 1)} ms`,
    );
    const detail = {
      samples,
      msBySample: taken.map((s) => round(s.ms, 1)),
      slowestSourceMsBySample: taken.map((s) => round(s.slowestMs, 1)),
      overheadMsBySample: taken.map((s) => round(s.overheadMs, 1)),
    };
    results.push({
      section: 'cold',
      name: `cold national p50 (${range}, ${samples} samples${quick ? ', quick' : ''})`,
      value: round(p50),
      unit: 'ms',
      target: `<= slowest source + ${OVERHEAD_MS} ms (p50 slowest ${round(p50Slowest)} ms -> ${round(p50Slowest + OVERHEAD_MS)} ms)`,
      pass: p50 <= p50Slowest + OVERHEAD_MS,
      detail,
    });
    results.push({
      section: 'cold',
      name: `cold national p99 (${range}, ${samples} samples${quick ? ', quick' : ''})`,
      value: round(percentile(ms, 99)),
      unit: 'ms',
      detail: { slowestSourceP99Ms: round(percentile(slowest, 99)) },
    });
    results.push({
      section: 'cold',
      name: `cold national, time over that sample's slowest source, p50`,
      value: round(p50Overhead, 1),
      unit: 'ms',
      target: `<= ${OVERHEAD_MS} ms`,
      pass: p50Overhead <= OVERHEAD_MS,
    });
    results.push({
      section: 'cold',
      name: `cold national, time over that sample's slowest source, p99`,
      value: round(percentile(overhead, 99), 1),
      unit: 'ms',
    });

    // --- one source hangs ---
    const hung = simulator.feeds[Math.floor(SOURCES / 2)]!;
    const hungForce = hung.forces[0]!;
    const timeoutMs = SIMULATED_SOURCE_DEFAULTS.timeoutMs;
    simulator.setFault(hung.id, { mode: 'hang' });
    const hangs: Array<{ ms: number; outcome: string | undefined; unavailable: number | null }> = [];
    for (let i = 0; i < hangSamples; i++) {
      await makeCold(
        run,
        simulator.feeds.map((f) => f.id),
      );
      const answer = await nationalQuery(gateway.port, run.analystKey, timeoutMs + 10_000);
      if (answer.error) throw new Error(`hung-source sample ${i + 1}: ${answer.error}`);
      hangs.push({ ms: answer.ms, outcome: answer.outcomes.get(hungForce), unavailable: answer.unavailable });
    }
    simulator.setFault(hung.id, null);
    const worst = Math.max(...hangs.map((h) => h.ms));
    const outcomes = [...new Set(hangs.map((h) => h.outcome ?? 'absent'))];
    log(`cold: hung source ${hung.id}: worst ${round(worst)} ms, ${hungForce} ${outcomes.join('/')}`);
    results.push({
      section: 'cold',
      name: `cold national, one source hung (${hung.id}, timeout ${timeoutMs} ms), worst of ${hangSamples}`,
      value: round(worst),
      unit: 'ms',
      target: `<= timeout + ${HANG_ALLOWANCE_MS} ms (${timeoutMs + HANG_ALLOWANCE_MS} ms)`,
      pass: worst <= timeoutMs + HANG_ALLOWANCE_MS,
      detail: { msBySample: hangs.map((h) => round(h.ms, 1)), unavailable: hangs.map((h) => h.unavailable) },
    });
    results.push({
      section: 'cold',
      name: `cold national, hung source's force (${hungForce}) outcome: ${outcomes.join('/')}`,
      value: hangs.filter((h) => h.outcome === 'UNAVAILABLE').length,
      unit: `of ${hangSamples} UNAVAILABLE`,
      target: 'UNAVAILABLE in every answer',
      pass: outcomes.length === 1 && outcomes[0] === 'UNAVAILABLE',
      detail: { outcomes: hangs.map((h) => h.outcome ?? null) },
    });
    return results;
  } finally {
    if (gateway) await stopChild(gateway.child);
    await simulator?.close().catch(() => undefined);
    await run.close();
  }
}
