import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiKeyStore } from '../../src/access/api-keys';
import { loadApprovedOperations } from '../../src/access/approved-operations';
import { embeddedDefault } from '../../src/config/load';
import { startGateway } from '../helpers/gateway';
import { TestClock } from '../helpers/clock';
import { logSink } from '../helpers/log-sink';

/**
 * Built responses (src/http/response-cache.ts): approved operations and feeds are answered from bytes
 * built once per snapshot generation, disclosure class and variables. These check what that must never
 * change: revalidation, ages that follow the clock, a new generation never answered from old bytes, and
 * one audit line per request with the same fields whichever way it was answered.
 */

const nationalLatest = loadApprovedOperations().find((op) => op.name === 'national-latest')!;
const pq = (sha256Hash: string) =>
  encodeURIComponent(JSON.stringify({ persistedQuery: { version: 1, sha256Hash } }));

describe('a polled feed', () => {
  test('is revalidated with its ETag: 304, the same caching headers, no body', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whereabouts-built-'));
    const keys = ApiKeyStore.load(path.join(dir, 'keys.json'));
    const token = keys.create('journalist', 'revalidation test').token;
    const logs = logSink();
    const gateway = await startGateway(embeddedDefault(), {
      apiKeys: keys,
      redis: null,
      logger: logs.logger,
    });
    try {
      const url = `${gateway.url}/feeds/national-latest.json?asAt=2018-01-31`;
      const headers = { authorization: `Bearer ${token}` };
      const first = await fetch(url, { headers });
      const etag = first.headers.get('etag')!;
      await first.text();
      const again = await fetch(url, { headers: { ...headers, 'if-none-match': etag } });
      expect(again.status).toBe(304);
      expect(again.headers.get('etag')).toBe(etag);
      expect(await again.text()).toBe('');
      expect(again.headers.get('vary')).toBe('Authorization, Origin, Accept-Encoding');
      expect(again.headers.get('cache-control')).toBe('private, max-age=60, must-revalidate');
      expect(again.headers.get('last-modified')).toBe(first.headers.get('last-modified'));
      expect(again.headers.get('content-length')).toBeNull();
      expect(again.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      const lines = logs.events().filter((e) => e.event === 'audit');
      expect(lines.map((e) => [e.status, e.operation, e.transport, e.role])).toEqual([
        [200, 'feed:national-latest', 'http', 'journalist'],
        [304, 'feed:national-latest', 'http', 'journalist'],
      ]);
    } finally {
      await gateway.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('pre-serialized responses follow the clock and the data', () => {
  test('ages are at most a second behind, and a new generation is never answered from old bytes', async () => {
    const clock = new TestClock(Date.parse('2026-11-22T12:00:00Z'));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whereabouts-fast-'));
    const keys = ApiKeyStore.load(path.join(dir, 'keys.json'));
    const token = keys.create('journalist', 'clock test').token;
    const gateway = await startGateway(embeddedDefault(), { apiKeys: keys, redis: null, now: clock.now });
    try {
      const ages = async () => {
        const res = await fetch(
          `${gateway.url}/graphql?extensions=${pq(nationalLatest.sha256)}&variables=${encodeURIComponent('{"asAt":"2018-01-31"}')}`,
          {
            headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' },
          },
        );
        const body = (await res.json()) as any;
        return body.data.national.forces
          .map((f: any) => f.figure?.ageSeconds)
          .filter((a: unknown) => a !== undefined);
      };
      const first = await ages();
      clock.advance(400);
      expect(await ages()).toEqual(first); // the same bytes, within the second
      clock.advance(1_600);
      const later = await ages();
      expect(later.length).toBe(first.length);
      expect(later.every((age: number, i: number) => age === first[i] + 2)).toBe(true);
    } finally {
      await gateway.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("an analyst's own document, sent again", () => {
  test('is answered from the bytes its first run built, within the second; Cache-Control: no-cache runs it afresh', async () => {
    const clock = new TestClock(Date.parse('2026-11-22T12:00:00Z'));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whereabouts-doc-'));
    const keys = ApiKeyStore.load(path.join(dir, 'keys.json'));
    const token = keys.create('analyst', 'document cache test').token;
    const logs = logSink();
    const gateway = await startGateway(embeddedDefault(), {
      apiKeys: keys,
      redis: null,
      now: clock.now,
      logger: logs.logger,
    });
    try {
      const query = `query Ages($asAt: Date) { national(asAt: $asAt) { forces { force { id } figure { ageSeconds } } } }`;
      const ask = async (asAt: string, headers: Record<string, string> = {}) => {
        const res = await fetch(`${gateway.url}/graphql`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ query, variables: { asAt } }),
        });
        expect(res.status).toBe(200);
        const text = await res.text();
        const ages = (JSON.parse(text) as any).data.national.forces
          .map((f: any) => f.figure?.ageSeconds)
          .filter((a: unknown) => a !== undefined) as number[];
        return { text, ages };
      };
      // The figures are read now (the first request for them)...
      await ask('2017-06-30');
      // ...and 0.6 s later the first run's answer is kept.
      clock.advance(600);
      const first = await ask('2018-01-31');
      expect(first.ages.length).toBeGreaterThan(0);
      // 1.1 s after the read, a run would say a second more: the kept answer does not.
      clock.advance(500);
      expect((await ask('2018-01-31')).text).toBe(first.text);
      // Other variables are another answer, built for themselves.
      const other = await ask('2017-06-30');
      expect(other.text).not.toBe(first.text);
      // Asked for a fresh answer, it runs again...
      const fresh = await ask('2018-01-31', { 'cache-control': 'no-cache' });
      expect(fresh.ages).toEqual(first.ages.map((age) => age + 1));
      // ...and that answer is the one kept for the next requests, until it is a second old.
      clock.advance(900);
      expect((await ask('2018-01-31')).text).toBe(fresh.text);
      clock.advance(100);
      const later = await ask('2018-01-31');
      expect(later.ages).toEqual(first.ages.map((age) => age + 2));
      // Every request has its own audit line, however it was answered.
      const lines = logs.events().filter((e) => e.event === 'audit');
      expect(lines.map((e) => [e.status, e.operation, e.role])).toEqual(
        Array.from({ length: 7 }, () => [200, 'Ages', 'analyst']),
      );
      expect(new Set(lines.map((e) => e.requestId)).size).toBe(7);
    } finally {
      await gateway.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
