import { LRUCache } from 'lru-cache';

/**
 * `compute`, remembered per distinct string (an Accept header, a query string, a feed URL): clients and
 * pollers send the same few all day, so each is read once. At most `max` strings are kept (least recently
 * used go first), and strings longer than `maxLength` are computed every time rather than kept, so a
 * client cannot fill the memory with long unique strings.
 */
export function memoByString<T extends NonNullable<unknown>>(
  compute: (text: string) => T,
  options: { readonly max: number; readonly maxLength: number },
): (text: string) => T {
  const kept = new LRUCache<string, T>({ max: options.max });
  return (text) => {
    let value = kept.get(text);
    if (value === undefined) {
      value = compute(text);
      if (text.length <= options.maxLength) kept.set(text, value);
    }
    return value;
  };
}
