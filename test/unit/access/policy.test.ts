import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiKeyStore } from '../../../src/access/api-keys';
import type { ApprovedOperation } from '../../../src/access/approved-operations';
import { loadApprovedOperations } from '../../../src/access/approved-operations';
import type { Caller, CallerResolver, Role } from '../../../src/access/caller';
import { ROLES } from '../../../src/access/caller';
import type { Action, Principal } from '../../../src/access/policy';
import {
  ACCESS_TABLE,
  AccessGate,
  CAPABILITIES,
  INTROSPECTION,
  METRICS,
  OWN_QUERY,
  PRINCIPALS,
  PUBLIC_CALLER,
  PUBLIC_FEED,
  REFRESH_SOURCE,
  UNAUTHENTICATED_MESSAGE,
  UNKNOWN_DOCUMENT,
  accessMarkdownTable,
  authorise,
  disclosureClassOf,
  disclosureThreshold,
  mayRun,
} from '../../../src/access/policy';
import { RateLimits } from '../../../src/access/rate-limit';
import { accessConfigSchema } from '../../../src/config/schema';
import { ERROR_CODES } from '../../../src/errors';

const APPROVED = loadApprovedOperations();
const op = (name: string): ApprovedOperation => APPROVED.find((o) => o.name === name)!;
const keyed = (role: Role): Caller => ({ keyId: `k-${role}`, role, via: 'api-key' });
/** Each principal as a caller: a key of each role, and a caller without credentials reading a public feed. */
const callerOf = (principal: Principal): Caller =>
  principal === 'anonymous' ? PUBLIC_CALLER : keyed(principal);

/** An outcome as the tests pin it: `ok`, or the refusal's code. */
const outcome = (caller: Caller, action: Action): string => {
  const verdict = authorise(caller, action);
  return verdict.ok ? 'ok' : verdict.refusal.code;
};

describe('the access table', () => {
  test('is pinned: a change to who may do what shows up here as a diff', () => {
    expect(ACCESS_TABLE).toEqual({
      analyst: {
        ownQueries: true,
        approvedOperations: 'listed',
        introspection: true,
        metrics: false,
        refreshSource: false,
        disclosure: 'all',
        publicFeeds: true,
      },
      dashboard: {
        ownQueries: false,
        approvedOperations: 'listed',
        introspection: false,
        metrics: false,
        refreshSource: false,
        disclosure: 'controlled',
        publicFeeds: true,
      },
      journalist: {
        ownQueries: false,
        approvedOperations: 'listed',
        introspection: false,
        metrics: false,
        refreshSource: false,
        disclosure: 'controlled',
        publicFeeds: true,
      },
      operator: {
        ownQueries: true,
        approvedOperations: 'listed',
        introspection: true,
        metrics: true,
        refreshSource: true,
        disclosure: 'controlled',
        publicFeeds: true,
      },
      anonymous: {
        ownQueries: false,
        approvedOperations: 'none',
        introspection: false,
        metrics: false,
        refreshSource: false,
        disclosure: 'controlled',
        publicFeeds: true,
      },
    });
    expect(PRINCIPALS).toEqual([...ROLES, 'anonymous']);
    for (const principal of PRINCIPALS)
      expect(Object.keys(ACCESS_TABLE[principal]).sort()).toEqual([...CAPABILITIES].sort());
  });

  test('cannot be changed at run time', () => {
    expect(Object.isFrozen(ACCESS_TABLE)).toBe(true);
    for (const principal of PRINCIPALS) expect(Object.isFrozen(ACCESS_TABLE[principal])).toBe(true);
  });

  test('an anonymous reader of a public feed reads it as a journalist, under the same disclosure control', () => {
    expect(PUBLIC_CALLER).toEqual({ keyId: null, role: 'journalist', via: 'public-feed' });
    expect(ACCESS_TABLE.anonymous.disclosure).toBe(ACCESS_TABLE.journalist.disclosure);
  });
});

describe('authorise', () => {
  test.each([
    // principal, own query, unknown document, introspection, metrics, refreshSource, own subscription
    ['analyst', 'ok', 'ok', 'ok', 'FORBIDDEN', 'FORBIDDEN', 'ok'],
    ['dashboard', 'FORBIDDEN', 'NOT_FOUND', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN'],
    ['journalist', 'FORBIDDEN', 'NOT_FOUND', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN'],
    ['operator', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'],
    [
      'anonymous',
      'UNAUTHENTICATED',
      'UNAUTHENTICATED',
      'UNAUTHENTICATED',
      'UNAUTHENTICATED',
      'UNAUTHENTICATED',
      'UNAUTHENTICATED',
    ],
  ] as Array<[Principal, ...string[]]>)(
    '%s: own query %s, unknown document %s, introspection %s, /metrics %s, refreshSource %s, own subscription %s',
    (principal, ...expected) => {
      const caller = callerOf(principal);
      const actions: Action[] = [
        OWN_QUERY,
        UNKNOWN_DOCUMENT,
        INTROSPECTION,
        METRICS,
        REFRESH_SOURCE,
        { kind: 'subscription', op: null },
      ];
      expect(actions.map((action) => outcome(caller, action))).toEqual(expected);
    },
  );

  test('an approved operation runs for the roles its @roles metadata lists, over every way of asking', () => {
    for (const role of ROLES) {
      for (const each of APPROVED) {
        const expected = each.roles.includes(role) ? 'ok' : 'FORBIDDEN';
        const asked: Action[] = [
          { kind: 'approvedOperation', op: each },
          { kind: 'feed', op: each, public: false },
          { kind: 'subscription', op: each },
        ];
        expect(asked.map((action) => outcome(keyed(role), action))).toEqual([expected, expected, expected]);
        expect(mayRun(role, each)).toBe(expected === 'ok');
      }
    }
    // The operations as approved today: journalists are not listed on sources-status.
    expect(outcome(keyed('journalist'), { kind: 'approvedOperation', op: op('sources-status') })).toBe(
      'FORBIDDEN',
    );
  });

  test('the policy reads the roles from the operation, so an operation approved for fewer roles refuses the rest', () => {
    const analystsOnly: ApprovedOperation = {
      ...op('national-latest'),
      roles: ['analyst'],
      approvedFor: new Set<Role>(['analyst']),
    };
    expect(
      ROLES.map((role) => outcome(keyed(role), { kind: 'approvedOperation', op: analystsOnly })),
    ).toEqual(['ok', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN']);
  });

  test('a public feed is read by every caller, with or without a key; any other feed needs a key listed for it', () => {
    const status = op('sources-status');
    for (const principal of PRINCIPALS)
      expect(outcome(callerOf(principal), { kind: 'feed', op: status, public: true })).toBe('ok');
    expect(outcome(PUBLIC_CALLER, { kind: 'feed', op: op('national-latest'), public: false })).toBe(
      'UNAUTHENTICATED',
    );
    expect(outcome(PUBLIC_CALLER, { kind: 'approvedOperation', op: op('national-latest') })).toBe(
      'UNAUTHENTICATED',
    );
  });

  test('refusals carry the messages clients and tests rely on, with codes from the registry', () => {
    const refusal = (caller: Caller, action: Action) => {
      const verdict = authorise(caller, action);
      if (verdict.ok) throw new Error('expected a refusal');
      expect(ERROR_CODES[verdict.refusal.code]).toBeDefined();
      return {
        code: verdict.refusal.code,
        message: verdict.refusal.message,
        headers: verdict.refusal.headers,
      };
    };
    expect(refusal(keyed('journalist'), OWN_QUERY)).toEqual({
      code: 'FORBIDDEN',
      message:
        'journalist keys may run approved operations only, sent by document id (extensions.persistedQuery.sha256Hash)',
      headers: {},
    });
    expect(refusal(keyed('dashboard'), { kind: 'subscription', op: null }).message).toBe(
      "dashboard keys may run approved operations only: send the approved document's text exactly as in the trusted-documents manifest",
    );
    expect(refusal(keyed('journalist'), UNKNOWN_DOCUMENT)).toEqual({
      code: 'NOT_FOUND',
      message: 'no approved operation has that document id',
      headers: {},
    });
    expect(
      refusal(keyed('journalist'), { kind: 'approvedOperation', op: op('sources-status') }).message,
    ).toBe('the approved operation "sources-status" is not approved for journalist keys');
    expect(
      refusal(keyed('journalist'), { kind: 'feed', op: op('sources-status'), public: false }).message,
    ).toBe('the feed "sources-status" is not approved for journalist keys');
    expect(refusal(keyed('dashboard'), INTROSPECTION).message).toBe(
      'introspection is available to analyst and operator keys only',
    );
    expect(refusal(keyed('analyst'), METRICS).message).toBe('/metrics is for operator keys only');
    expect(refusal(keyed('analyst'), REFRESH_SOURCE).message).toBe('refreshSource is for operator keys only');
    expect(refusal(PUBLIC_CALLER, METRICS)).toEqual({
      code: 'UNAUTHENTICATED',
      message: UNAUTHENTICATED_MESSAGE,
      headers: { 'www-authenticate': 'Bearer' },
    });
  });

  test('an allowed answer, and a refusal naming no operation, are shared objects: asking allocates nothing', () => {
    const journalist = keyed('journalist');
    const latest: Action = { kind: 'approvedOperation', op: op('national-latest') };
    expect(authorise(journalist, latest)).toBe(authorise(keyed('journalist'), latest));
    expect(authorise(journalist, OWN_QUERY)).toBe(authorise(journalist, OWN_QUERY));
    expect(authorise(keyed('analyst'), OWN_QUERY)).toBe(authorise(keyed('operator'), METRICS));
  });
});

describe('disclosure', () => {
  test.each([
    ['analyst', null, 'knone'],
    ['dashboard', 3, 'k3'],
    ['journalist', 3, 'k3'],
    ['operator', 3, 'k3'],
    ['anonymous', 3, 'k3'],
  ] as Array<[Principal, number | null, string]>)(
    '%s: threshold %s, response class %s',
    (principal, threshold, klass) => {
      expect(disclosureThreshold(callerOf(principal), undefined)).toBe(threshold);
      expect(disclosureClassOf(callerOf(principal), 3)).toBe(klass);
    },
  );

  test('the configured k is the threshold for every controlled caller', () => {
    expect(disclosureThreshold(keyed('journalist'), 5)).toBe(5);
    expect(disclosureThreshold(keyed('analyst'), 5)).toBeNull();
    expect(disclosureClassOf(PUBLIC_CALLER, 10)).toBe('k10');
  });
});

describe('AccessGate', () => {
  let dir: string;
  let store: ApiKeyStore;
  const tokens = {} as Record<Role, string>;
  let revoked: { id: string; token: string };

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wa-policy-'));
    store = ApiKeyStore.load(path.join(dir, 'keys.json'));
    for (const role of ROLES) tokens[role] = store.create(role, `policy ${role}`).token;
    revoked = store.create('analyst', 'revoked');
    store.revoke(revoked.id);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A gate on the keys file, with in-memory limits: `points` per minute for every bucket. */
  const gate = (points = 100, resolveCaller?: CallerResolver, onResolveError?: (e: unknown) => void) => {
    const limit = { points, durationSeconds: 60 };
    const limits = accessConfigSchema.parse({
      rateLimits: { analyst: limit, dashboard: limit, journalist: limit, operator: limit, anonymous: limit },
    }).rateLimits;
    return new AccessGate({
      resolveCaller: resolveCaller ?? (async (headers) => store.verify(headers.authorization)),
      rateLimits: new RateLimits(limits),
      onResolveError,
    });
  };
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  test.each(ROLES)('a live %s key is admitted as that role', async (role) => {
    const admission = await gate().admit(bearer(tokens[role]), '192.0.2.1');
    expect(admission).toEqual({
      ok: true,
      caller: { keyId: tokens[role].slice(3, 15), role, via: 'api-key' },
    });
  });

  test.each([
    ['no credentials', {}],
    ['a malformed key', { authorization: 'Bearer not-a-key' }],
    ['another scheme', { authorization: 'Basic YWxhZGRpbjpvcGVuc2VzYW1l' }],
    ['an unknown key', { authorization: `Bearer wa_000000000000_${'A'.repeat(43)}` }],
    ['a revoked key', 'revoked'],
  ])('%s gets the one 401, with WWW-Authenticate', async (_name, headers) => {
    const sent = headers === 'revoked' ? bearer(revoked.token) : (headers as Record<string, string>);
    expect(await gate().admit(sent, '192.0.2.1')).toEqual({
      ok: false,
      caller: null,
      refusal: {
        code: 'UNAUTHENTICATED',
        message: UNAUTHENTICATED_MESSAGE,
        headers: { 'www-authenticate': 'Bearer' },
        retryAfterSeconds: null,
      },
    });
  });

  test('a key over its limit gets 429 with Retry-After, naming the key; other keys are not affected', async () => {
    const g = gate(2);
    for (let i = 0; i < 2; i++) expect((await g.admit(bearer(tokens.journalist), '192.0.2.1')).ok).toBe(true);
    const over = await g.admit(bearer(tokens.journalist), '192.0.2.99');
    if (over.ok) throw new Error('expected a refusal');
    expect(over.caller?.role).toBe('journalist');
    expect(over.refusal.code).toBe('RATE_LIMITED');
    expect(over.refusal.message).toMatch(/^too many requests for this key; retry after \d+ s$/);
    expect(Number(over.refusal.headers['retry-after'])).toBe(over.refusal.retryAfterSeconds);
    expect(over.refusal.retryAfterSeconds).toBeGreaterThan(0);
    expect((await g.admit(bearer(tokens.dashboard), '192.0.2.1')).ok).toBe(true);
  });

  test('callers without a key are counted per address before the 401, so guessing keys is slow', async () => {
    const g = gate(3);
    const bad = { authorization: `Bearer wa_000000000000_${'B'.repeat(43)}` };
    const codes: string[] = [];
    for (let i = 0; i < 4; i++) {
      const admission = await g.admit(i % 2 ? bad : {}, '198.51.100.7');
      codes.push(admission.ok ? 'ok' : admission.refusal.code);
    }
    expect(codes).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED', 'RATE_LIMITED']);
    const over = await g.admit({}, '198.51.100.7');
    expect(over.ok ? null : over.refusal.message).toMatch(/^too many requests; retry after \d+ s$/);
    // Another address has its own count; a valid key is counted under the key, not the address.
    expect(await g.admit({}, '198.51.100.8')).toMatchObject({
      ok: false,
      refusal: { code: 'UNAUTHENTICATED' },
    });
    expect((await g.admit(bearer(tokens.analyst), '198.51.100.7')).ok).toBe(true);
  });

  test('a public feed admits a caller without credentials as PUBLIC_CALLER, counted per address like any other', async () => {
    const g = gate(2);
    expect(await g.admit({}, '203.0.113.5', PUBLIC_FEED)).toEqual({ ok: true, caller: PUBLIC_CALLER });
    expect(await g.admit({}, '203.0.113.5')).toMatchObject({
      ok: false,
      refusal: { code: 'UNAUTHENTICATED' },
    });
    expect(await g.admit({}, '203.0.113.5', PUBLIC_FEED)).toMatchObject({
      ok: false,
      refusal: { code: 'RATE_LIMITED' },
    });
    // A key still counts as that key on a public feed.
    expect(await g.admit(bearer(tokens.journalist), '203.0.113.5', PUBLIC_FEED)).toMatchObject({
      ok: true,
      caller: { role: 'journalist', via: 'api-key' },
    });
  });

  test('a caller the resolver names without a key id is counted under its address', async () => {
    const g = gate(1, async () => ({ keyId: null, role: 'analyst', via: 'open-access' }));
    expect((await g.admit({}, '192.0.2.10')).ok).toBe(true);
    expect((await g.admit({}, '192.0.2.11')).ok).toBe(true);
    expect(await g.admit({}, '192.0.2.10')).toMatchObject({ ok: false, refusal: { code: 'RATE_LIMITED' } });
  });

  test('a resolver that throws fails closed: the one 401, and the error is reported', async () => {
    const reported: unknown[] = [];
    const g = gate(
      10,
      async () => {
        throw new Error('identity provider down');
      },
      (error) => reported.push(error),
    );
    expect(await g.admit(bearer(tokens.analyst), '192.0.2.1')).toMatchObject({
      ok: false,
      refusal: { code: 'UNAUTHENTICATED', message: UNAUTHENTICATED_MESSAGE },
    });
    expect(reported).toEqual([new Error('identity provider down')]);
  });

  test('count() shares the limit and key of admit(): a connection cannot outrun its key', async () => {
    const g = gate(3);
    const admitted = await g.admit(bearer(tokens.operator), '192.0.2.1');
    if (!admitted.ok) throw new Error('expected admission');
    expect((await g.count(admitted.caller, '192.0.2.2')).ok).toBe(true);
    expect((await g.admit(bearer(tokens.operator), '192.0.2.3')).ok).toBe(true);
    expect(await g.count(admitted.caller, '192.0.2.1')).toMatchObject({
      ok: false,
      caller: admitted.caller,
      refusal: { code: 'RATE_LIMITED' },
    });
  });

  test('stillAdmitted() turns false once the key is revoked', async () => {
    const key = store.create('dashboard', 'revoked while connected');
    const g = gate();
    const admitted = await g.admit(bearer(key.token), '192.0.2.1');
    if (!admitted.ok) throw new Error('expected admission');
    expect(await g.stillAdmitted(bearer(key.token), admitted.caller)).toBe(true);
    expect(await g.stillAdmitted(bearer(tokens.dashboard), admitted.caller)).toBe(false);
    store.revoke(key.id);
    expect(await g.stillAdmitted(bearer(key.token), admitted.caller)).toBe(false);
  });
});

describe('the README table', () => {
  test('is generated from the table and the approved operations', () => {
    const table = accessMarkdownTable(APPROVED);
    const lines = table.split('\n');
    expect(lines[0]).toBe('| capability | `analyst` | `dashboard` | `journalist` | `operator` | no key |');
    expect(lines).toContain('| `GET /metrics` | no | no | no | yes | no |');
    expect(lines).toContain('| &nbsp;&nbsp;`sources-status` | yes | yes | no | yes | no |');
    expect(lines).toHaveLength(2 + CAPABILITIES.length + APPROVED.length);
  });

  test('is the one in README.md, so the README cannot drift from the policy', () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
    // Prettier pads the README's table cells; compare cell by cell.
    const cells = (text: string) =>
      text
        .split('\n')
        .filter((line) => line.startsWith('|') && !/^\|[\s-|]+\|$/.test(line))
        .map((line) => line.split('|').map((cell) => cell.trim()));
    const generated = cells(accessMarkdownTable(APPROVED));
    const start = readme.indexOf('| capability');
    expect(start).toBeGreaterThan(0);
    const inReadme = cells(readme.slice(start, readme.indexOf('\n\n', start)));
    expect(inReadme).toEqual(generated);
  });
});
