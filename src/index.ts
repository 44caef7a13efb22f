#!/usr/bin/env node
import './runtime-guard'; // first: stops an unsupported Node before any dependency loads
import 'reflect-metadata';
import type http from 'node:http';
import { ApiKeyFileError, ApiKeyStore, ensureDefaultKeys } from './access/api-keys';
import { createApp } from './app';
import type { Environment } from './config/environment';
import { EnvironmentError, readEnvironment } from './config/environment';
import { createHttpServer } from './http/server';
import { ConfigError, loadConfig } from './config/load';
import { createLogger } from './logger';

/**
 * Process entry: load config, build the app, listen on `PORT` (default 4000), drain on SIGTERM/SIGINT
 * within `WHEREABOUTS_SHUTDOWN_DEADLINE_MS`.
 */
export async function serve(
  env: NodeJS.ProcessEnv = process.env,
  options: { configNamedBy?: string } = {},
): Promise<http.Server> {
  const logger = createLogger(env);
  let config;
  let environment: Environment;
  try {
    config = loadConfig(env, options.configNamedBy);
    // The environment is read here, once; every part is given what it needs from it.
    environment = readEnvironment(env);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof EnvironmentError) {
      process.stderr.write(`whereabouts: ${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const { port, shutdownDeadlineMs } = environment;
  // API keys: stored only as hashes. At first start one key per role is created and printed, once.
  const keysFile = environment.keysFile;
  let apiKeys: ApiKeyStore;
  try {
    const { created } = ensureDefaultKeys(keysFile);
    if (created.length > 0) {
      process.stdout.write(
        `Created ${keysFile} with one API key per role. They are shown this once; store them now:\n`,
      );
      for (const key of created) process.stdout.write(`  ${key.role.padEnd(10)} ${key.token}\n`);
    }
    apiKeys = ApiKeyStore.load(keysFile, { onReloadError: (e) => logger.error(e.message) });
  } catch (error) {
    if (error instanceof ApiKeyFileError) {
      process.stderr.write(`whereabouts: ${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
  const server = createHttpServer(environment.serverTimeouts);
  const app = await createApp(config, { logger, httpServer: server, apiKeys, environment });
  server.on('request', app.handler);
  const host = environment.host;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  logger.info(
    { port: actualPort, config: config.origin, sources: config.sources.length, forces: config.registry.size },
    'whereabouts listening',
  );
  logger.flush(); // the structured line first, then the banner (both go to stdout)
  process.stdout.write(
    `Whereabouts gateway on http://localhost:${actualPort}/graphql (${config.origin}: ${config.sources.length} sources, ${config.registry.size} forces)\n`,
  );

  // Fetch every source once now, so the first query does not wait; WHEREABOUTS_WARM_UP=off keeps the
  // process cold (benchmarks of cold fan-out).
  if (environment.warmUp) {
    void app.service.warmUp().catch((error) => logger.warn({ err: error }, 'warm-up failed'));
  }

  // SIGTERM/SIGINT: /readyz turns 503 at once, graphql-ws sockets close, the HTTP server stops accepting
  // and in-flight requests finish, then Redis closes and the process exits 0. The deadline or a second
  // signal exits 1 without waiting.
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal while draining: exiting now');
      process.exit(1);
    }
    stopping = true;
    app.beginDrain();
    logger.info({ signal, deadlineMs: shutdownDeadlineMs }, 'draining');
    setTimeout(() => {
      logger.error(
        { deadlineMs: shutdownDeadlineMs },
        'drain deadline passed: exiting with requests in flight',
      );
      process.exit(1);
    }, shutdownDeadlineMs);
    app.stop().then(
      () => {
        logger.info('drained');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  return server;
}

if (require.main === module) {
  serve().catch((error) => {
    process.stderr.write(`whereabouts: failed to start: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
