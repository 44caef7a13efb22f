/**
 * `figuresChanged` over graphql-ws, end to end: a real graphql-ws client (on `ws`) against two gateway
 * instances sharing a real redis-server, the simulator as the forces' feeds, and real API keys.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from 'graphql-ws';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { ApiKeyStore } from '../../../src/access/api-keys';
import { loadApprovedOperations } from '../../../src/access/approved-operations';
import type { Role } from '../../../src/access/caller';
import { TOTALS_FEED_ID } from '../../../src/simulator';
import type { RunningGateway } from '../../helpers/gateway';
import { gql, raw } from '../../helpers/gateway';
import type { Backend, World } from '../store/world';
import { eventually, singleServer, sleep, world } from '../store/world';

/** The approved document, exactly as in the trusted-documents manifest: what every client sends. */
const APPROVED_TEXT = loadApprovedOperations().find((op) => op.name === 'figures-changed')!.document;
/** The same subscription written by hand: fine for analysts, not an approved document. */
const HAND_WRITTEN = `subscription Mine($forceIds: [ID!]) { figuresChanged(forceIds: $forceIds) { sourceId forceIds changedAt } }`;

interface Event {
  readonly sourceId: string;
  readonly forceIds: string[];
  readonly changedAt: string;
  /** performance.now() when the client received it. */
  readonly at: number;
}

/** One subscription as a client sees it: its events, errors (GraphQL errors or a close event) and end. */
interface Watch {
  readonly events: Event[];
  readonly errors: Array<{ message: string; extensions?: { code?: string; unknownIds?: string[] } }>;
  closeCode: number | null;
  completed: boolean;
  dispose(): void;
}

describe('figuresChanged over graphql-ws across two instances', () => {
  let backend: Backend;
  let w: World;
  let a: RunningGateway;
  let b: RunningGateway;
  let dir: string;
  let keys: ApiKeyStore;
  const tokens = {} as Record<Role, string>;
  const clients: Client[] = [];

  /** A single-force feed, and a regional feed speaking for several forces. */
  let single: { id: string; forces: readonly string[] };
  let regional: { id: string; forces: readonly string[] };

  beforeAll(async () => {
    backend = await singleServer();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whereabouts-live-'));
    keys = ApiKeyStore.load(path.join(dir, 'keys.json'));
    for (const role of ['analyst', 'dashboard', 'journalist', 'operator'] as const) {
      tokens[role] = keys.create(role, `live ${role}`).token;
    }
    w = await world({ redis: backend.target, instances: 0 });
    // The keys file instead of the store tests' role header: auth is what these tests are about.
    a = await w.start({ apiKeys: keys, resolveCaller: undefined });
    b = await w.start({ apiKeys: keys, resolveCaller: undefined });
    single = w.sim.feeds.find((f) => f.kind === 'json' && f.shape === 'counts' && f.forces.length === 1)!;
    regional = w.sim.feeds.find((f) => f.headline && f.forces.length > 1 && f.id !== TOTALS_FEED_ID)!;
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.dispose()));
    // Every test starts with no subscription open anywhere (they close asynchronously on the server).
    await eventually(
      async () => w.instances.every((g) => g.app.live!.changes.size === 0 && g.app.live!.connections() === 0),
      'every subscription to close',
      2000,
    );
  });

  afterAll(async () => {
    await w?.close();
    await backend?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  function client(gateway: RunningGateway, authorization: string | null): Client {
    const c = createClient({
      url: gateway.graphqlUrl.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: authorization === null ? {} : { authorization },
      retryAttempts: 0,
    });
    clients.push(c);
    return c;
  }

  function watch(c: Client, query: string, variables?: Record<string, unknown>): Watch {
    const state: Watch = {
      events: [],
      errors: [],
      closeCode: null,
      completed: false,
      dispose: () => undefined,
    };
    state.dispose = c.subscribe<{ figuresChanged: Omit<Event, 'at'> }>(
      { query, variables },
      {
        next: (result) => {
          if (result.errors) state.errors.push(...(result.errors as Watch['errors']));
          if (result.data) state.events.push({ ...result.data.figuresChanged, at: performance.now() });
        },
        error: (error) => {
          if (Array.isArray(error)) state.errors.push(...error);
          else state.closeCode = (error as { code?: number }).code ?? null;
        },
        complete: () => (state.completed = true),
      },
    );
    return state;
  }

  /** Subscribes as `role` on `gateway`, and waits until the gateway holds the subscription. */
  async function subscribed(
    gateway: RunningGateway,
    role: Role,
    variables?: Record<string, unknown>,
    query = APPROVED_TEXT,
  ): Promise<Watch> {
    const before = gateway.app.live!.changes.size;
    const sub = watch(client(gateway, `Bearer ${tokens[role]}`), query, variables);
    await eventually(
      async () => gateway.app.live!.changes.size > before || sub.errors.length > 0,
      'the subscription to be open',
      2000,
    );
    expect(sub.errors).toEqual([]);
    return sub;
  }

  /** An operator's refreshSource, a second later than the last one (each is a new report). */
  async function refresh(gateway: RunningGateway, sourceId: string): Promise<void> {
    w.clock.advance(1000);
    const res = await gql(
      gateway.graphqlUrl,
      `mutation { refreshSource(id: "${sourceId}") { id state } }`,
      undefined,
      { authorization: `Bearer ${tokens.operator}` },
    );
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.refreshSource.state).toBe('OK');
  }

  test("an operator's refresh on A reaches a subscriber on B within 1 s, once, with the source, its forces and when its report was retrieved", async () => {
    const onB = await subscribed(b, 'analyst');
    const onA = await subscribed(a, 'analyst');
    const started = performance.now();
    await refresh(a, single.id);
    await eventually(async () => onB.events.length > 0, "B's event", 1000);
    await eventually(async () => onA.events.length > 0, "A's event", 1000);
    const expected = {
      sourceId: single.id,
      forceIds: [...b.app.service.sourcesById.get(single.id)!.forceIds],
      changedAt: new Date(w.clock.now()).toISOString(),
    };
    expect(expected.forceIds).toEqual([...single.forces]);
    const { at, ...event } = onB.events[0]!;
    expect(event).toEqual(expected);
    expect(at - started).toBeLessThan(1000);
    // The same change, the same instant, on the instance that fetched it.
    const { at: _atA, ...eventA } = onA.events[0]!;
    expect(eventA).toEqual(expected);
    // Once: B hears the change through pub/sub only, A from its own store only.
    await sleep(300);
    expect(onB.events).toHaveLength(1);
    expect(onA.events).toHaveLength(1);
    expect(onB.completed).toBe(false);
  });

  test('forceIds filters on the server; a source covering several forces is one event with all of them', async () => {
    const otherForce = regional.forces[1]!;
    const everything = await subscribed(b, 'analyst');
    const singleOnly = await subscribed(b, 'analyst', { forceIds: [single.forces[0]] });
    const regionalOnly = await subscribed(b, 'analyst', { forceIds: [otherForce, otherForce] });
    const both = await subscribed(b, 'analyst', { forceIds: [single.forces[0], regional.forces[0]] });
    await refresh(a, single.id);
    await refresh(a, regional.id);
    await eventually(async () => everything.events.length >= 2, 'both events', 1000);
    await eventually(async () => both.events.length >= 2, 'both events for both forces', 1000);
    await sleep(200);
    expect(everything.events.map((e) => e.sourceId)).toEqual([single.id, regional.id]);
    expect(both.events.map((e) => e.sourceId)).toEqual([single.id, regional.id]);
    expect(singleOnly.events.map((e) => e.sourceId)).toEqual([single.id]);
    expect(regionalOnly.events.map((e) => e.sourceId)).toEqual([regional.id]);
    expect(regionalOnly.events[0]!.forceIds).toEqual([...regional.forces]);
    expect(regional.forces.length).toBeGreaterThan(1);
  });

  test('unknown force ids are UNKNOWN_FORCE, an empty list BAD_USER_INPUT, a wrong type BAD_USER_INPUT', async () => {
    const c = client(b, `Bearer ${tokens.analyst}`);
    const unknown = watch(c, APPROVED_TEXT, { forceIds: ['dorset', 'atlantis', 'gotham'] });
    const empty = watch(c, APPROVED_TEXT, { forceIds: [] });
    const wrongType = watch(c, APPROVED_TEXT, { forceIds: [{ id: 'dorset' }] });
    await eventually(
      async () => [unknown, empty, wrongType].every((s) => s.errors.length > 0),
      'three errors',
      2000,
    );
    expect(unknown.errors).toEqual([
      expect.objectContaining({
        message: expect.stringContaining('unknown force id(s): atlantis, gotham'),
        extensions: { code: 'UNKNOWN_FORCE', unknownIds: ['atlantis', 'gotham'] },
      }),
    ]);
    expect(empty.errors[0]!.extensions!.code).toBe('BAD_USER_INPUT');
    expect(wrongType.errors[0]!.extensions!.code).toBe('BAD_USER_INPUT');
    for (const s of [unknown, empty, wrongType]) expect(s.events).toEqual([]);
  });

  test('a missing, malformed or unknown key is closed at connection time with 4401 Unauthorized', async () => {
    const attempts = [
      watch(client(b, null), APPROVED_TEXT),
      watch(client(b, `Bearer wa_not_a_key`), APPROVED_TEXT),
      watch(client(b, tokens.analyst), APPROVED_TEXT), // no "Bearer"
      watch(client(b, `Bearer ${tokens.analyst}x`), APPROVED_TEXT),
    ];
    await eventually(async () => attempts.every((s) => s.closeCode !== null), 'four closes', 3000);
    expect(attempts.map((s) => s.closeCode)).toEqual([4401, 4401, 4401, 4401]);
    for (const s of attempts) expect(s.events).toEqual([]);
  });

  test('journalist and dashboard keys subscribe with the approved manifest text only', async () => {
    const journalist = await subscribed(b, 'journalist');
    const dashboard = await subscribed(b, 'dashboard', { forceIds: [single.forces[0]] });
    const refused = [
      watch(client(b, `Bearer ${tokens.journalist}`), HAND_WRITTEN),
      // The operations file's own text (comments, layout) is not the manifest text.
      watch(
        client(b, `Bearer ${tokens.journalist}`),
        fs.readFileSync(path.join('schema', 'operations', 'figures-changed.graphql'), 'utf8'),
      ),
      watch(client(b, `Bearer ${tokens.dashboard}`), `${APPROVED_TEXT} `),
    ];
    await eventually(async () => refused.every((s) => s.errors.length > 0), 'three refusals', 2000);
    for (const s of refused) {
      expect(s.errors).toEqual([
        {
          message: expect.stringMatching(
            /^(journalist|dashboard) keys may run approved operations only: send the approved document's text exactly as in the trusted-documents manifest$/,
          ),
          extensions: { code: 'FORBIDDEN' },
        },
      ]);
    }
    await refresh(a, single.id);
    await eventually(async () => journalist.events.length > 0 && dashboard.events.length > 0, 'events', 1000);
    expect(journalist.events[0]!.sourceId).toBe(single.id);
    expect(dashboard.events[0]!.sourceId).toBe(single.id);
    // An analyst may write their own.
    const analyst = await subscribed(b, 'analyst', undefined, HAND_WRITTEN);
    await refresh(a, regional.id);
    await eventually(async () => analyst.events.length > 0, "the analyst's event", 1000);
  });

  test('only subscriptions go over graphql-ws, and a subscription sent over HTTP is a 400', async () => {
    const query = watch(client(b, `Bearer ${tokens.analyst}`), '{ forces { id } }');
    const broken = watch(client(b, `Bearer ${tokens.analyst}`), 'subscription { figuresChanged { nope } }');
    await eventually(async () => query.errors.length > 0 && broken.errors.length > 0, 'two errors', 2000);
    expect(query.errors[0]!.extensions!.code).toBe('BAD_REQUEST');
    expect(broken.errors[0]!.extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const overHttp = await gql(b.graphqlUrl, APPROVED_TEXT, undefined, {
      authorization: `Bearer ${tokens.analyst}`,
    });
    expect(overHttp.status).toBe(400);
    expect(overHttp.body.errors![0]!.extensions!.code).toBe('BAD_REQUEST');
    expect(overHttp.body.errors![0]!.message).toMatch(/graphql-ws/);
    const journalistById = await raw(b.graphqlUrl, {
      body: JSON.stringify({
        extensions: {
          persistedQuery: {
            version: 1,
            sha256Hash: loadApprovedOperations().find((op) => op.name === 'figures-changed')!.sha256,
          },
        },
      }),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.journalist}` },
    });
    expect(journalistById.status).toBe(400);
    expect(journalistById.json.errors[0].extensions.code).toBe('BAD_REQUEST');
  });

  test('a key revoked while subscribed is closed with 4401 within seconds', async () => {
    const key = keys.create('analyst', 'revoked while live');
    const c = client(b, `Bearer ${key.token}`);
    const before = b.app.live!.changes.size;
    const sub = watch(c, APPROVED_TEXT);
    await eventually(async () => b.app.live!.changes.size > before, 'the subscription', 2000);
    keys.revoke(key.id);
    await eventually(async () => sub.closeCode !== null, 'the close', 4000, 50);
    expect(sub.closeCode).toBe(4401);
  });

  test('two instances in one process without Redis do not hear each other: each app has its own feed', async () => {
    const alone = await world({ redis: null, instances: 0 });
    try {
      const x = await alone.start({ apiKeys: keys, resolveCaller: undefined });
      const y = await alone.start({ apiKeys: keys, resolveCaller: undefined });
      const onX = watch(client(x, `Bearer ${tokens.analyst}`), APPROVED_TEXT);
      const onY = watch(client(y, `Bearer ${tokens.analyst}`), APPROVED_TEXT);
      await eventually(
        async () => x.app.live!.changes.size === 1 && y.app.live!.changes.size === 1,
        'both subscriptions',
        2000,
      );
      alone.clock.advance(1000);
      await x.app.service.refresh(single.id);
      await eventually(async () => onX.events.length > 0, "X's own event", 1000);
      await sleep(300);
      expect(onX.events.map((e) => e.sourceId)).toEqual([single.id]);
      expect(onY.events).toEqual([]);
    } finally {
      await Promise.all(clients.splice(0).map((c) => c.dispose()));
      await alone.close();
    }
  });

  test("stopping an instance closes its sockets (1001) and ends its subscriptions; the other's keep going", async () => {
    const c3 = await w.start({ apiKeys: keys, resolveCaller: undefined });
    const gone = watch(client(c3, `Bearer ${tokens.analyst}`), APPROVED_TEXT);
    await eventually(
      async () => c3.app.live!.changes.size > 0,
      'the subscription on the third instance',
      2000,
    );
    const stays = await subscribed(b, 'analyst');
    const started = performance.now();
    await c3.close();
    expect(performance.now() - started).toBeLessThan(2000);
    expect(c3.app.live!.connections()).toBe(0);
    expect(c3.app.live!.changes.size).toBe(0);
    await eventually(async () => gone.closeCode !== null || gone.completed, 'the close', 2000);
    await refresh(a, single.id);
    await eventually(async () => stays.events.length > 0, "the other instance's event", 1000);
  });
});
