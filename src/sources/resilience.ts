import type { IBackoff, IBackoffFactory, IRetryBackoffContext } from 'cockatiel';
import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleAll,
  handleWhen,
  retry,
} from 'cockatiel';
import type { SourceConfig } from '../config/schema';
import { SourceError } from '../errors';

/** A breaker state as the API reports it. */
export type BreakerState = 'CLOSED' | 'OPEN' | 'HALF_OPEN';

/**
 * Exponential backoff with full jitter, except that a source's Retry-After (on a 429) is honoured
 * exactly: it knows better than we do when to come back.
 */
class RetryAfterAwareBackoff implements IBackoffFactory<IRetryBackoffContext<unknown>> {
  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
    private readonly attempt = 0,
  ) {}

  next(context: IRetryBackoffContext<unknown>): IBackoff<IRetryBackoffContext<unknown>> {
    const error = 'error' in context.result ? context.result.error : undefined;
    const retryAfter = error instanceof SourceError ? error.retryAfterMs : undefined;
    const cap = Math.min(this.maxMs, this.initialMs * 2 ** this.attempt);
    const following = new RetryAfterAwareBackoff(this.initialMs, this.maxMs, this.attempt + 1);
    return {
      duration: retryAfter ?? Math.round(Math.random() * cap),
      next: (ctx) => following.next(ctx),
    };
  }
}

/**
 * A fetch's time budget as its attempts see it: whether it has run out, a hook called when it does, and
 * an AbortSignal for the APIs that need one. The signal is made only when something reads it (a file
 * read does; an HTTP request uses `onAbort`): an AbortController and an event listener per fetch were a
 * measurable share of a cold fan-out's CPU over thousands of sources.
 */
export class Budget {
  private ran = false;
  private listeners: Array<() => void> | null = null;
  private controller: AbortController | null = null;

  /** True once the budget has run out. */
  get aborted(): boolean {
    return this.ran;
  }

  /** Aborted when the budget runs out (made on first use). */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.ran) this.controller.abort();
    }
    return this.controller.signal;
  }

  /** Calls `listener` once when the budget runs out (at once if it has); returns what cancels that. */
  onAbort(listener: () => void): () => void {
    if (this.ran) {
      listener();
      return () => {};
    }
    (this.listeners ??= []).push(listener);
    return () => {
      const listeners = this.listeners;
      const i = listeners ? listeners.indexOf(listener) : -1;
      if (i >= 0) listeners!.splice(i, 1);
    };
  }

  /** Ends the budget: `aborted` becomes true, the signal (if made) aborts, and every listener is called. */
  abort(): void {
    if (this.ran) return;
    this.ran = true;
    this.controller?.abort();
    const listeners = this.listeners;
    this.listeners = null;
    if (listeners) for (const listener of listeners) listener();
  }
}

/** The policies around one source's fetch: breaker, then an overall time budget, then retries inside it. */
export interface SourcePolicy {
  /** Runs `attempt` under the policies; failures come out as `SourceError`. */
  execute<T>(attempt: (budget: Budget, remainingMs: () => number) => Promise<T>): Promise<T>;
  readonly breakerState: () => BreakerState;
}

/** Thrown inside the policies when a fetch's time budget runs out (mapped to UPSTREAM_TIMEOUT). */
class BudgetExceeded extends Error {}

/**
 * Runs `task` with one time budget: after `ms` the budget is aborted and the result rejects at once
 * (whatever the task is doing, as cockatiel's aggressive timeout did). A plain timer and one `Budget` per
 * fetch: cockatiel's timeout policy also derived a second AbortController, hung listeners on both and
 * aborted the signal on every successful return (an AbortError allocated per fetch), which was a
 * measurable share of a cold fan-out's CPU over thousands of sources.
 */
function withinBudget<T>(ms: number, budget: Budget, task: (budget: Budget) => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      budget.abort();
      reject(new BudgetExceeded());
    }, ms);
    task(budget).then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/**
 * Builds the resilience policies of a source from its config, with cockatiel:
 * - a circuit breaker that opens after `breaker.consecutiveFailures` failed fetches and lets one probe
 *   through after `breaker.halfOpenAfterMs`;
 * - a time budget of `timeoutMs` for the whole fetch, retries included, that aborts the request;
 * - up to `retry.maxAttempts` attempts for retryable failures (network, 5xx, 429 whose Retry-After fits in
 *   what is left of the budget), with jittered exponential backoff.
 */
export function createSourcePolicy(config: SourceConfig): SourcePolicy {
  let deadline = 0;
  // The budget of the fetch running now (a source is fetched once at a time, as `deadline` assumes).
  let current: Budget | null = null;
  const remainingMs = () => Math.max(0, deadline - Date.now());
  const retryPolicy = retry(
    handleWhen(
      (error) =>
        error instanceof SourceError &&
        error.retryable &&
        // No retry once the budget has run out (cockatiel would check an AbortSignal for this).
        current?.aborted !== true &&
        (error.retryAfterMs === undefined || error.retryAfterMs < remainingMs()),
    ),
    {
      maxAttempts: config.retry.maxAttempts - 1,
      backoff: new RetryAfterAwareBackoff(config.retry.initialDelayMs, config.retry.maxDelayMs),
    },
  );
  const breaker = circuitBreaker(handleAll, {
    halfOpenAfter: config.breaker.halfOpenAfterMs,
    breaker: new ConsecutiveBreaker(config.breaker.consecutiveFailures),
  });

  return {
    execute(attempt) {
      // The breaker counts a fetch that ran out of time as one failure, as it counts any other.
      return breaker
        .execute(() => {
          deadline = Date.now() + config.timeoutMs;
          const budget = new Budget();
          current = budget;
          return withinBudget(config.timeoutMs, budget, () =>
            retryPolicy.execute(() => {
              if (budget.aborted) throw new BudgetExceeded();
              return attempt(budget, remainingMs);
            }),
          );
        })
        .catch((error: unknown) => {
          throw toSourceError(error, config);
        });
    },
    breakerState: () => {
      switch (breaker.state) {
        case CircuitState.Closed:
          return 'CLOSED';
        case CircuitState.HalfOpen:
          return 'HALF_OPEN';
        case CircuitState.Open:
        case CircuitState.Isolated:
          return 'OPEN';
        default: {
          const unreachable: never = breaker.state;
          throw new Error(`unreachable breaker state ${String(unreachable)}`);
        }
      }
    },
  };
}

function toSourceError(error: unknown, config: SourceConfig): SourceError {
  if (error instanceof SourceError) return error;
  if (error instanceof BrokenCircuitError) {
    return new SourceError(
      'CIRCUIT_OPEN',
      'the source failed repeatedly; calls are paused until a probe succeeds',
    );
  }
  if (error instanceof BudgetExceeded) {
    return new SourceError('UPSTREAM_TIMEOUT', `the source did not answer within ${config.timeoutMs} ms`);
  }
  return new SourceError('UPSTREAM_UNREACHABLE', 'the source failed unexpectedly', (error as Error)?.message);
}
