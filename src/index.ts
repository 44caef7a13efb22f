#!/usr/bin/env node
import './runtime-guard'; // first: stops an unsupported Node before any dependency loads
import 'reflect-metadata';
import type http from 'node:http';
import { ApiKeyFileError, ApiKeyStore, ensureDefaultKeys, keysFilePath } from './access/api-keys';
import { createApp } from './app';
import type { ServerTimeouts } from './http/server';
import { ServerTimeoutsError, createHttpServer, serverTimeoutsFromEnv } from './http/server';
import { ConfigError, loadConfig } from './config/load';
import { createLogger } from './logger';

/** Default port of the gateway. */
export const DEFAULT_PORT = 4000;

/** Default interface: loopback only. Containers set HOST=0.0.0.0. */
export const DEFAULT_HOST = '127.0.0.1';

/** How long SIGTERM waits for in-flight requests and subscriptions before exiting 1 (ms). */
export const DEFAULT_SHUTDOWN_DEADLINE_MS = 10_000;

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
  try {
    config = loadConfig(env, options.configNamedBy);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`whereabouts: ${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const port = env.PORT === undefined ? DEFAULT_PORT : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`whereabouts: PORT must be a whole number from 0 to 65535; got "${env.PORT}"\n`);
    process.exit(78);
  }
  const shutdownDeadlineMs =
    env.WHEREABOUTS_SHUTDOWN_DEADLINE_MS === undefined || env.WHEREABOUTS_SHUTDOWN_DEADLINE_MS === ''
      ? DEFAULT_SHUTDOWN_DEADLINE_MS
      : Number(env.WHEREABOUTS_SHUTDOWN_DEADLINE_MS);
  if (!Number.isInteger(shutdownDeadlineMs) || shutdownDeadlineMs < 1) {
    process.stderr.write(
      `whereabouts: WHEREABOUTS_SHUTDOWN_DEADLINE_MS must be a whole number of milliseconds above 0; got "${env.WHEREABOUTS_SHUTDOWN_DEADLINE_MS}"\n`,
    );
    process.exit(78);
  }
  // API keys: stored only as hashes. At first start one key per role is created and printed, once.
  const keysFile = keysFilePath(env);
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
  let timeouts: ServerTimeouts;
  try {
    timeouts = serverTimeoutsFromEnv(env);
  } catch (error) {
    if (!(error instanceof ServerTimeoutsError)) throw error;
    process.stderr.write(`whereabouts: ${error.message}\n`);
    process.exit(78);
  }
  const server = createHttpServer(timeouts);
  const app = await createApp(config, { logger, httpServer: server, apiKeys });
  server.on('request', app.handler);
  const host = env.HOST || DEFAULT_HOST;
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
  if (env.WHEREABOUTS_WARM_UP !== 'off') {
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
