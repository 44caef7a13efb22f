/**
 * What has been derived from one snapshot generation (summaries, views, counts), kept with it until it is
 * replaced, so that the warm path derives each once per generation whatever the number of sources. Typed
 * by its keys: each user declares a `MemoKey` with the type of what it keeps, and reads it back as that
 * type, without casts.
 */

/**
 * Names one kind of thing a generation memo keeps, of type `V`. Compared by identity: declare each key
 * once, at module level.
 *
 * @example
 * const COUNTS = new MemoKey<{ fresh: number; stale: number }>('source counts');
 * const counts = generation.memo.get(COUNTS) ?? generation.memo.set(COUNTS, countSources(generation));
 */
export class MemoKey<V> {
  /** Carries `V` in the type, so that keys of different types are not interchangeable. */
  declare private readonly valueType: V;

  /** `name` says what is kept (for a reader; it is not the key). */
  constructor(readonly name: string) {}
}

/**
 * One generation's memo: per key, one value, or one value per argument (e.g. per date and window) when an
 * `argument` is given. Values live as long as the generation.
 */
export class GenerationMemo {
  private readonly values = new Map<MemoKey<unknown>, unknown>();
  private readonly perArgument = new Map<MemoKey<unknown>, Map<string, unknown>>();

  /** What is kept under `key` (for `argument`, when given); undefined when nothing is yet. */
  get<V>(key: MemoKey<V>, argument?: string): V | undefined {
    if (argument === undefined) return this.values.get(key) as V | undefined;
    return this.perArgument.get(key)?.get(argument) as V | undefined;
  }

  /** Keeps `value` under `key` (for `argument`, when given), replacing what was there; returns `value`. */
  set<V>(key: MemoKey<V>, value: V, argument?: string): V {
    if (argument === undefined) {
      this.values.set(key, value);
      return value;
    }
    let byArgument = this.perArgument.get(key);
    if (!byArgument) this.perArgument.set(key, (byArgument = new Map()));
    byArgument.set(argument, value);
    return value;
  }
}
