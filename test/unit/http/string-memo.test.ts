import { memoByString } from '../../../src/http/string-memo';

describe('memoByString', () => {
  test('computes once per distinct string, and never keeps a string over the length limit', () => {
    const seen: string[] = [];
    const read = memoByString(
      (text) => {
        seen.push(text);
        return { length: text.length };
      },
      { max: 2, maxLength: 5 },
    );
    expect(read('abc')).toBe(read('abc'));
    expect(read('toolong')).not.toBe(read('toolong'));
    read('de');
    read('fg'); // over max: 'abc' is the least recently used, so it goes
    read('abc');
    expect(seen).toEqual(['abc', 'toolong', 'toolong', 'de', 'fg', 'abc']);
  });
});
