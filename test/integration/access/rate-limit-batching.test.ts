import { RateLimits, exactMargin } from '../../../src/access/rate-limit';
import { keys } from '../../../src/store/keys';
import { RedisConnection } from '../../../src/store/redis-connection';
import { RedisServer } from '../../helpers/redis';

/**
 * Counting in Redis in batches (src/access/rate-limit.ts): a busy key costs no Redis round trip per
 * request, nothing counted locally is lost, and the last part of each window is counted exactly, so a
 * limit shared by several instances still holds.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Points Redis holds for a key (what rate-limiter-flexible stored), read with a plain GET. */
async function sharedCount(connection: RedisConnection, bucket: string, key: string): Promise<number> {
  return Number(await connection.client.get(`${keys.rateLimitPrefix(bucket)}:${key}`));
}

/** How many commands Redis has run so far (INFO stats). */
async function commandsProcessed(connection: RedisConnection): Promise<number> {
  const info = await connection.client.info('stats');
  return Number(/total_commands_processed:(\d+)/.exec(info)![1]);
}

describe('rate limits counted in Redis in batches', () => {
  let redis: RedisServer;
  const connections: RedisConnection[] = [];
  const connect = async () => {
    const connection = new RedisConnection({ url: redis.url });
    connections.push(connection);
    await connection.whenFirstConnected();
    return connection;
  };

  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(async () => {
    await Promise.all(connections.map((c) => c.close()));
    await redis.stop();
  });

  test('a busy key under its limit: every request counted, far fewer Redis commands than requests', async () => {
    const connection = await connect();
    const limits = new RateLimits({ analyst: { points: 100_000, durationSeconds: 60 } } as never, connection);
    const before = await commandsProcessed(connection);
    const decisions = [];
    for (let round = 0; round < 10; round += 1) {
      decisions.push(
        ...(await Promise.all(Array.from({ length: 200 }, () => limits.consume('analyst', 'busy')))),
      );
      await sleep(5);
    }
    await sleep(100); // the last batch
    expect(decisions.every((d) => d.allowed)).toBe(true);
    expect(await sharedCount(connection, 'analyst', 'busy')).toBe(2000);
    const commands = (await commandsProcessed(connection)) - before;
    expect(commands).toBeLessThan(200); // 2,000 requests
  });

  test('a small limit is counted exactly, request by request', async () => {
    const connection = await connect();
    const points = 15;
    expect(exactMargin(points)).toBeGreaterThanOrEqual(points);
    const limits = new RateLimits({ journalist: { points, durationSeconds: 60 } } as never, connection);
    const decisions = [];
    for (let i = 0; i < 20; i += 1) decisions.push(await limits.consume('journalist', 'small'));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(points);
    expect(decisions.slice(points).every((d) => !d.allowed)).toBe(true);
  });

  test('two instances sharing a limit: the last margin is exact, so the limit holds', async () => {
    const [a, b] = [await connect(), await connect()];
    const points = 400;
    const config = { dashboard: { points, durationSeconds: 60 } } as never;
    const [first, second] = [new RateLimits(config, a), new RateLimits(config, b)];
    let allowed = 0;
    for (let i = 0; i < 300; i += 1) {
      const [x, y] = await Promise.all([
        first.consume('dashboard', 'shared'),
        second.consume('dashboard', 'shared'),
      ]);
      allowed += Number(x.allowed) + Number(y.allowed);
      if (i % 25 === 0) await sleep(25); // let batches reach Redis, as time passes between real requests
    }
    await sleep(100);
    // 600 asked for 400 points: exactly 400 allowed, or a few over when both instances spent locally in
    // the same flush interval just before the exact margin began.
    expect(allowed).toBeGreaterThanOrEqual(points);
    expect(allowed).toBeLessThanOrEqual(points + exactMargin(points) / 2);
    expect(await sharedCount(a, 'dashboard', 'shared')).toBeGreaterThanOrEqual(allowed);
  });
});
