import type { Command } from 'commander';
import { serve } from '../../index';

/** `whereabouts serve`: runs the gateway (as `npm start` does). */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description(
      'run the gateway (config from WHEREABOUTS_CONFIG, else the embedded default of published figures)',
    )
    .option('-p, --port <port>', 'port to listen on (default: env PORT or 4000)')
    .option('-c, --config <file>', 'sources config YAML (default: env WHEREABOUTS_CONFIG)')
    .action(async (options: { port?: string; config?: string }) => {
      const env = { ...process.env };
      if (options.port !== undefined) env.PORT = options.port;
      if (options.config !== undefined) env.WHEREABOUTS_CONFIG = options.config;
      await serve(env, { configNamedBy: options.config !== undefined ? '--config' : undefined });
    });
}
