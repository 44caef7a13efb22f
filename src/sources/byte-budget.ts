/**
 * @default 64 MiB: the most upstream payload bytes the process holds at once, across every concurrent
 * fetch (raw bytes waiting to be decoded, decoded bytes, a brotli decoder's window). Each fetch is also
 * capped alone (`MAX_UPSTREAM_BYTES`); this bounds their sum, which `upstream.concurrency` (128) times
 * the per-fetch cap would not. Legitimate feeds send kilobytes to a few megabytes, so the budget runs
 * out only when upstreams are abusive (oversize or compressed-bomb bodies, many at once).
 */
export const DEFAULT_MAX_BYTES_IN_FLIGHT = 64 * 1024 * 1024;

/**
 * A process-wide budget of bytes, shared by every upstream fetch through a `ByteLease` each. Taking is
 * all or nothing and never waits: a fetch that cannot get bytes fails at once (see `http.ts` for why).
 */
export class ByteBudget {
  private inUse = 0;

  /** @param capacity the most bytes held at once across all leases */
  constructor(readonly capacity: number = DEFAULT_MAX_BYTES_IN_FLIGHT) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new Error(`a byte budget's capacity must be a whole number above 0; got ${capacity}`);
  }

  /** Bytes held now, by every lease together. */
  get used(): number {
    return this.inUse;
  }

  /** A new lease (one per fetch) holding nothing yet. */
  lease(): ByteLease {
    return new ByteLease(this);
  }

  /** @internal for `ByteLease` */
  tryTake(bytes: number): boolean {
    if (this.inUse + bytes > this.capacity) return false;
    this.inUse += bytes;
    return true;
  }

  /** @internal for `ByteLease` */
  give(bytes: number): void {
    this.inUse -= bytes;
  }
}

/**
 * One fetch's share of a `ByteBudget`. `close` returns everything it holds and is idempotent, so every
 * way a fetch ends (success, error, abort, timeout) can call it; after it the lease holds nothing and
 * takes nothing, so a late decoder callback cannot return bytes twice.
 */
export class ByteLease {
  private holding = 0;
  private closed = false;

  constructor(private readonly budget: ByteBudget) {}

  /** Bytes this lease holds now. */
  get held(): number {
    return this.holding;
  }

  /** Takes `bytes` from the budget; false (taking nothing) when the budget cannot spare them or the lease is closed. */
  take(bytes: number): boolean {
    if (this.closed || !this.budget.tryTake(bytes)) return false;
    this.holding += bytes;
    return true;
  }

  /** Returns up to `bytes` of what this lease holds. */
  give(bytes: number): void {
    const n = Math.min(bytes, this.holding);
    this.holding -= n;
    this.budget.give(n);
  }

  /** Returns everything and takes nothing more. */
  close(): void {
    this.closed = true;
    this.give(this.holding);
  }
}

/** The budget every upstream fetch of this process shares. */
export const UPSTREAM_BYTE_BUDGET = new ByteBudget();
