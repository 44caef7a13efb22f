import type { SourceConfig } from '../config/schema';
import type { Budget } from './resilience';

/** What an adapter gets for one fetch. */
export interface FetchContext {
  readonly config: SourceConfig;
  /** The source's time budget: aborted when it runs out. */
  readonly budget: Budget;
  /** Directory that relative file locations are resolved against (the config file's). */
  readonly baseDir: string;
  /** Environment to read header secrets from. */
  readonly env: NodeJS.ProcessEnv;
  /** Milliseconds left in the source's time budget (for honouring Retry-After). */
  readonly remainingMs: () => number;
}

/** Rows as an adapter produced them: CSV cells are text, JSON and GraphQL keep their native types. */
export interface RawRows {
  readonly rows: readonly unknown[];
  /** Whether numbers arrive as text (CSV), and so must be parsed strictly, or natively (JSON). */
  readonly numbers: 'text' | 'native';
}

/** One adapter per kind, each in its own folder, all behind this interface. */
export interface SourceAdapter {
  readonly kind: SourceConfig['kind'];
  fetchRows(ctx: FetchContext): Promise<RawRows>;
}
