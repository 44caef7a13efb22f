import type { Source } from '../../sources/source';
import type { SourceRead } from '../../store/source-reader';
import { ageSecondsOf } from '../views';

/** A source's status as the API shows it: never its internal location. */
export function sourceStatusView(source: Source, read: SourceRead, nowMs: number) {
  const health = source.health();
  const c = source.config;
  let state: 'OK' | 'STALE' | 'ERROR' | 'NOT_LOADED';
  if (read.ok) state = read.freshness === 'STALE' ? 'STALE' : 'OK';
  else state = read.error.code === 'SOURCE_NOT_LOADED' ? 'NOT_LOADED' : 'ERROR';
  return {
    id: c.id,
    kind: c.kind,
    shape: c.shape,
    title: c.title,
    url: c.url,
    simulated: c.simulated,
    forces: [...source.forceIds],
    state,
    freshness: read.ok ? read.freshness : null,
    retrievedAt: read.ok ? new Date(read.retrievedAt).toISOString() : null,
    ageSeconds: read.ok ? ageSecondsOf(read.retrievedAt, nowMs) : null,
    lastAttemptAt: health.lastAttemptAt,
    lastSuccessAt: health.lastSuccessAt,
    latencyMs: health.lastLatencyMs,
    // While failing, the last failure shows even when a stale report is still being served.
    error: read.ok ? health.lastError && (read.freshness === 'STALE' ? health.lastError : null) : read.error,
    breaker: source.breakerState(),
    items: read.ok
      ? read.report.figures.length + read.report.breakdowns.length + read.report.publishedTotals.length
      : 0,
    ttlSeconds: c.ttlSeconds,
    staleForSeconds: c.staleForSeconds,
  };
}
