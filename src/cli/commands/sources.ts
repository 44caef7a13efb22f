import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { loadConfig } from '../../config/load';
import { isSummable } from '../../domain/national';
import { isPreferred } from '../../domain/selection';
import { SourceError } from '../../errors';
import { createSource } from '../../sources/source';
import { EXIT } from '../exit-codes';

/** One line of the `sources check` table. */
interface CheckRow {
  id: string;
  kind: string;
  shape: string;
  status: string;
  latencyMs: number;
  figures: number;
  unaccounted: number | null;
}

function table(rows: CheckRow[]): string {
  const head = ['source', 'kind', 'shape', 'status', 'latency_ms', 'items', 'latest_unaccounted'];
  const cells = rows.map((r) => [
    r.id,
    r.kind,
    r.shape,
    r.status,
    String(r.latencyMs),
    String(r.figures),
    r.unaccounted === null ? '-' : String(r.unaccounted),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) =>
    c
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/**
 * `whereabouts sources check`: fetches every configured source once (the same adapters, validation and
 * policies as the gateway), with a progress bar, and prints a table of status, latency and figures.
 * Exits 1 when any source failed, so it can gate a deployment.
 */
export function registerSourcesCommand(program: Command): void {
  const sources = program.command('sources').description('inspect the configured sources');
  sources
    .command('check')
    .description(
      'fetch every source once and print status, latency and figures (config: WHEREABOUTS_CONFIG or --config)',
    )
    .option(
      '-c, --config <file>',
      'sources config YAML (default: env WHEREABOUTS_CONFIG, else the embedded default)',
    )
    .action(async (options: { config?: string }) => {
      const env = { ...process.env, ...(options.config ? { WHEREABOUTS_CONFIG: options.config } : {}) };
      const config = loadConfig(env, options.config ? '--config' : undefined);
      const list = config.sources.map((sc) =>
        createSource(sc, { registry: config.registry, baseDir: config.baseDir, env }),
      );
      const bar = new SingleBar(
        {
          format: 'checking sources [{bar}] {value}/{total} {id}',
          stream: process.stderr,
          clearOnComplete: true,
        },
        Presets.shades_classic,
      );
      bar.start(list.length, 0, { id: '' });
      const rows: CheckRow[] = await Promise.all(
        list.map(async (source) => {
          const started = performance.now();
          let row: CheckRow;
          try {
            const report = await source.load();
            // Each force's newest headline in this source, summed: what the source says now. Undated
            // figures and lower bounds are never summed; of two bases on one date, the headline's.
            const latest = new Map<string, (typeof report.figures)[number]>();
            for (const f of report.figures) {
              if (f.measure !== 'UNACCOUNTED' || !isSummable(f) || f.asAt === null) continue;
              const seen = latest.get(f.forceId);
              if (!seen || isPreferred(f, seen, () => 0)) latest.set(f.forceId, f);
            }
            const headline = [...latest.values()];
            row = {
              id: source.config.id,
              kind: source.config.kind,
              shape: source.config.shape,
              status: 'OK',
              latencyMs: Math.round(performance.now() - started),
              figures: report.figures.length + report.breakdowns.length + report.publishedTotals.length,
              unaccounted: headline.length ? headline.reduce((s, f) => s + (f.value ?? 0), 0) : null,
            };
          } catch (error) {
            const code = error instanceof SourceError ? `${error.code}: ${error.publicMessage}` : 'ERROR';
            row = {
              id: source.config.id,
              kind: source.config.kind,
              shape: source.config.shape,
              status: code,
              latencyMs: Math.round(performance.now() - started),
              figures: 0,
              unaccounted: null,
            };
          }
          bar.increment(1, { id: source.config.id });
          return row;
        }),
      );
      bar.stop();
      process.stdout.write(`${table(rows)}\n`);
      const failed = rows.filter((r) => r.status !== 'OK').length;
      process.stdout.write(`${rows.length - failed} of ${rows.length} sources OK (${config.origin})\n`);
      if (failed > 0) process.exitCode = EXIT.FAILURE;
    });
}
