import type { Command } from 'commander';
import { loadConfig } from '../../config/load';
import { isCalendarDay, todayIso } from '../../domain/dates';
import { entriesFor, summarise } from '../../domain/national';
import { comparablePublishedTotals } from '../../domain/published';
import { toCsv } from '../../http/feed-csv';
import { NATIONAL_LATEST } from '../../http/feed-tables/figures';
import { rowOf } from '../../http/feed-tables/table';
import { FigureService } from '../../store/figure-service';
import { UsageError } from '../exit-codes';

/**
 * `whereabouts export`: the national figures as at a date, from the configured sources, to stdout as the
 * feeds' CSV (same columns) or as JSON with coverage and published totals. Analyst view (no disclosure
 * control): it runs on the operator's machine, from the sources' own data.
 */
export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .description(
      "print the national figures as at a date (CSV with the feeds' columns, or JSON with coverage)",
    )
    .option('--format <format>', 'csv or json', 'csv')
    .option('--as-at <date>', 'YYYY-MM-DD (default: today)')
    .option('--window-days <days>', 'window in days (default: the configured one, 90)')
    .option(
      '-c, --config <file>',
      'sources config YAML (default: env WHEREABOUTS_CONFIG, else the embedded default)',
    )
    .action(async (options: { format: string; asAt?: string; windowDays?: string; config?: string }) => {
      if (!['csv', 'json'].includes(options.format))
        throw new UsageError(`--format must be csv or json; got "${options.format}"`);
      const asAt = options.asAt ?? todayIso();
      if (!/^\d{4}-\d{2}-\d{2}$/.test(asAt))
        throw new UsageError(`--as-at must be a day written YYYY-MM-DD; got "${asAt}"`);
      if (!isCalendarDay(asAt)) throw new UsageError(`--as-at ${asAt} is not a real calendar day`);
      if (asAt > todayIso())
        throw new UsageError(`--as-at ${asAt} is in the future; the latest accepted is today, ${todayIso()}`);
      const env = { ...process.env, ...(options.config ? { WHEREABOUTS_CONFIG: options.config } : {}) };
      const config = loadConfig(env, options.config ? '--config' : undefined);
      const windowDays =
        options.windowDays === undefined ? config.national.windowDays : Number(options.windowDays);
      if (!Number.isInteger(windowDays) || windowDays < 1 || windowDays > 3650)
        throw new UsageError(
          `--window-days must be a whole number from 1 to 3650; got "${options.windowDays}"`,
        );
      const service = new FigureService(config, { env });
      const { generation } = await service.current();
      const { snapshot } = generation;
      const entries = entriesFor(config.registry.all, snapshot.figuresByForce, {
        asAt,
        windowDays,
        registeredWindowDays: config.national.registeredWindowDays,
        priorityOf: service.priorityOf,
        staleSources: snapshot.staleSources,
      });
      if (options.format === 'csv') {
        // The national-latest feed's rows, from the domain's entries (a figure's freshness is the entry's).
        const rows = entries.map((e) =>
          rowOf(NATIONAL_LATEST, {
            force: e.force,
            figure: e.figure && { ...e.figure, freshness: e.stale ? 'STALE' : 'FRESH' },
          }),
        );
        process.stdout.write(toCsv(NATIONAL_LATEST, rows));
      } else {
        const summary = summarise(entries, asAt, windowDays);
        const { missing, reportingForces, ...counts } = summary.coverage;
        process.stdout.write(
          `${JSON.stringify(
            {
              asAt,
              windowDays,
              unaccounted: summary.unaccounted,
              byBasis: summary.byBasis,
              coverage: {
                ...counts,
                missing: missing.map((e) => ({ id: e.force.id, outcome: e.outcome })),
                reportingForces: reportingForces.map((f) => f.id),
              },
              publishedTotals: comparablePublishedTotals(snapshot.publishedTotals, asAt, windowDays),
              forces: entries.map((e) => ({ id: e.force.id, outcome: e.outcome, figure: e.figure })),
            },
            null,
            2,
          )}\n`,
        );
      }
      await service.close();
    });
}
