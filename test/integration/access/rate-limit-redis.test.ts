import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiKeyStore } from '../../../src/access/api-keys';
import { loadApprovedOperations } from '../../../src/access/approved-operations';
import { buildConfig } from '../../../src/config/load';
import type { RunningGateway } from '../../helpers/gateway';
import { raw, startGateway } from '../../helpers/gateway';
import { RedisServer, freePort } from '../../helpers/redis';

const sha256Hash = loadApprovedOperations().find((op) => op.name === 'national-latest')!.sha256;

async function burst(url: string, token: string, n: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i += 1) {
    const res = await raw(url, {
      body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash } } }),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    });
    statuses.push(res.status);
  }
  return statuses;
}

/**
 * Waits (at most 10 s) until a gateway reports its Redis usable (`/readyz` status `ready`, not
 * `degraded`). Until then an instance counts limits in its own memory by design (fail open), so a test of
 * the shared count must start from two connected instances: on a loaded machine (CI's first, uncached
 * run) an instance could still be connecting when its first request came.
 */
async function redisReady(gateway: RunningGateway): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const res = await fetch(`${gateway.url}/readyz`);
    const body = (await res.json()) as { status: string; reasons: string[] };
    if (body.status === 'ready') return;
    if (Date.now() > deadline) throw new Error(`gateway not ready with Redis: ${JSON.stringify(body)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('rate limits are shared through Redis, with in-memory insurance when Redis is down', () => {
  let dir: string;
  let keys: ApiKeyStore;
  const config = () =>
    buildConfig(
      { includeBundled: true, access: { rateLimits: { journalist: { points: 3, durationSeconds: 60 } } } },
      { baseDir: dir, origin: 'test' },
    );
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whereabouts-rl-'));
    keys = ApiKeyStore.load(path.join(dir, 'keys.json'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('two instances on one Redis share one count per key', async () => {
    const redis = await RedisServer.start();
    const a = await startGateway(config(), { apiKeys: keys, redis: { url: redis.url } });
    const b = await startGateway(config(), { apiKeys: keys, redis: { url: redis.url } });
    try {
      await redisReady(a);
      await redisReady(b);
      // Each instance serves one request on another key first, so the counted ones are not the first a
      // just-started process handles (code not yet compiled, response not yet built).
      const other = keys.create('journalist', 'warm-up').token;
      expect(await burst(a.graphqlUrl, other, 1)).toEqual([200]);
      expect(await burst(b.graphqlUrl, other, 1)).toEqual([200]);
      const token = keys.create('journalist', 'shared count').token;
      expect(await burst(a.graphqlUrl, token, 2)).toEqual([200, 200]);
      expect(await burst(b.graphqlUrl, token, 2)).toEqual([200, 429]);
    } finally {
      await a.close();
      await b.close();
      await redis.stop();
    }
  });

  test('with Redis down the in-memory limiter still counts: nobody is locked out, and the limit still holds', async () => {
    const gateway: RunningGateway = await startGateway(config(), {
      apiKeys: keys,
      redis: { url: `redis://127.0.0.1:${await freePort()}` },
    });
    try {
      const token = keys.create('journalist', 'redis down').token;
      expect(await burst(gateway.graphqlUrl, token, 4)).toEqual([200, 200, 200, 429]);
      const other = keys.create('journalist', 'another key').token;
      expect(await burst(gateway.graphqlUrl, other, 1)).toEqual([200]);
    } finally {
      await gateway.close();
    }
  });
});
