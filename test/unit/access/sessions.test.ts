/**
 * The parts of sign-in that are pure functions or in-process state: reading the role from claims, the
 * cookie reader, the return path, and a session's life by the clock (src/access/sessions.ts, oidc.ts).
 */
import { claimAt, roleFromClaim } from '../../../src/access/oidc';
import { MemorySessionStore } from '../../../src/access/session-store';
import { SESSION_COOKIE, Sessions, TOUCH_INTERVAL_MS, readCookie } from '../../../src/access/sessions';
import { safeReturnPath } from '../../../src/http/auth-router';
import { TestClock } from '../../helpers/clock';

describe('the role from an ID token claim', () => {
  const map = { 'wa-operators': 'operator', 'wa-analysts': 'analyst', 'wa-dashboard': 'dashboard' } as const;

  test.each([
    ['a string naming a mapped value', 'wa-analysts', 'analyst'],
    ['an array holding one mapped value', ['other', 'wa-dashboard'], 'dashboard'],
    [
      'an array holding several: the first roleMap entry held wins',
      ['wa-dashboard', 'wa-operators'],
      'operator',
    ],
    ['a value that is a role name but not in roleMap', 'analyst', null],
    ['no mapped value', ['other'], null],
    ['not a string or array of strings', { 'wa-analysts': true }, null],
    ['absent', undefined, null],
  ])('%s', (_name, claim, role) => {
    expect(roleFromClaim(claim, map)).toBe(role);
  });

  test('a dotted path reads a nested claim; a claim named with dots is read as named', () => {
    expect(claimAt({ realm_access: { roles: ['a'] } }, 'realm_access.roles')).toEqual(['a']);
    expect(claimAt({ 'https://example.org/roles': 'x' }, 'https://example.org/roles')).toBe('x');
    expect(claimAt({ a: 'flat' }, 'a.b')).toBeUndefined();
  });
});

describe('readCookie', () => {
  test('finds one cookie among others, and nothing in a header without it', () => {
    expect(readCookie(`a=1; ${SESSION_COOKIE}=abc; b=2`, SESSION_COOKIE)).toBe('abc');
    expect(readCookie('a=1; b=2', SESSION_COOKIE)).toBeUndefined();
    expect(readCookie(`${SESSION_COOKIE}=`, SESSION_COOKIE)).toBeUndefined();
    expect(readCookie(undefined, SESSION_COOKIE)).toBeUndefined();
    expect(readCookie(`x${SESSION_COOKIE}=abc`, SESSION_COOKIE)).toBeUndefined();
  });
});

describe('the path to return to after sign-in', () => {
  test.each([
    ['/dashboard?date=2018-01-17', '/dashboard?date=2018-01-17'],
    ['/workbench', '/workbench'],
    ['https://evil.example/', '/dashboard'],
    ['//evil.example/', '/dashboard'],
    ['/\\evil.example', '/dashboard'],
    ['/a b', '/dashboard'],
    ['dashboard', '/dashboard'],
    [undefined, '/dashboard'],
    [['/a', '/b'], '/dashboard'],
  ])('%j goes to %s', (given, expected) => {
    expect(safeReturnPath(given)).toBe(expected);
  });
});

describe('a session’s life', () => {
  const make = () => {
    const clock = new TestClock();
    const sessions = new Sessions({
      store: new MemorySessionStore(),
      origin: 'https://whereabouts.example',
      idleMs: 60 * 60_000,
      absoluteMs: 3 * 60 * 60_000,
      now: clock.now,
    });
    return { clock, sessions };
  };

  test('lastSeenAt is written back at most every TOUCH_INTERVAL_MS', async () => {
    const { clock, sessions } = make();
    const { id, record } = await sessions.create('dashboard');
    clock.advance(TOUCH_INTERVAL_MS - 1);
    expect((await sessions.lookup(id))!.lastSeenAt).toBe(record.lastSeenAt);
    clock.advance(1);
    expect((await sessions.lookup(id))!.lastSeenAt).toBe(record.lastSeenAt + TOUCH_INTERVAL_MS);
  });

  test('expires idle and absolute; an expired session is gone for good', async () => {
    const { clock, sessions } = make();
    const idle = await sessions.create('analyst');
    clock.advance(60 * 60_000);
    expect(await sessions.lookup(idle.id)).toBeNull();
    clock.advance(-60 * 60_000);
    expect(await sessions.lookup(idle.id)).toBeNull();

    const busy = await sessions.create('analyst');
    for (let i = 0; i < 5; i++) {
      clock.advance(30 * 60_000);
      expect(await sessions.lookup(busy.id)).not.toBeNull();
    }
    clock.advance(30 * 60_000);
    expect(await sessions.lookup(busy.id)).toBeNull();
  });

  test('a malformed id is not looked up', async () => {
    const { sessions } = make();
    expect(await sessions.lookup('short')).toBeNull();
    expect(await sessions.lookup(`${'a'.repeat(42)}!`)).toBeNull();
  });

  test('CSRF: the token, from this origin', async () => {
    const { sessions } = make();
    const { record } = await sessions.create('analyst');
    const token = record.csrfToken;
    expect(sessions.csrfProblem({ 'x-csrf-token': token }, record)).toBeNull();
    expect(
      sessions.csrfProblem(
        { 'x-csrf-token': token, origin: 'https://whereabouts.example', 'sec-fetch-site': 'same-origin' },
        record,
      ),
    ).toBeNull();
    expect(sessions.csrfProblem({}, record)).toContain('X-CSRF-Token');
    expect(sessions.csrfProblem({ 'x-csrf-token': [token, token] }, record)).toContain('X-CSRF-Token');
    expect(sessions.csrfProblem({ 'x-csrf-token': token, origin: 'null' }, record)).toContain('own pages');
    expect(sessions.csrfProblem({ 'x-csrf-token': token, 'sec-fetch-site': 'none' }, record)).toContain(
      'own pages',
    );
  });
});
