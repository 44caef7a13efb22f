import type { SourceConfig } from '../config/schema';
import type { SourceReport } from '../domain/figure';
import type { ForceRegistry } from '../domain/force-registry';
import { SourceError } from '../errors';
import { ADAPTERS } from './kinds';
import type { BreakerState } from './resilience';
import { createSourcePolicy } from './resilience';
import { SHAPES } from './shapes';

/** What the gateway knows about a source's health, for the `sources` query (safe to show). */
export interface SourceHealth {
  readonly lastAttemptAt: string | null;
  readonly lastSuccessAt: string | null;
  readonly lastLatencyMs: number | null;
  readonly lastError: { readonly code: string; readonly message: string; readonly at: string } | null;
  readonly consecutiveFailures: number;
  readonly figures: number;
}

/** A configured source, ready to fetch. */
export interface Source {
  readonly config: SourceConfig;
  /** Forces this source may speak for. */
  readonly forceIds: readonly string[];
  /** Fetches, validates and normalises the payload; throws `SourceError`. Records health either way. */
  load(): Promise<SourceReport>;
  health(): SourceHealth;
  breakerState(): BreakerState;
}

/** What a source needs from the rest of the gateway. */
export interface SourceDeps {
  readonly registry: ForceRegistry;
  readonly baseDir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly now?: () => Date;
  /** Receives the internal detail of failures (may hold URLs): for logs only. */
  readonly onFailure?: (sourceId: string, error: SourceError) => void;
}

/** Creates a source from its validated config: adapter by kind, shape reducer, resilience policies. */
export function createSource(config: SourceConfig, deps: SourceDeps): Source {
  const adapter = ADAPTERS[config.kind];
  const reduce = SHAPES[config.shape];
  const policy = createSourcePolicy(config);
  const now = deps.now ?? (() => new Date());
  const forceIds =
    config.forces === '*'
      ? deps.registry.all.map((f) => f.id)
      : config.forces.filter((id) => deps.registry.has(id));
  const allowedForces = new Set(forceIds);
  let health: SourceHealth = {
    lastAttemptAt: null,
    lastSuccessAt: null,
    lastLatencyMs: null,
    lastError: null,
    consecutiveFailures: 0,
    figures: 0,
  };

  return {
    config,
    forceIds,
    health: () => health,
    breakerState: () => policy.breakerState(),
    async load() {
      const started = now();
      const t0 = performance.now();
      try {
        const report = await policy.execute(async (budget, remainingMs) => {
          const raw = await adapter.fetchRows({
            config,
            budget,
            baseDir: deps.baseDir,
            env: deps.env,
            remainingMs,
          });
          return reduce(raw.rows, {
            config,
            numbers: raw.numbers,
            retrievedAt: now().toISOString(),
            allowedForces,
          });
        });
        health = {
          lastAttemptAt: started.toISOString(),
          lastSuccessAt: now().toISOString(),
          lastLatencyMs: Math.round(performance.now() - t0),
          lastError: null,
          consecutiveFailures: 0,
          figures: report.figures.length + report.breakdowns.length + report.publishedTotals.length,
        };
        return report;
      } catch (error) {
        const failure =
          error instanceof SourceError
            ? error
            : new SourceError('UPSTREAM_UNREACHABLE', 'the source failed unexpectedly');
        health = {
          ...health,
          lastAttemptAt: started.toISOString(),
          lastLatencyMs: Math.round(performance.now() - t0),
          lastError: { code: failure.code, message: failure.publicMessage, at: now().toISOString() },
          consecutiveFailures: health.consecutiveFailures + 1,
        };
        deps.onFailure?.(config.id, failure);
        throw failure;
      }
    },
  };
}
