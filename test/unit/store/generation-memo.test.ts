import { GenerationMemo, MemoKey } from '../../../src/store/generation-memo';

const COUNTS = new MemoKey<{ fresh: number }>('counts');
const ENTRIES = new MemoKey<string[]>('entries');

describe('the generation memo', () => {
  test('keeps one value per key, and gives it back as it was kept', () => {
    const memo = new GenerationMemo();
    expect(memo.get(COUNTS)).toBeUndefined();
    const counts = { fresh: 3 };
    expect(memo.set(COUNTS, counts)).toBe(counts);
    expect(memo.get(COUNTS)).toBe(counts);
    expect(memo.get(ENTRIES)).toBeUndefined();
  });

  test('keeps one value per argument when one is given, apart from the value without one', () => {
    const memo = new GenerationMemo();
    memo.set(ENTRIES, ['a'], '2024-01-01|90');
    memo.set(ENTRIES, ['b'], '2024-01-01|30');
    expect(memo.get(ENTRIES, '2024-01-01|90')).toEqual(['a']);
    expect(memo.get(ENTRIES, '2024-01-01|30')).toEqual(['b']);
    expect(memo.get(ENTRIES, '2023-12-31|90')).toBeUndefined();
    expect(memo.get(ENTRIES)).toBeUndefined();
  });

  test('a set replaces what the key held for that argument', () => {
    const memo = new GenerationMemo();
    memo.set(ENTRIES, ['old'], 'x');
    memo.set(ENTRIES, ['new'], 'x');
    expect(memo.get(ENTRIES, 'x')).toEqual(['new']);
  });

  test('keys are told apart by identity, not by name', () => {
    const memo = new GenerationMemo();
    const twin = new MemoKey<{ fresh: number }>('counts');
    memo.set(COUNTS, { fresh: 1 });
    expect(memo.get(twin)).toBeUndefined();
  });

  test('each generation has its own memo', () => {
    const first = new GenerationMemo();
    first.set(COUNTS, { fresh: 1 });
    expect(new GenerationMemo().get(COUNTS)).toBeUndefined();
  });

  test('a key only takes and gives values of its own type', () => {
    const memo = new GenerationMemo();
    // @ts-expect-error: COUNTS keeps counts, not a list
    memo.set(COUNTS, ['a']);
    // @ts-expect-error: what ENTRIES keeps is a list of strings
    const counts: { fresh: number } | undefined = memo.get(ENTRIES);
    expect(counts).toBeUndefined();
  });
});
