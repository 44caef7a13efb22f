import { EMPTY_REPORT } from '../../../src/domain/figure';
import { RedisInvalidationBus } from '../../../src/store/invalidation-bus';
import { redisFailureRecorder } from '../../../src/store/redis-connection';
import { RedisRefreshLocks } from '../../../src/store/refresh-locks';
import { TieredReportCache } from '../../../src/store/report-cache';
import { parseStored, storedText } from '../../../src/store/stored-report';

/** The store's parts without Redis: one instance, L1 only, nothing to coordinate with. */
function withoutRedis() {
  const failed = redisFailureRecorder();
  const bus = new RedisInvalidationBus({ instanceId: 'only', failed });
  const locks = new RedisRefreshLocks({ instanceId: 'only', failed });
  return { bus, locks, reports: new TieredReportCache({ locks, bus, failed }) };
}

const timing = () => ({ freshMs: 30_000, keepMs: 330_000 });
const at = (retrievedAt: number) => ({ report: EMPTY_REPORT, retrievedAt });
/** What a refresh holds without Redis: no lock, nothing to coordinate with. */
const NO_LOCK = { state: 'no-coordination' } as const;

describe('the report cache without Redis (L1 only)', () => {
  test('a lookup misses until a report is kept, then answers it from L1', async () => {
    const { reports } = withoutRedis();
    expect(await reports.lookupMany(['s1'], timing, 1_000)).toEqual([{ entry: undefined, tier: null }]);
    await reports.commit('s1', at(1_000), 330_000, NO_LOCK);
    expect(await reports.lookupMany(['s1', 's2'], timing, 2_000)).toEqual([
      { entry: at(1_000), tier: 'L1' },
      { entry: undefined, tier: null },
    ]);
  });

  test('a lookup with locks takes none: every answer is the lookup alone', async () => {
    const { reports } = withoutRedis();
    await reports.commit('s1', at(1_000), 330_000, NO_LOCK);
    const answers = await Promise.all(reports.lookupAndLock(['s1', 's2'], timing, 2_000, () => 5_000));
    expect(answers).toEqual([
      { entry: at(1_000), tier: 'L1' },
      { entry: undefined, tier: null },
    ]);
  });

  test('a commit never replaces a newer report; a newer one replaces it', async () => {
    const { reports } = withoutRedis();
    await reports.commit('s1', at(20), 330_000, NO_LOCK);
    await reports.commit('s1', at(10), 330_000, NO_LOCK);
    expect((await reports.lookupMany(['s1'], timing, 30))[0]?.entry).toEqual(at(20));
    await reports.commit('s1', at(30), 330_000, NO_LOCK);
    expect((await reports.lookupMany(['s1'], timing, 31))[0]?.entry).toEqual(at(30));
  });

  test("adopting another instance's report keeps whichever is newer", async () => {
    const { reports } = withoutRedis();
    reports.adopt('s1', at(20), 330_000, 25);
    reports.adopt('s1', at(10), 330_000, 25);
    expect((await reports.lookupMany(['s1'], timing, 25))[0]?.entry).toEqual(at(20));
  });

  test('waiting for a newer report answers at once: with what L1 holds if newer, else nothing', async () => {
    const { reports } = withoutRedis();
    expect(await reports.waitForNewer('s1', 0, 60_000, timing())).toBeUndefined();
    await reports.commit('s1', at(1_000), 330_000, NO_LOCK);
    expect(await reports.waitForNewer('s1', 999, 60_000, timing())).toEqual(at(1_000));
    expect(await reports.waitForNewer('s1', 1_000, 60_000, timing())).toBeUndefined();
  });
});

describe('the refresh locks and the bus without Redis', () => {
  test('every lock answer is no-coordination: fetch locally', async () => {
    const { locks } = withoutRedis();
    expect(await locks.tryLock('s1', 5_000)).toEqual(NO_LOCK);
    expect(
      await locks.tryLockMany([
        { sourceId: 's1', ttlMs: 5_000 },
        { sourceId: 's2', ttlMs: 5_000 },
      ]),
    ).toEqual([NO_LOCK, NO_LOCK]);
    expect(await locks.isHeld('s1')).toBe(false);
  });

  test('a message published goes nowhere: there is no other instance', async () => {
    const { bus } = withoutRedis();
    const heard: string[] = [];
    bus.onMessage((m) => heard.push(m.sourceId));
    await expect(bus.publish({ sourceId: 's1', kind: 'invalidate' })).resolves.toBeUndefined();
    expect(heard).toEqual([]);
  });
});

describe('the L2 value format', () => {
  test('a report is stored with its fetch time first (the commit script reads only the first bytes)', () => {
    const text = storedText(at(1_234));
    expect(text.startsWith('{"retrievedAt":1234,')).toBe(true);
    expect(parseStored(text)).toEqual(at(1_234));
  });

  test.each([
    ['nothing', null],
    ['text that is not JSON', '{"report": {"figures": ['],
    ['JSON of another shape', JSON.stringify({ figures: [] })],
    ['a fetch time that is not a number', JSON.stringify({ retrievedAt: '1', report: EMPTY_REPORT })],
    ['a null report', JSON.stringify({ retrievedAt: 1, report: null })],
  ])('%s is a miss, not an error', (_what, text) => {
    expect(parseStored(text)).toBeUndefined();
  });

  test('an older value with the fetch time last is still read', () => {
    expect(parseStored(JSON.stringify({ report: EMPTY_REPORT, retrievedAt: 500 }))).toEqual(at(500));
  });
});
