import { KEY_PREFIX, groupBySlot, keys, slotOf } from '../../../src/store/keys';

describe('Redis keys', () => {
  test('every key lives under the versioned prefix', () => {
    expect(KEY_PREFIX).toBe('wa:v1:');
    for (const key of [
      keys.report('dorset'),
      keys.lock('dorset'),
      keys.hookNonce('dorset', 'sha256=ab'),
      keys.invalidationChannel,
    ]) {
      expect(key.startsWith('wa:v1:')).toBe(true);
    }
  });

  test("a source's report, lock and replay keys share one hash tag, so one cluster slot", () => {
    expect(keys.report('sim-dorset')).toBe('wa:v1:{s:sim-dorset}:report');
    const slot = slotOf(keys.report('sim-dorset'));
    expect(slotOf(keys.lock('sim-dorset'))).toBe(slot);
    expect(slotOf(keys.hookNonce('sim-dorset', 'sha256=00'))).toBe(slot);
  });

  test('different sources spread over slots, and a batch groups by slot keeping each index', () => {
    const ids = Array.from({ length: 41 }, (_, i) => `source-${i}`);
    const groups = groupBySlot(ids.map(keys.report));
    expect(groups.size).toBeGreaterThan(30);
    const indices = [...groups.values()]
      .flat()
      .map((g) => g.index)
      .sort((a, b) => a - b);
    expect(indices).toEqual(ids.map((_, i) => i));
    for (const [slot, members] of groups) for (const m of members) expect(slotOf(m.key)).toBe(slot);
  });
});
