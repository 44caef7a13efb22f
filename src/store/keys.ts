import calculateSlot from 'cluster-key-slot';

/**
 * Every Redis key and channel the gateway uses, built here and nowhere else.
 *
 * Namespace: `wa:v1:` (bump the version when a stored format changes, so old entries are ignored rather
 * than misread). Each source's keys share the hash tag `{s:<id>}`, so its report, lock and replay keys live
 * in one Redis Cluster slot, while different sources spread over the cluster.
 */
export const KEY_PREFIX = 'wa:v1:';

/** The hash tag of a source: everything about one source lands in one cluster slot. */
function tag(sourceId: string): string {
  return `{s:${sourceId}}`;
}

export const keys = {
  /** The source's last good report (JSON), kept for ttl + staleFor. */
  report: (sourceId: string) => `${KEY_PREFIX}${tag(sourceId)}:report`,
  /** The cross-instance refresh lock (SET NX PX), so one instance fetches while others wait. */
  lock: (sourceId: string) => `${KEY_PREFIX}${tag(sourceId)}:lock`,
  /** A webhook signature already used (replay protection). */
  hookNonce: (sourceId: string, signature: string) => `${KEY_PREFIX}${tag(sourceId)}:hook:${signature}`,
  /** Prefix of a role's rate-limit counters (rate-limiter-flexible appends the key id or IP). */
  rateLimitPrefix: (role: string) => `${KEY_PREFIX}rl:${role}`,
  /** A signed-in browser's session (JSON), by the hash of its cookie's id (the id itself is never stored). */
  session: (handle: string) => `${KEY_PREFIX}session:${handle}`,
  /** A sign-in under way (state, nonce, PKCE verifier), by the hash of its browser cookie's id; used once. */
  signIn: (handle: string) => `${KEY_PREFIX}signin:${handle}`,
  /** Pub/sub channel: a source's report changed or must be dropped from every instance's L1. */
  invalidationChannel: `${KEY_PREFIX}invalidate`,
} as const;

/** The cluster slot of a key (honours hash tags). */
export function slotOf(key: string): number {
  return calculateSlot(key);
}

/** Groups keys by cluster slot, keeping each key's index, so a batch read is one MGET per slot. */
export function groupBySlot(keyList: readonly string[]): Map<number, Array<{ key: string; index: number }>> {
  const groups = new Map<number, Array<{ key: string; index: number }>>();
  keyList.forEach((key, index) => {
    const slot = slotOf(key);
    const group = groups.get(slot);
    if (group) group.push({ key, index });
    else groups.set(slot, [{ key, index }]);
  });
  return groups;
}
