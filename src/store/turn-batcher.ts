import { Cluster } from 'ioredis';
import type { DeferredReply, RedisClient } from './redis-connection';

/** The client (or a pipeline of it) with the commands `N` defined on it (`defineCommand`). */
type Defined<N extends string> = {
  [K in N]: (...args: Array<string | number>) => unknown;
};

/** A pipeline's defined command with a callback last, called when that call's own reply arrives. */
type DefinedWithCallback<N extends string> = {
  [K in N]: (
    ...args: Array<string | number | ((error: Error | null | undefined, value: unknown) => void)>
  ) => unknown;
};

/**
 * Sends the defined commands (the store's scripts) called in one event-loop turn to a single Redis server
 * as one pipeline: one socket write for all of them instead of one each. In a cold fan-out over thousands
 * of sources each write to the loopback socket cost 60-90 us of CPU, the largest single item of the
 * profile. Every call still runs inside its own `RedisConnection.run` (its own deadline, counted by the
 * breaker on its own), so failures behave exactly as unbatched calls. A Redis Cluster gets each call
 * directly (a pipeline there must keep to one slot, and each source has its own).
 */
export class TurnBatcher<N extends string> {
  private pending: Array<{
    readonly name: N;
    readonly args: Array<string | number>;
    readonly resolve: (value: unknown) => void;
    readonly reject: (error: unknown) => void;
  }> | null = null;

  constructor(private readonly client: RedisClient) {}

  /** Resolves when the pending batch is written; its calls' deadlines start then (see `DeferredReply`). */
  private sent: { promise: Promise<void>; resolve: () => void } | null = null;

  /** Calls the defined command `name` with `args` in this turn's batch. */
  call(name: N, args: Array<string | number>): DeferredReply<unknown> {
    if (this.client instanceof Cluster)
      return (this.client as unknown as Defined<N>)[name](...args) as Promise<unknown>;
    if (!this.pending) {
      this.pending = [];
      let resolve = () => {};
      this.sent = { promise: new Promise<void>((r) => (resolve = r)), resolve };
      // After the I/O of this turn has been handled (every reply read, every fetch settled), not per tick.
      setImmediate(() => this.flush());
    }
    const pending = this.pending;
    const reply = new Promise((resolve, reject) => pending.push({ name, args, resolve, reject }));
    return Object.assign(reply, { sent: this.sent!.promise });
  }

  private flush(): void {
    const batch = this.pending ?? [];
    const sent = this.sent;
    this.pending = null;
    this.sent = null;
    // Settles after the writes below (this function is synchronous up to them).
    queueMicrotask(() => sent?.resolve());
    if (batch.length === 1) {
      const only = batch[0]!;
      ((this.client as unknown as Defined<N>)[only.name](...only.args) as Promise<unknown>).then(
        only.resolve,
        only.reject,
      );
      return;
    }
    const pipeline = this.client.pipeline();
    // Each call settles as its own reply arrives: a pipeline's exec() settles only with its last reply,
    // and the first chunk of a cold lookup (its fetches can start) waited for every other chunk's script.
    for (const call of batch)
      (pipeline as unknown as DefinedWithCallback<N>)[call.name](
        ...call.args,
        (error: Error | null | undefined, value: unknown) =>
          error ? call.reject(error) : call.resolve(value),
      );
    // Whatever a callback did not settle (a pipeline that failed as a whole) settles here; a settled call
    // stays as it is.
    pipeline.exec().then(
      (results) =>
        batch.forEach((call, i) => {
          const [error, value] = results?.[i] ?? [new Error('no reply in the pipeline'), undefined];
          if (error) call.reject(error);
          else call.resolve(value);
        }),
      (error: unknown) => batch.forEach((call) => call.reject(error)),
    );
  }
}
