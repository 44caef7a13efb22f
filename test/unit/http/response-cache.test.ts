import type { Generation } from '../../../src/store/figure-service';
import { GenerationMemo } from '../../../src/store/generation-memo';
import type { BuiltBody } from '../../../src/http/response-cache';
import { RESPONSE_CACHE_MAX_AGE_MS, ResponseCache } from '../../../src/http/response-cache';

/** A generation is only compared by identity here. */
const generation = (): Generation => ({
  snapshot: {} as Generation['snapshot'],
  validUntil: 0,
  memo: new GenerationMemo(),
});

describe('ResponseCache', () => {
  let nowMs = 1_000_000;
  const now = () => nowMs;
  let builds = 0;
  const build = (text: string) => async (): Promise<BuiltBody | null> => {
    builds += 1;
    return { body: Buffer.from(text) };
  };

  beforeEach(() => {
    builds = 0;
  });

  it('builds once per key and generation, and shares a build between concurrent misses', async () => {
    const cache = new ResponseCache(now);
    const gen = generation();
    const [a, b] = await Promise.all([cache.get('k', gen, build('one')), cache.get('k', gen, build('two'))]);
    expect(a?.body.toString()).toBe('one');
    expect(b).toBe(a);
    expect(await cache.get('k', gen, build('three'))).toBe(a);
    expect(builds).toBe(1);
    expect((await cache.get('other', gen, build('four')))?.body.toString()).toBe('four');
  });

  it('rebuilds for a new generation, so a changed figure is never served from it', async () => {
    const cache = new ResponseCache(now);
    await cache.get('k', generation(), build('old'));
    const fresh = await cache.get('k', generation(), build('new'));
    expect(fresh?.body.toString()).toBe('new');
  });

  it('rebuilds once an entry is as old as the maximum age (ages in it lag at most that)', async () => {
    const cache = new ResponseCache(now);
    const gen = generation();
    await cache.get('k', gen, build('first'));
    nowMs += RESPONSE_CACHE_MAX_AGE_MS - 1;
    expect((await cache.get('k', gen, build('second')))?.body.toString()).toBe('first');
    nowMs += 1;
    expect((await cache.get('k', gen, build('third')))?.body.toString()).toBe('third');
  });

  it('does not keep a build that gave no response, or one that threw', async () => {
    const cache = new ResponseCache(now);
    const gen = generation();
    expect(await cache.get('k', gen, async () => null)).toBeNull();
    expect(
      await cache.get('k', gen, async () => {
        throw new Error('upstream result with errors');
      }),
    ).toBeNull();
    expect((await cache.get('k', gen, build('ok')))?.body.toString()).toBe('ok');
  });

  it('builds afresh when asked not to reuse, and keeps the new build for the next requests', async () => {
    const cache = new ResponseCache(now);
    const gen = generation();
    await cache.get('k', gen, build('kept'));
    expect((await cache.get('k', gen, build('fresh'), false))?.body.toString()).toBe('fresh');
    expect((await cache.get('k', gen, build('unused')))?.body.toString()).toBe('fresh');
    expect(builds).toBe(2);
  });

  describe("bounded in bytes (analysts' own documents)", () => {
    it('keeps keys and bodies within maxBytes, evicting the least recently used', async () => {
      const cache = new ResponseCache(now, { maxBytes: 8000 });
      const gen = generation();
      const body = 'x'.repeat(900); // 901 bytes with its key: eight fit in 8,000, a ninth does not
      for (const key of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']) await cache.get(key, gen, build(body));
      expect(builds).toBe(8);
      await cache.get('a', gen, build(body)); // kept; now the most recently used
      expect(builds).toBe(8);
      await cache.get('i', gen, build(body)); // evicts b, the least recently used
      await cache.get('a', gen, build(body));
      expect(builds).toBe(9);
      await cache.get('b', gen, build(body));
      expect(builds).toBe(10);
    });

    it('serves but does not keep an answer larger than an eighth of maxBytes', async () => {
      const cache = new ResponseCache(now, { maxBytes: 8000 });
      const gen = generation();
      const large = 'y'.repeat(1000);
      expect((await cache.get('k', gen, build(large)))?.body.toString()).toBe(large);
      expect((await cache.get('k', gen, build(large)))?.body.toString()).toBe(large);
      expect(builds).toBe(2);
    });

    it('does not keep an entry whose key alone is larger than an eighth of maxBytes', async () => {
      const cache = new ResponseCache(now, { maxBytes: 8000 });
      const gen = generation();
      const key = 'q'.repeat(1001);
      await cache.get(key, gen, build('small'));
      await cache.get(key, gen, build('small'));
      expect(builds).toBe(2);
    });
  });
});
