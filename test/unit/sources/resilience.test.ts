import { SourceError } from '../../../src/errors';
import type { SourcePolicy } from '../../../src/sources/resilience';
import { Budget, createSourcePolicy } from '../../../src/sources/resilience';
import { sourceConfig } from './shapes/context';

function policy(extra: Parameters<typeof sourceConfig>[0] = {}): SourcePolicy {
  return createSourcePolicy(
    sourceConfig({
      timeoutMs: 1000,
      retry: { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 5 },
      breaker: { consecutiveFailures: 100, halfOpenAfterMs: 60_000 },
      ...extra,
    }),
  );
}

/** An attempt function that records its calls and plays a script of outcomes (the last one repeats). */
function scripted(...outcomes: Array<Error | string>) {
  const calls: number[] = [];
  const fn = async (): Promise<string> => {
    calls.push(Date.now());
    const outcome = outcomes[Math.min(calls.length - 1, outcomes.length - 1)]!;
    if (outcome instanceof Error) throw outcome;
    return outcome;
  };
  return { fn, calls };
}

async function failureOf(promise: Promise<unknown>): Promise<SourceError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SourceError);
  return error as SourceError;
}

const unreachable = () => new SourceError('UPSTREAM_UNREACHABLE', 'the source could not be reached');
const httpError = (status: number) =>
  new SourceError('UPSTREAM_HTTP_ERROR', `the source answered HTTP ${status}`, undefined, undefined, status);
const rateLimited = (ms: number) => new SourceError('UPSTREAM_RATE_LIMITED', 'slow down', undefined, ms);

describe('SourceError.retryable', () => {
  it('says network failures, 5xx, 408 and 429 may succeed on another attempt', () => {
    expect(unreachable().retryable).toBe(true);
    expect(rateLimited(0).retryable).toBe(true);
    expect(httpError(503).retryable).toBe(true);
    expect(httpError(500).retryable).toBe(true);
    expect(httpError(408).retryable).toBe(true);
  });

  it('says client errors, invalid payloads, timeouts and an open circuit will not', () => {
    expect(httpError(404).retryable).toBe(false);
    expect(httpError(401).retryable).toBe(false);
    expect(new SourceError('UPSTREAM_INVALID_PAYLOAD', 'bad').retryable).toBe(false);
    expect(new SourceError('UPSTREAM_TIMEOUT', 'slow').retryable).toBe(false);
    expect(new SourceError('CIRCUIT_OPEN', 'open').retryable).toBe(false);
  });

  it('keeps internal detail out of the public message', () => {
    const e = new SourceError(
      'UPSTREAM_UNREACHABLE',
      'the source could not be reached',
      'http://10.0.0.1/feed: ECONNREFUSED',
    );
    expect(e.publicMessage).toBe('the source could not be reached');
    expect(e.message).toContain('ECONNREFUSED');
  });
});

describe('source policy: retries', () => {
  it('returns the attempt’s value, giving it a live budget and the time left in it', async () => {
    let seen: { aborted: boolean; remaining: number } | null = null;
    const result = await policy({ timeoutMs: 300 }).execute(async (budget, remainingMs) => {
      seen = { aborted: budget.aborted || budget.signal.aborted, remaining: remainingMs() };
      return 'ok';
    });
    expect(result).toBe('ok');
    expect(seen!.aborted).toBe(false);
    expect(seen!.remaining).toBeGreaterThan(200);
    expect(seen!.remaining).toBeLessThanOrEqual(300);
  });

  it('retries a retryable failure and succeeds when the source recovers', async () => {
    const { fn, calls } = scripted(httpError(503), unreachable(), 'ok');
    await expect(policy().execute(fn)).resolves.toBe('ok');
    expect(calls).toHaveLength(3);
  });

  it('makes at most retry.maxAttempts attempts in all, then gives the last failure', async () => {
    const { fn, calls } = scripted(unreachable());
    const error = await failureOf(
      policy({ retry: { maxAttempts: 4, initialDelayMs: 1, maxDelayMs: 2 } }).execute(fn),
    );
    expect(error.code).toBe('UPSTREAM_UNREACHABLE');
    expect(calls).toHaveLength(4);
  });

  it.each([
    ['an invalid payload', new SourceError('UPSTREAM_INVALID_PAYLOAD', 'validation failed')],
    ['HTTP 404', httpError(404)],
  ])('does not retry %s', async (_what, failure) => {
    const { fn, calls } = scripted(failure);
    expect(await failureOf(policy().execute(fn))).toBe(failure);
    expect(calls).toHaveLength(1);
  });

  it('does not retry an unexpected error, and reports it as UPSTREAM_UNREACHABLE with its detail kept internal', async () => {
    const { fn, calls } = scripted(new TypeError('boom'));
    const error = await failureOf(policy().execute(fn));
    expect(calls).toHaveLength(1);
    expect(error).toMatchObject({
      code: 'UPSTREAM_UNREACHABLE',
      publicMessage: 'the source failed unexpectedly',
      detail: 'boom',
    });
  });
});

describe('source policy: Retry-After', () => {
  it('waits as long as the source asks before trying again, when that fits in the budget', async () => {
    const { fn, calls } = scripted(rateLimited(120), 'ok');
    await expect(policy({ timeoutMs: 1000 }).execute(fn)).resolves.toBe('ok');
    expect(calls).toHaveLength(2);
    expect(calls[1]! - calls[0]!).toBeGreaterThanOrEqual(110);
  });

  it('gives up at once with UPSTREAM_RATE_LIMITED when the wait would not fit in the budget', async () => {
    const { fn, calls } = scripted(rateLimited(5000), 'ok');
    const started = Date.now();
    const error = await failureOf(policy({ timeoutMs: 300 }).execute(fn));
    expect(error.code).toBe('UPSTREAM_RATE_LIMITED');
    expect(calls).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(200);
  });
});

describe('source policy: time budget', () => {
  it('aborts a slow attempt with UPSTREAM_TIMEOUT after timeoutMs', async () => {
    let budget: Budget | undefined;
    let signal: AbortSignal | undefined;
    let called = 0;
    const started = Date.now();
    const error = await failureOf(
      policy({ timeoutMs: 60 }).execute(
        (s) =>
          new Promise<string>((resolve) => {
            budget = s;
            signal = s.signal;
            s.onAbort(() => (called += 1));
            setTimeout(() => resolve('late'), 1000).unref();
          }),
      ),
    );
    expect(error).toMatchObject({
      code: 'UPSTREAM_TIMEOUT',
      publicMessage: 'the source did not answer within 60 ms',
    });
    expect(budget?.aborted).toBe(true);
    expect(signal?.aborted).toBe(true);
    expect(called).toBe(1);
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('counts retries against the same budget', async () => {
    const slowFailure = () => new Promise<string>((_, reject) => setTimeout(() => reject(unreachable()), 40));
    const started = Date.now();
    const error = await failureOf(
      policy({ timeoutMs: 100, retry: { maxAttempts: 10, initialDelayMs: 1, maxDelayMs: 2 } }).execute(
        slowFailure,
      ),
    );
    expect(error.code).toBe('UPSTREAM_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(400);
  });
});

describe('Budget', () => {
  it('calls its listeners once when it runs out, and at once when added after', () => {
    const budget = new Budget();
    const calls: string[] = [];
    budget.onAbort(() => calls.push('a'));
    const cancel = budget.onAbort(() => calls.push('cancelled'));
    cancel();
    expect(budget.aborted).toBe(false);
    budget.abort();
    budget.abort();
    budget.onAbort(() => calls.push('late'));
    expect(calls).toEqual(['a', 'late']);
    expect(budget.aborted).toBe(true);
  });

  it('gives an AbortSignal that follows it, made before or after it runs out', () => {
    const before = new Budget();
    const signal = before.signal;
    expect(signal.aborted).toBe(false);
    before.abort();
    expect(signal.aborted).toBe(true);
    const after = new Budget();
    after.abort();
    expect(after.signal.aborted).toBe(true);
  });
});

describe('source policy: no attempt after the budget', () => {
  it('makes no further attempt once the budget has run out', async () => {
    let calls = 0;
    const slowFailure = () => {
      calls += 1;
      return new Promise<string>((_, reject) => setTimeout(() => reject(unreachable()), 30));
    };
    const error = await failureOf(
      policy({ timeoutMs: 50, retry: { maxAttempts: 10, initialDelayMs: 1, maxDelayMs: 2 } }).execute(
        slowFailure,
      ),
    );
    expect(error.code).toBe('UPSTREAM_TIMEOUT');
    const atTimeout = calls;
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(calls).toBe(atTimeout);
  });
});

describe('source policy: circuit breaker', () => {
  const breakerPolicy = () =>
    policy({
      retry: { maxAttempts: 1, initialDelayMs: 1, maxDelayMs: 1 },
      breaker: { consecutiveFailures: 2, halfOpenAfterMs: 100 },
    });

  it('opens after breaker.consecutiveFailures failed fetches and then fails fast without calling the source', async () => {
    const p = breakerPolicy();
    const { fn, calls } = scripted(unreachable());
    await failureOf(p.execute(fn));
    expect(p.breakerState()).toBe('CLOSED');
    await failureOf(p.execute(fn));
    expect(p.breakerState()).toBe('OPEN');
    const error = await failureOf(p.execute(fn));
    expect(error).toMatchObject({
      code: 'CIRCUIT_OPEN',
      publicMessage: 'the source failed repeatedly; calls are paused until a probe succeeds',
    });
    expect(calls).toHaveLength(2);
  });

  it('lets one probe through after breaker.halfOpenAfterMs and closes when it succeeds', async () => {
    const p = breakerPolicy();
    const failing = scripted(unreachable());
    await failureOf(p.execute(failing.fn));
    await failureOf(p.execute(failing.fn));
    await new Promise((r) => setTimeout(r, 120));
    let during: string | undefined;
    await expect(
      p.execute(async () => {
        await new Promise((r) => setTimeout(r, 5));
        during = p.breakerState();
        return 'ok';
      }),
    ).resolves.toBe('ok');
    expect(during).toBe('HALF_OPEN');
    expect(p.breakerState()).toBe('CLOSED');
  });

  it('opens again when the probe fails', async () => {
    const p = breakerPolicy();
    const failing = scripted(unreachable());
    await failureOf(p.execute(failing.fn));
    await failureOf(p.execute(failing.fn));
    await new Promise((r) => setTimeout(r, 120));
    await failureOf(p.execute(failing.fn));
    expect(p.breakerState()).toBe('OPEN');
    expect((await failureOf(p.execute(failing.fn))).code).toBe('CIRCUIT_OPEN');
    expect(failing.calls).toHaveLength(3);
  });

  it('counts only consecutive failures: a success in between resets the count', async () => {
    const p = breakerPolicy();
    const { fn } = scripted(unreachable(), 'ok', unreachable());
    await failureOf(p.execute(fn));
    await p.execute(fn);
    await failureOf(p.execute(fn));
    expect(p.breakerState()).toBe('CLOSED');
  });

  it('counts a fetch that failed after its retries as one failure', async () => {
    const p = policy({
      retry: { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 1 },
      breaker: { consecutiveFailures: 2, halfOpenAfterMs: 100 },
    });
    const { fn, calls } = scripted(unreachable());
    await failureOf(p.execute(fn));
    expect(calls).toHaveLength(3);
    expect(p.breakerState()).toBe('CLOSED');
  });
});
