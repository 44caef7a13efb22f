import {
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  hookSecretVariable,
  signWebhook,
} from '../../../src/http/webhooks';
import type { FeedDefinition } from '../../../src/simulator';
import { createSimulator } from '../../../src/simulator';
import type { RunningGateway } from '../../helpers/gateway';
import { gql } from '../../helpers/gateway';
import type { Backend, World } from './world';
import {
  ROLE_HEADER,
  driftUntilChanged,
  entryOf,
  eventually,
  flushAll,
  national,
  singleServer,
  sleep,
  world,
} from './world';

const SECRET = 'test-hook-secret-7f3a';
const BODY = JSON.stringify({ event: 'figures-changed' });

/** The source the webhooks are about: a single-force json counts feed. */
const FEED: FeedDefinition = createSimulator().feeds.find(
  (f) => f.kind === 'json' && f.shape === 'counts' && f.forces.length === 1,
)!;
const FORCE = FEED.forces[0]!;
/** Another source, configured but without a webhook secret. */
const NO_SECRET_FEED = createSimulator().feeds.find(
  (f) => f.kind === 'csv' && f.shape === 'counts' && f.forces.length === 1,
)!;

interface Hook {
  readonly sourceId?: string;
  readonly body?: string;
  readonly timestamp?: number | null;
  readonly signature?: string | null;
}

/** POSTs a webhook; by default a valid one for FEED, signed now. */
async function postHook(w: World, gw: RunningGateway, hook: Hook = {}) {
  const sourceId = hook.sourceId ?? FEED.id;
  const body = hook.body ?? BODY;
  const timestamp = hook.timestamp === undefined ? Math.floor(w.clock.now() / 1000) : hook.timestamp;
  const signature = hook.signature === undefined ? signWebhook(SECRET, timestamp ?? 0, body) : hook.signature;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (timestamp !== null) headers[TIMESTAMP_HEADER] = String(timestamp);
  if (signature !== null) headers[SIGNATURE_HEADER] = signature;
  const res = await fetch(`${gw.url}/hooks/sources/${sourceId}`, { method: 'POST', headers, body });
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', json: await res.json() };
}

/** Refused: 401, JSON, code UNAUTHENTICATED, and the same message whatever was wrong. */
function expectRefused(res: Awaited<ReturnType<typeof postHook>>): void {
  expect(res.status).toBe(401);
  expect(res.contentType).toMatch(/^application\/json/);
  expect(res.json).toEqual({
    errors: [{ message: 'invalid or missing webhook signature', extensions: { code: 'UNAUTHENTICATED' } }],
  });
}

async function figureOf(gw: RunningGateway): Promise<number> {
  return entryOf((await national(gw)).data, FORCE).figure.value;
}

function refreshSource(gw: RunningGateway, id: string, role: string) {
  return gql(gw.graphqlUrl, `mutation { refreshSource(id: "${id}") { id state freshness } }`, undefined, {
    [ROLE_HEADER]: role,
  });
}

describe('invalidation: signed webhooks, operator refresh and pub/sub', () => {
  let backend: Backend;
  let w: World;
  let a: RunningGateway;
  let b: RunningGateway;
  /** FEED's figure as both instances serve it before the source changed. */
  let before: number;
  /** FEED's figure after the simulator drifted. */
  let drifted: number;

  beforeAll(async () => {
    backend = await singleServer();
  });
  afterAll(() => backend?.stop());

  beforeEach(async () => {
    await flushAll(backend);
    w = await world({
      redis: backend.target,
      instances: 2,
      env: { [hookSecretVariable(FEED.id)]: SECRET },
      // Two sources are enough here (the other forces simply have no figure), and keep each test short.
      gateway: { feeds: [FEED.id, NO_SECRET_FEED.id] },
    });
    [a, b] = w.instances as [RunningGateway, RunningGateway];
    before = await figureOf(a);
    expect(await figureOf(b)).toBe(before);
    // The source changes; both instances still hold the old figure, fresh within its ttl.
    drifted = driftUntilChanged(w.sim, FORCE);
    expect(drifted).not.toBe(before);
    w.sim.resetCounts();
  });
  afterEach(() => w?.close());

  describe('signed webhook (POST /hooks/sources/:id)', () => {
    test('a valid signature is accepted with 202, the source is refetched once, and both instances serve its new figure', async () => {
      const res = await postHook(w, a);
      expect(res.status).toBe(202);
      expect(res.json).toEqual({ accepted: true, sourceId: FEED.id });
      await eventually(async () => (await figureOf(a)) === drifted, 'instance A to serve the new figure');
      await eventually(async () => (await figureOf(b)) === drifted, 'instance B to serve the new figure');
      expect(w.sim.requestCount(FEED.id)).toBe(1);
      expect(w.sim.requestCount()).toBe(1);
    });

    test.each<[string, (w: World) => Hook]>([
      ['no signature', () => ({ signature: null })],
      ['no timestamp', () => ({ timestamp: null })],
      ['a wrong signature', () => ({ signature: `sha256=${'0'.repeat(64)}` })],
      ['a signature that is not sha256=<hex>', () => ({ signature: 'not-a-signature' })],
      [
        'a signature made with another secret',
        (w) => {
          const timestamp = Math.floor(w.clock.now() / 1000);
          return { timestamp, signature: signWebhook('another-secret', timestamp, BODY) };
        },
      ],
      [
        'a body changed after signing',
        (w) => {
          const timestamp = Math.floor(w.clock.now() / 1000);
          return { timestamp, signature: signWebhook(SECRET, timestamp, BODY), body: '{"event":"other"}' };
        },
      ],
      [
        'a timestamp older than five minutes (correctly signed)',
        (w) => {
          const timestamp = Math.floor(w.clock.now() / 1000) - 301;
          return { timestamp, signature: signWebhook(SECRET, timestamp, BODY) };
        },
      ],
      [
        'a timestamp more than five minutes ahead (correctly signed)',
        (w) => {
          const timestamp = Math.floor(w.clock.now() / 1000) + 301;
          return { timestamp, signature: signWebhook(SECRET, timestamp, BODY) };
        },
      ],
      [
        'a source that has no webhook secret configured',
        (w) => {
          const timestamp = Math.floor(w.clock.now() / 1000);
          return { sourceId: NO_SECRET_FEED.id, timestamp, signature: signWebhook(SECRET, timestamp, BODY) };
        },
      ],
      ['a source that does not exist', () => ({ sourceId: 'no-such-source' })],
    ])('%s: 401 UNAUTHENTICATED, and nothing is refetched', async (_case, make) => {
      expectRefused(await postHook(w, a, make(w)));
      await sleep(100); // a refresh would have started by now
      expect(w.sim.requestCount()).toBe(0);
      expect(await figureOf(a)).toBe(before);
      expect(await figureOf(b)).toBe(before);
    });

    test('a replayed request is refused with 401, on the instance that accepted it and on the other one', async () => {
      const timestamp = Math.floor(w.clock.now() / 1000);
      const hook = { timestamp, signature: signWebhook(SECRET, timestamp, BODY) };
      expect((await postHook(w, a, hook)).status).toBe(202);
      await eventually(async () => (await figureOf(a)) === drifted, 'the accepted refresh');
      expect(w.sim.requestCount(FEED.id)).toBe(1);

      expectRefused(await postHook(w, a, hook));
      expectRefused(await postHook(w, b, hook));
      await sleep(100);
      expect(w.sim.requestCount()).toBe(1);
    });
  });

  describe('refreshSource mutation', () => {
    test('as an operator, it refetches the source at once and the new figure is served', async () => {
      const res = await refreshSource(a, FEED.id, 'operator');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ data: { refreshSource: { id: FEED.id, state: 'OK', freshness: 'FRESH' } } });
      expect(w.sim.requestCount(FEED.id)).toBe(1);
      expect(w.sim.requestCount()).toBe(1);
      expect(await figureOf(a)).toBe(drifted);
    });

    test.each(['analyst', 'dashboard', 'journalist'])(
      'as %s, it is 403 FORBIDDEN and refetches nothing',
      async (role) => {
        const res = await refreshSource(a, FEED.id, role);
        expect(res.status).toBe(403);
        expect(res.body.data ?? null).toBeNull();
        expect(res.body.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
        await sleep(50);
        expect(w.sim.requestCount()).toBe(0);
        expect(await figureOf(a)).toBe(before);
      },
    );

    test('of an unknown source, it is BAD_USER_INPUT and refetches nothing', async () => {
      const res = await refreshSource(a, 'no-such-source', 'operator');
      expect(res.body.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
      expect(w.sim.requestCount()).toBe(0);
    });
  });

  describe('pub/sub between instances', () => {
    test('a refresh on instance A makes instance B serve the new figure within a second, read from L2 (B does not refetch)', async () => {
      expect((await refreshSource(a, FEED.id, 'operator')).status).toBe(200);
      const started = Date.now();
      const seen = await eventually(
        async () => {
          const r = await national(b);
          return entryOf(r.data, FORCE).figure.value === drifted && r;
        },
        'instance B to serve the refreshed figure',
        1000,
      );
      expect(Date.now() - started).toBeLessThan(1000);
      // B dropped only that source from its L1 and read it back from Redis.
      expect(seen.cacheStatus.tiers).toEqual({ L1: w.config.sources.length - 1, L2: 1, UPSTREAM: 0 });
      expect(w.sim.requestCount()).toBe(1);
    });
  });
});
