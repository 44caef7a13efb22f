import type http from 'node:http';
import { createHttpServer } from '../../src/http/server';
import type { AddressInfo } from 'node:net';
import type { App, AppDeps } from '../../src/app';
import { createApp } from '../../src/app';
import type { GatewayConfig } from '../../src/config/load';
import { embeddedDefault } from '../../src/config/load';
import { openAccess } from './open-access';
import { createLogger } from '../../src/logger';
import { SqliteArchive } from '../../src/archive/sqlite-archive';

/** A gateway listening on a loopback port for one test file. */
export interface RunningGateway {
  readonly url: string;
  readonly graphqlUrl: string;
  readonly app: App;
  close(): Promise<void>;
}

/**
 * Starts the app on 127.0.0.1, port 0 (the embedded default unless a config is given; open access unless keys
 * are given), on `server` (by default the gateway's own, `createHttpServer`).
 */
export async function startGateway(
  config: GatewayConfig = embeddedDefault(),
  deps: AppDeps = {},
  server: http.Server = createHttpServer(),
): Promise<RunningGateway> {
  // Open access (every caller an analyst) unless the test brings its own keys or resolver.
  const access = deps.apiKeys || deps.resolveCaller ? {} : { resolveCaller: openAccess };
  // An archive of its own in memory unless the test brings one (or null) or an environment that says
  // where it is kept: never the working directory's.
  const archive = deps.archive === undefined && !deps.environment ? new SqliteArchive(':memory:') : null;
  const app = await createApp(config, {
    logger: createLogger({ LOG_LEVEL: 'silent' }),
    httpServer: server,
    ...access,
    ...(archive ? { archive } : {}),
    ...deps,
  });
  server.on('request', app.handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    graphqlUrl: `${url}/graphql`,
    app,
    close: async () => {
      await app.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await archive?.close();
    },
  };
}

/** A GraphQL response as the tests read it. */
export interface GqlResponse<T = Record<string, unknown>> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: {
    data?: T | null;
    errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
  };
  readonly text: string;
}

/** POSTs a GraphQL query as JSON. */
export async function gql<T = Record<string, any>>(
  url: string,
  query: string,
  variables?: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<GqlResponse<T>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      ...headers,
    },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: JSON.parse(text), text };
}

/** Sends a raw request body to the GraphQL endpoint. */
export async function raw(
  url: string,
  init: { method?: string; body?: string; headers?: Record<string, string> },
): Promise<{ status: number; headers: Headers; text: string; json: any }> {
  const res = await fetch(url, { method: init.method ?? 'POST', headers: init.headers, body: init.body });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON: the test asserts on text
  }
  return { status: res.status, headers: res.headers, text, json };
}
