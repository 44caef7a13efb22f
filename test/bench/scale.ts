/**
 * The scale group of `npm run bench` (issue 6, target 4): 45, 450 and 4,500 simulated sources (simple
 * single-force counts feeds spread round-robin over the 45 forces, 50-200 ms each; `--quick` skips 450).
 *
 * For each size, one gateway process (auth, limits, rate limiting and Redis on, warm-up off, the default
 * fetch concurrency cap) and:
 * - cold fan-out: one national query while every cache is empty, timed from the client, against the
 *   model max(slowest source, ceil(N / cap) x mean source latency), with the simulator's own view of how
 *   many requests it had in flight at once (the cap, seen from upstream);
 * - warm: analyst POSTs of the national query, 50 connections (autocannon in its own process);
 * - RSS: the gateway's VmRSS sampled every 100 ms through both, maximum reported.
 */
import { UPSTREAM_DEFAULTS } from '../../src/config/schema';
import type { Simulator } from '../../src/simulator';
import type { FanoutRun } from './fanout';
import {
  LATENCY_MS,
  NATIONAL_QUERY,
  latencyOf,
  nationalQuery,
  cpuMs,
  round,
  rssMb,
  startFanoutGateway,
  startFanoutRun,
  startSimulator,
} from './fanout';
import type { LoadResult } from './load';
import { runLoad } from './load';
import type { GatewayProcess } from './support';
import { stopChild } from './support';
import type { ScenarioOptions, ScenarioResult } from './types';

const FORCES = 45;
const CONNECTIONS = 50;
/** RSS targets of the issue, by number of sources. */
const RSS_TARGET_MB: Readonly<Record<number, number>> = { 45: 150, 4500: 400 };
/** How far the cold fan-out may exceed its model and still count as growing only with it. */
const MODEL_SLACK = 1.25;

interface SizeResult {
  readonly sources: number;
  readonly coldMs: number;
  /** Gateway CPU time (user + system) during the cold query. */
  readonly coldCpuMs: number;
  readonly modelMs: number;
  readonly slowestMs: number;
  readonly meanMs: number;
  readonly maxInFlight: number;
  readonly warm: LoadResult;
  readonly rssMaxMb: number;
  readonly rssIdleMb: number;
}

/** Samples a process' RSS every `everyMs` until stopped; gives the largest sample in MB. */
function sampleRss(pid: number, everyMs = 100): { stop(): number } {
  let max = rssMb(pid);
  const take = () => {
    const v = rssMb(pid);
    if (Number.isFinite(v) && !(v <= max)) max = v;
  };
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return max;
    },
  };
}

async function measureSize(
  run: FanoutRun,
  sources: number,
  opts: ScenarioOptions,
  cap: number,
): Promise<SizeResult> {
  const { quick, log } = opts;
  let simulator: Simulator | null = null;
  let gateway: GatewayProcess | null = null;
  try {
    const sim = await startSimulator(sources);
    simulator = sim.simulator;
    gateway = await startFanoutGateway(run, simulator, sim.baseUrl, { label: `scale-${sources}` });
    const pid = gateway.child.pid!;
    const rssIdleMb = rssMb(pid);
    const rss = sampleRss(pid);

    // --- cold fan-out ---
    simulator.resetCounts();
    const cpuBefore = cpuMs(pid);
    const cold = await nationalQuery(gateway.port, run.analystKey, 120_000);
    const coldCpuMs = cpuMs(pid) - cpuBefore;
    if (cold.error) throw new Error(`cold national query over ${sources} sources: ${cold.error}`);
    if (cold.reporting !== FORCES)
      throw new Error(`cold national query: reporting ${cold.reporting}/${FORCES}`);
    const requests = simulator.requestLog();
    const { slowestMs, meanMs, answered } = latencyOf(requests);
    if (answered !== sources) throw new Error(`cold fan-out fetched ${answered} of ${sources} sources`);
    const modelMs = Math.max(slowestMs, Math.ceil(sources / cap) * meanMs);
    const maxInFlight = simulator.maxInFlight();
    log(
      `scale ${sources}: cold ${round(cold.ms)} ms (model ${round(modelMs)} ms, slowest ${round(slowestMs)} ms, ` +
        `mean ${round(meanMs)} ms, ${maxInFlight} in flight at most, cap ${cap}; gateway CPU ${round(coldCpuMs)} ms)`,
    );

    // --- warm ---
    const warm = await runLoad({
      url: `http://127.0.0.1:${gateway.port}/graphql`,
      method: 'POST',
      headers: { authorization: `Bearer ${run.analystKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query: NATIONAL_QUERY }),
      connections: CONNECTIONS,
      durationSeconds: quick ? 3 : 10,
      warmupSeconds: quick ? 1 : 2,
    });
    const rssMaxMb = rss.stop();
    log(
      `scale ${sources}: warm ${round(warm.rps)} rps (p50 ${warm.p50Ms} ms, p99 ${warm.p99Ms} ms, ` +
        `non-2xx ${warm.non2xx}, errors ${warm.errors}), RSS max ${round(rssMaxMb)} MB`,
    );
    if (warm.requests === 0) throw new Error(`warm load over ${sources} sources completed no request`);
    return {
      sources,
      coldMs: cold.ms,
      coldCpuMs,
      modelMs,
      slowestMs,
      meanMs,
      maxInFlight,
      warm,
      rssMaxMb,
      rssIdleMb,
    };
  } finally {
    if (gateway) await stopChild(gateway.child);
    await simulator?.close().catch(() => undefined);
  }
}

export async function runScale(opts: ScenarioOptions): Promise<ScenarioResult[]> {
  const sizes = opts.quick ? [45, 4500] : [45, 450, 4500];
  const cap = UPSTREAM_DEFAULTS.concurrency;
  const q = opts.quick ? ', quick: 450 skipped, 3 s loads' : '';
  const run = await startFanoutRun('scale');
  const measured: SizeResult[] = [];
  try {
    for (const n of sizes) measured.push(await measureSize(run, n, opts, cap));
  } finally {
    await run.close();
  }

  const results: ScenarioResult[] = [];
  const range = `${LATENCY_MS[0]}-${LATENCY_MS[1]} ms`;
  for (const m of measured) {
    const n = m.sources.toLocaleString('en-GB');
    results.push({
      section: 'scale',
      name: `cold fan-out, ${n} sources (${range}, cap ${cap}${q})`,
      value: round(m.coldMs),
      unit: 'ms',
      target: `<= ${MODEL_SLACK} x model max(slowest, ceil(N/cap) x mean) = ${round(m.modelMs)} ms`,
      pass: m.coldMs <= MODEL_SLACK * m.modelMs,
      detail: {
        modelMs: round(m.modelMs),
        slowestSourceMs: round(m.slowestMs, 1),
        meanSourceMs: round(m.meanMs, 1),
        maxInFlightAtSimulator: m.maxInFlight,
        cap,
        gatewayCpuMs: round(m.coldCpuMs),
        gatewayCpuUsPerSource: round((m.coldCpuMs * 1000) / m.sources),
      },
    });
    results.push({
      section: 'scale',
      name: `cold fan-out gateway CPU, ${n} sources${q}`,
      value: round(m.coldCpuMs),
      unit: 'ms',
      detail: { perSourceUs: round((m.coldCpuMs * 1000) / m.sources) },
    });
    results.push({
      section: 'scale',
      name: `warm national rps, ${n} sources (analyst POST, ${CONNECTIONS} connections${q})`,
      value: round(m.warm.rps),
      unit: 'rps',
      detail: {
        p50Ms: m.warm.p50Ms,
        p99Ms: m.warm.p99Ms,
        non2xx: m.warm.non2xx,
        errors: m.warm.errors,
        requests: m.warm.requests,
      },
    });
    const rssTarget = RSS_TARGET_MB[m.sources];
    results.push({
      section: 'scale',
      name: `gateway RSS max under load, ${n} sources${q}`,
      value: round(m.rssMaxMb),
      unit: 'MB',
      ...(rssTarget !== undefined ? { target: `<= ${rssTarget} MB`, pass: m.rssMaxMb <= rssTarget } : {}),
      detail: { idleAfterStartMb: round(m.rssIdleMb) },
    });
  }
  const first = measured[0]!;
  const last = measured[measured.length - 1]!;
  const drop = (1 - last.warm.rps / first.warm.rps) * 100;
  results.push({
    section: 'scale',
    name: `warm rps drop, ${first.sources} -> ${last.sources.toLocaleString('en-GB')} sources${q}`,
    value: round(drop, 1),
    unit: '%',
    target: '< 10 %',
    pass: drop < 10 && last.warm.non2xx === 0 && last.warm.errors === 0,
  });
  return results;
}
