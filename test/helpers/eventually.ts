/**
 * Waits until `check` gives a truthy value and returns it; fails naming `what` after `timeoutMs`. For an
 * outcome that arrives asynchronously (a WebSocket refusal, a subscription opening): the test asserts the
 * outcome, never how long it took.
 */
export async function eventually<T>(
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  what: string,
  timeoutMs = 3000,
  everyMs = 10,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
