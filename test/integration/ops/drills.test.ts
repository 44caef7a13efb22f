/**
 * Fault drills (Operations), bounded and on loopback only: Redis is killed and restarted every few
 * seconds while two instances sharing it are under load. Expected: zero 5xx, no errors in bodies, no
 * request over the hang guard (1 s), no unhandled rejection, memory flat.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { createSimulator } from '../../../src/simulator';
import type { RunningGateway } from '../../helpers/gateway';
import type { Backend, Timed, World } from '../store/world';
import { HANG_GUARD_MS, singleServer, sleep, timedNational, world } from '../store/world';

/** Six single-force feeds, as in the store drills: every Redis operation, fast enough to loop. */
const FEEDS = createSimulator()
  .feeds.filter((f) => f.headline && f.forces.length === 1)
  .slice(0, 6);
const FEED_IDS = FEEDS.map((f) => f.id);

const LOAD_MS = 12_000;
/** Concurrent query loops per instance. */
const CONCURRENCY = 4;
const MB = 1024 * 1024;

/**
 * A full garbage collection before each heap reading, so the drill's heap check measures what is kept,
 * not when V8 last collected (without it the reading swung by tens of MB with the other suites sharing
 * the jest worker). `--expose-gc` turned on at run time; a fresh context then has `gc`.
 */
function exposeGc(): (() => void) | undefined {
  const given = (globalThis as { gc?: () => void }).gc;
  if (given) return given;
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as (() => void) | undefined;
}
const forceGc = exposeGc();

function heapUsed(): number {
  forceGc?.();
  return process.memoryUsage().heapUsed;
}

describe('drill: Redis killed and restarted every 2-3 s while two instances are under load', () => {
  let backend: Backend;
  let w: World | undefined;
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);

  beforeAll(async () => {
    backend = await singleServer();
    process.on('unhandledRejection', onRejection);
  });
  afterAll(async () => {
    process.off('unhandledRejection', onRejection);
    await w?.close();
    await backend?.stop();
  });

  test(
    'zero 5xx, no errors in bodies, none over 1 s, no unhandled rejection, heap flat',
    async () => {
      const redis = backend.nodes[0]!;
      // The gateway answers far more than the default analyst limit in the drill's few seconds, and this
      // drill is about Redis failing, not about limits.
      const unlimited = { points: 10_000_000, durationSeconds: 60 };
      w = await world({
        redis: backend.target,
        instances: 2,
        gateway: { feeds: FEED_IDS },
        rateLimits: { analyst: unlimited },
      });
      const live = w;
      // Warm both instances, then measure the heap baseline.
      for (const gw of live.instances) await timedNational(gw);
      const heapStart = heapUsed();

      // What each answer was, not the answer itself: holding thousands of parsed bodies would be the heap
      // growth this drill measures.
      const results: Array<{ status: number; ms: number; problem: string | null }> = [];
      const record = ({ res, ms }: Timed<any>) => {
        const ok =
          res.status === 200 &&
          res.body.errors === undefined &&
          res.body.data?.national.coverage.reporting === FEEDS.length;
        results.push({
          status: res.status,
          ms,
          problem: ok ? null : `${res.status} ${res.text.slice(0, 300)}`,
        });
      };
      let stop = false;
      // The clock moves past the ttl every 20 ms, so queries keep reading L2 and starting refreshes (lock,
      // SET, PUBLISH). Moved per query, as once, thousands of queries carried the clock over
      // midnight, and a query whose "today" was computed just before the clock moved on could see figures
      // dated after it (a shared fake clock jumping ahead, not a real one).
      const ticking = setInterval(() => live.clock.advance(31_000), 20).unref();
      const loop = async (gw: RunningGateway) => {
        while (!stop) record(await timedNational(gw));
      };
      const loops = live.instances.flatMap((gw) => Array.from({ length: CONCURRENCY }, () => loop(gw)));

      const started = Date.now();
      let cycles = 0;
      while (Date.now() - started < LOAD_MS - 3000) {
        await sleep(2000 + Math.random() * 1000);
        await redis.kill();
        await sleep(300 + Math.random() * 500);
        await redis.restart();
        cycles += 1;
      }
      await sleep(Math.max(0, LOAD_MS - (Date.now() - started)));
      stop = true;
      await Promise.all(loops);
      clearInterval(ticking);

      expect(cycles).toBeGreaterThanOrEqual(3);
      expect(results.length).toBeGreaterThan(100);
      const fiveXx = results.filter(({ status }) => status >= 500).map(({ status }) => status);
      expect(fiveXx).toEqual([]);
      const failed = results.flatMap(({ problem }) => (problem === null ? [] : [problem]));
      expect(failed).toEqual([]);
      const maxMs = Math.max(...results.map(({ ms }) => ms));
      expect(maxMs).toBeLessThan(HANG_GUARD_MS);
      // Give late rejections (e.g. of commands queued when Redis died) a moment to surface.
      await sleep(200);
      expect(rejections).toEqual([]);

      const grownMb = (heapUsed() - heapStart) / MB;
      expect(grownMb).toBeLessThan(forceGc ? 50 : 150);
    },
    LOAD_MS + 15_000,
  );
});
