/**
 * The access policy (src/access/policy.ts) walked through every transport: for each role and a caller
 * without a key, each capability of the table is asked for over every transport that offers it (GraphQL
 * POST and GET, the feeds, graphql-ws, /metrics) of a real gateway with real API keys, and the outcome
 * must be what the table says (catalogue case 28: the same decision for
 * every role over every transport).
 *
 * The cases are generated from the table and the approved operations' `@roles`; the expected matrix is
 * also pinned below as a literal, so a change to the table shows up in this file as a diff.
 */
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import type { ApprovedOperation } from '../../../src/access/approved-operations';
import { loadApprovedOperations } from '../../../src/access/approved-operations';
import type { Role } from '../../../src/access/caller';
import type { Principal } from '../../../src/access/policy';
import { ACCESS_TABLE, CAPABILITIES, PRINCIPALS } from '../../../src/access/policy';
import type { RunningGateway } from '../../helpers/gateway';
import { eventually } from '../../helpers/eventually';
import type { KeyedGateway } from '../../helpers/keyed-gateway';
import { startKeyedGateway } from '../../helpers/keyed-gateway';

const APPROVED = loadApprovedOperations();
const approved = (name: string): ApprovedOperation => APPROVED.find((op) => op.name === name)!;
/** The feeds the matrix's gateways serve to anyone (`access.publicFeeds`). */
const PUBLIC_FEEDS: readonly string[] = ['national-latest'];

type Transport = 'graphql POST' | 'graphql GET' | 'feed' | 'graphql-ws' | '/metrics';

/** One row of the matrix: a capability of the table, each approved operation and public feed a row of its own. */
type Capability =
  | { readonly kind: 'ownQueries' | 'introspection' | 'metrics' | 'refreshSource' | 'disclosure' }
  | { readonly kind: 'approved' | 'publicFeed'; readonly op: ApprovedOperation };

const nameOf = (c: Capability): string =>
  'op' in c ? `${c.kind === 'approved' ? 'approved' : 'public feed'} ${c.op.name}` : c.kind;
const isSubscription = (op: ApprovedOperation) => /^\s*subscription\b/.test(op.document);

/** The matrix's rows, generated from the table's capabilities and the approved operations. */
function capabilities(): Capability[] {
  return CAPABILITIES.flatMap((capability): Capability[] => {
    if (capability === 'approvedOperations') return APPROVED.map((op) => ({ kind: 'approved', op }));
    if (capability === 'publicFeeds')
      return APPROVED.filter((op) => PUBLIC_FEEDS.includes(op.name)).map((op) => ({
        kind: 'publicFeed',
        op,
      }));
    return [{ kind: capability }];
  });
}

/** The transports that offer a capability. */
function transportsOf(c: Capability): Transport[] {
  switch (c.kind) {
    case 'ownQueries':
      return ['graphql POST', 'graphql GET', 'graphql-ws'];
    case 'approved':
      if (isSubscription(c.op)) return ['graphql-ws'];
      // A public feed is read by anyone: its own row (publicFeed), not this one.
      return ['graphql POST', 'graphql GET', ...(PUBLIC_FEEDS.includes(c.op.name) ? [] : ['feed' as const])];
    case 'introspection':
      return ['graphql POST', 'graphql GET'];
    case 'metrics':
      return ['/metrics'];
    case 'refreshSource':
      return ['graphql POST'];
    case 'publicFeed':
      return ['feed'];
    case 'disclosure':
      // Seen in breakdown cells, which only own queries select (no approved operation does).
      return ['graphql POST', 'graphql GET'];
  }
}

/** What the table says a principal gets: `ok`, a refusal as `<status> <code>`, or a disclosure class. */
function fromTable(c: Capability, principal: Principal): string {
  const row = ACCESS_TABLE[principal];
  const refused = principal === 'anonymous' ? '401 UNAUTHENTICATED' : '403 FORBIDDEN';
  switch (c.kind) {
    case 'ownQueries':
      return row.ownQueries ? 'ok' : refused;
    case 'approved':
      return row.approvedOperations === 'listed' && c.op.roles.includes(principal as Role) ? 'ok' : refused;
    case 'introspection':
    case 'metrics':
    case 'refreshSource':
      return row[c.kind] ? 'ok' : refused;
    case 'publicFeed':
      return row.publicFeeds ? 'ok' : refused;
    case 'disclosure':
      return row.disclosure === 'all' ? 'every cell' : 'small cells suppressed';
  }
}

const NO_KEY = '401 UNAUTHENTICATED';
const REFUSED = '403 FORBIDDEN';
const everyone = (outcome: string) =>
  Object.fromEntries(PRINCIPALS.map((p) => [p, outcome])) as Record<Principal, string>;
const keysOnly = (outcome: string) => ({ ...everyone(outcome), anonymous: NO_KEY });

/** The expected matrix, pinned: capability -> principal -> outcome. */
const PINNED: Record<string, Record<Principal, string>> = {
  ownQueries: { analyst: 'ok', dashboard: REFUSED, journalist: REFUSED, operator: 'ok', anonymous: NO_KEY },
  'approved figures-changed': keysOnly('ok'),
  'approved force-breakdowns': keysOnly('ok'),
  'approved force-history': keysOnly('ok'),
  'approved national-breakdown': keysOnly('ok'),
  'approved national-latest': keysOnly('ok'),
  'approved national-series': keysOnly('ok'),
  'approved sources-status': { ...keysOnly('ok'), journalist: REFUSED },
  introspection: {
    analyst: 'ok',
    dashboard: REFUSED,
    journalist: REFUSED,
    operator: 'ok',
    anonymous: NO_KEY,
  },
  metrics: { ...keysOnly(REFUSED), operator: 'ok' },
  refreshSource: { ...keysOnly(REFUSED), operator: 'ok' },
  disclosure: { ...everyone('small cells suppressed'), analyst: 'every cell' },
  'public feed national-latest': everyone('ok'),
};

/** Which transports offer each row, pinned too. */
const PINNED_TRANSPORTS: Record<string, Transport[]> = {
  ownQueries: ['graphql POST', 'graphql GET', 'graphql-ws'],
  'approved figures-changed': ['graphql-ws'],
  'approved force-breakdowns': ['graphql POST', 'graphql GET', 'feed'],
  'approved force-history': ['graphql POST', 'graphql GET', 'feed'],
  'approved national-breakdown': ['graphql POST', 'graphql GET', 'feed'],
  'approved national-latest': ['graphql POST', 'graphql GET'],
  'approved national-series': ['graphql POST', 'graphql GET', 'feed'],
  'approved sources-status': ['graphql POST', 'graphql GET', 'feed'],
  introspection: ['graphql POST', 'graphql GET'],
  metrics: ['/metrics'],
  refreshSource: ['graphql POST'],
  disclosure: ['graphql POST', 'graphql GET'],
  'public feed national-latest': ['feed'],
};

/** The requests, each the plainest a client of that transport sends. */
const OWN_QUERY = '{ forces { id } }';
const INTROSPECTION_QUERY = '{ __schema { queryType { name } } }';
const REFRESH = 'mutation { refreshSource(id: "published-figures") { id state } }';
/** Dorset 2018 by year went missing: 1 + 3 + 1, suppressed whole under disclosure control. */
const BREAKDOWN_QUERY =
  '{ force(id: "dorset") { latest(asAt: "2018-01-17") { breakdowns { cells { category value status } } } } }';
const OWN_SUBSCRIPTION = 'subscription Mine { figuresChanged { sourceId } }';
const VARIABLES: Record<string, Record<string, unknown>> = {
  'force-breakdowns': { id: 'dorset' },
  'force-history': { id: 'dorset' },
  'national-breakdown': { dimension: 'YEAR_WENT_MISSING' },
};

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly json: any;
}

/** An answer as a matrix cell: `ok`, or `<status> <code>`; a 401 must carry WWW-Authenticate. */
function cellOf(answer: Answer): string {
  if (answer.status === 200 && !answer.json?.errors) return 'ok';
  if (answer.status === 401) expect(answer.headers.get('www-authenticate')).toBe('Bearer');
  if (answer.status === 429) expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
  return `${answer.status} ${answer.json?.errors?.[0]?.extensions?.code ?? '(no code)'}`;
}

/** Breakdown cells as a disclosure class, or the refusal. */
function disclosureOf(answer: Answer): string {
  const cell = cellOf(answer);
  if (cell !== 'ok') return cell;
  const cells: Array<{ status: string }> = answer.json.data.force.latest.breakdowns[0].cells;
  if (cells.every((c) => c.status === 'REPORTED')) return 'every cell';
  if (cells.every((c) => c.status === 'SUPPRESSED')) return 'small cells suppressed';
  return JSON.stringify(cells);
}

/** A graphql-ws close code as a matrix cell. */
const CLOSES: Record<number, string> = { 4401: NO_KEY, 1013: '429 RATE_LIMITED' };

/** Asks `gateway` as `token` (none: no key) over the transports. */
function transports(gateway: RunningGateway, token: string | null) {
  const auth: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const send = async (path: string, init: RequestInit = {}): Promise<Answer> => {
    const res = await fetch(gateway.url + path, {
      ...init,
      headers: { ...auth, ...(init.headers as Record<string, string>) },
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined; // /metrics answers Prometheus text
    }
    return { status: res.status, headers: res.headers, json };
  };
  const post = (body: unknown) =>
    send('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  // Every GET names a header a browser must preflight (CSRF prevention), as clients without a key do too.
  const get = (params: Record<string, string>) =>
    send(`/graphql?${new URLSearchParams(params)}`, { headers: { 'apollo-require-preflight': 'true' } });
  const byId = (op: ApprovedOperation) => ({
    extensions: JSON.stringify({ persistedQuery: { version: 1, sha256Hash: op.sha256 } }),
    ...(VARIABLES[op.name] ? { variables: JSON.stringify(VARIABLES[op.name]) } : {}),
  });

  /** Subscribes, and gives the outcome: opened (`ok`), refused with an error, or the connection closed. */
  const subscribe = async (query: string): Promise<string> => {
    const live = gateway.app.live!;
    const before = live.changes.size;
    let outcome: string | null = null;
    const client = createClient({
      url: gateway.graphqlUrl.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: token ? { authorization: `Bearer ${token}` } : {},
      retryAttempts: 0,
    });
    const dispose = client.subscribe(
      { query },
      {
        next: (result) => {
          const code = result.errors?.[0]?.extensions?.code;
          if (code) outcome ??= `error ${String(code)}`;
        },
        error: (error) => {
          if (Array.isArray(error)) outcome ??= `error ${String(error[0]?.extensions?.code)}`;
          else
            outcome ??=
              CLOSES[(error as { code: number }).code] ?? `close ${(error as { code: number }).code}`;
        },
        complete: () => undefined,
      },
    );
    try {
      const seen = await eventually(
        () => outcome ?? (live.changes.size > before ? 'ok' : null),
        'the subscription to open or be refused',
      );
      // A refusal over graphql-ws is a GraphQL error with the registry's code; its status is the code's.
      const refusal = /^error (\w+)$/.exec(seen)?.[1];
      return refusal ? `${STATUS_OF[refusal] ?? '?'} ${refusal}` : seen;
    } finally {
      dispose();
      await client.dispose();
      await eventually(
        () => live.changes.size === 0 && live.connections() === 0,
        'the connection and its subscription to close',
      );
    }
  };

  return { send, post, get, byId, subscribe };
}

const STATUS_OF: Record<string, number> = { FORBIDDEN: 403, UNAUTHENTICATED: 401, RATE_LIMITED: 429 };

/** Asks for a capability over one transport, as `principal`. */
async function ask(
  keyed: KeyedGateway,
  c: Capability,
  transport: Transport,
  principal: Principal,
): Promise<string> {
  const token = principal === 'anonymous' ? null : keyed.tokens[principal];
  const t = transports(keyed.gateway, token);
  const ownText = (query: string) => (transport === 'graphql POST' ? t.post({ query }) : t.get({ query }));
  switch (c.kind) {
    case 'ownQueries':
      return transport === 'graphql-ws' ? t.subscribe(OWN_SUBSCRIPTION) : cellOf(await ownText(OWN_QUERY));
    case 'introspection':
      return cellOf(await ownText(INTROSPECTION_QUERY));
    case 'disclosure':
      return disclosureOf(await ownText(BREAKDOWN_QUERY));
    case 'refreshSource':
      return cellOf(await t.post({ query: REFRESH }));
    case 'metrics':
      return cellOf(await t.send('/metrics'));
    case 'approved':
    case 'publicFeed': {
      const { op } = c;
      if (transport === 'graphql-ws') return t.subscribe(op.document);
      if (transport === 'feed') {
        const query = new URLSearchParams(VARIABLES[op.name] as Record<string, string> | undefined);
        return cellOf(await t.send(`/feeds/${op.name}.json?${query}`));
      }
      if (transport === 'graphql GET') return cellOf(await t.get(t.byId(op)));
      const { extensions, variables } = t.byId(op);
      return cellOf(
        await t.post({
          extensions: JSON.parse(extensions),
          ...(variables ? { variables: JSON.parse(variables) } : {}),
        }),
      );
    }
  }
}

/** Every (capability, transport, principal) the matrix walks; disclosure only where a transport shows it. */
function cases(): Array<[string, Transport, Principal, Capability]> {
  return capabilities().flatMap((c) =>
    transportsOf(c).flatMap((transport) =>
      PRINCIPALS.filter((p) => c.kind !== 'disclosure' || ACCESS_TABLE[p].ownQueries).map(
        (p): [string, Transport, Principal, Capability] => [nameOf(c), transport, p, c],
      ),
    ),
  );
}

describe('the access matrix', () => {
  test('generated from the policy table, it is the pinned matrix', () => {
    const generated = Object.fromEntries(
      capabilities().map((c) => [nameOf(c), Object.fromEntries(PRINCIPALS.map((p) => [p, fromTable(c, p)]))]),
    );
    expect(generated).toEqual(PINNED);
    expect(Object.fromEntries(capabilities().map((c) => [nameOf(c), transportsOf(c)]))).toEqual(
      PINNED_TRANSPORTS,
    );
  });

  describe('every transport gives the decision the table gives', () => {
    let keyed: KeyedGateway;
    beforeAll(async () => {
      keyed = await startKeyedGateway({ publicFeeds: [...PUBLIC_FEEDS] });
    });
    afterAll(() => keyed?.close());

    test.each(cases())('%s over %s, as %s', async (name, transport, principal, c) => {
      expect(await ask(keyed, c, transport, principal)).toBe(PINNED[name]![principal]);
    });
  });
});

describe('one admission for every transport', () => {
  let keyed: KeyedGateway;
  beforeAll(async () => {
    keyed = await startKeyedGateway({
      publicFeeds: ['national-latest'],
      rateLimits: {
        anonymous: { points: 5, durationSeconds: 60 },
        journalist: { points: 5, durationSeconds: 60 },
      },
    });
  });
  afterAll(() => keyed?.close());

  test('callers without a key share one count per address over every transport, and are refused 429 before 401 once over it', async () => {
    const t = transports(keyed.gateway, null);
    const outcomes = [];
    for (let round = 0; round < 2; round++) {
      outcomes.push(
        cellOf(await t.post({ query: OWN_QUERY })),
        cellOf(await t.get({ query: OWN_QUERY })),
        cellOf(await t.send('/feeds/force-history.json?id=dorset')),
        cellOf(await t.send('/metrics')),
        await t.subscribe(OWN_SUBSCRIPTION),
      );
    }
    outcomes.push(cellOf(await t.send('/feeds/national-latest.json')));
    expect(outcomes).toEqual([
      ...Array(5).fill(NO_KEY),
      ...Array(5).fill('429 RATE_LIMITED'),
      // A public feed is read without a key, but not past the address's limit.
      '429 RATE_LIMITED',
    ]);
    const over = await t.post({ query: OWN_QUERY });
    expect(over.json.errors[0].message).toMatch(/^too many requests; retry after \d+ s$/);
  });

  test("a key's requests are counted once each, whichever path and transport answers them, against one limit", async () => {
    const t = transports(keyed.gateway, keyed.tokens.journalist);
    const latest = approved('national-latest');
    const { extensions } = t.byId(latest);
    const outcomes = [
      cellOf(await t.post({ extensions: JSON.parse(extensions) })),
      cellOf(await t.get(t.byId(latest))),
      cellOf(await t.send('/feeds/force-history.json?id=dorset')),
      // Counted twice: the connection, then the subscription.
      await t.subscribe(approved('figures-changed').document),
      cellOf(await t.post({ extensions: JSON.parse(extensions) })),
      cellOf(await t.send('/feeds/force-history.json?id=dorset')),
      cellOf(await t.send('/metrics')),
      await t.subscribe(approved('figures-changed').document),
    ];
    expect(outcomes).toEqual([
      'ok',
      'ok',
      'ok',
      'ok',
      '429 RATE_LIMITED',
      '429 RATE_LIMITED',
      '429 RATE_LIMITED',
      '429 RATE_LIMITED',
    ]);
    // The same message over GraphQL and the feeds (the feeds used to leave out "for this key").
    const messages = [
      (await t.post({ extensions: JSON.parse(extensions) })).json.errors[0].message,
      (await t.send('/feeds/national-latest.json')).json.errors[0].message,
    ];
    for (const message of messages)
      expect(message).toMatch(/^too many requests for this key; retry after \d+ s$/);
  });
});

describe('public feeds', () => {
  let keyed: KeyedGateway;
  beforeAll(async () => {
    // sources-status is not approved for journalists: as a public feed, anyone reads it all the same.
    keyed = await startKeyedGateway({ publicFeeds: ['sources-status'] });
  });
  afterAll(() => keyed?.close());

  test('a key never reads less than no key: a journalist key reads a public feed its role is not listed for', async () => {
    const anonymous = transports(keyed.gateway, null);
    const journalist = transports(keyed.gateway, keyed.tokens.journalist);
    const open = await anonymous.send('/feeds/sources-status.json');
    expect(cellOf(open)).toBe('ok');
    expect(open.headers.get('cache-control')).toBe('public, max-age=60, must-revalidate');
    const withKey = await journalist.send('/feeds/sources-status.json');
    expect(cellOf(withKey)).toBe('ok');
    expect(withKey.headers.get('cache-control')).toBe('private, max-age=60, must-revalidate');
    expect(withKey.json.feed).toBe('sources-status');
    const listed = await journalist.send('/feeds');
    expect(listed.json.feeds.map((f: { name: string; public: boolean }) => [f.name, f.public])).toEqual([
      ['force-breakdowns', false],
      ['force-history', false],
      ['national-breakdown', false],
      ['national-latest', false],
      ['national-series', false],
      ['sources-status', true],
    ]);
    // Public is a feed's property only: over GraphQL the journalist key is still refused.
    const { extensions } = journalist.byId(approved('sources-status'));
    expect(cellOf(await journalist.post({ extensions: JSON.parse(extensions) }))).toBe(REFUSED);
  });
});
