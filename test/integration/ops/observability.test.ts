/**
 * Observability: /metrics (requests by operation and role, source fetch latency and errors, breaker
 * state, Redis status, rate-limit refusals), request ids in responses and the audit log, and tracing.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import type { GatewayConfig } from '../../../src/config/load';
import { createTracing, tracingSettingsFromEnv } from '../../../src/tracing';
import type { RunningGateway } from '../../helpers/gateway';
import { gql, startGateway } from '../../helpers/gateway';
import { logSink } from '../../helpers/log-sink';
import type { Backend, World } from '../store/world';
import { NATIONAL, ROLE_HEADER, metricSum, roleFromHeader, singleServer, world } from '../store/world';

const NAMED = `query NationalNow { national { unaccounted { value } } }`;

async function scrape(gateway: RunningGateway): Promise<string> {
  return (await fetch(`${gateway.url}/metrics`, { headers: { [ROLE_HEADER]: 'operator' } })).text();
}

describe('metrics, request ids and the audit log (no Redis)', () => {
  let w: World;
  let gateway: RunningGateway;
  let failing: string;
  let healthy: string;
  const log = logSink();

  beforeAll(async () => {
    w = await world({
      redis: null,
      instances: 0,
      // The failing source's breaker opens at its first failure; the others never fail.
      gateway: { breaker: { consecutiveFailures: 1, halfOpenAfterMs: 600_000 } },
    });
    failing = w.config.sources[0]!.id;
    healthy = w.config.sources[1]!.id;
    w.sim.setFault(failing, { mode: 'http500' });
    gateway = await w.start({ logger: log.logger });
    for (const role of ['analyst', 'operator']) {
      for (let i = 0; i < 2; i += 1) {
        expect((await gql(gateway.graphqlUrl, NAMED, undefined, { [ROLE_HEADER]: role })).status).toBe(200);
      }
    }
    expect((await gql(gateway.graphqlUrl, NATIONAL, undefined, { [ROLE_HEADER]: 'analyst' })).status).toBe(
      200,
    );
  });
  afterAll(() => w.close());

  test('request count and latency by operation and role', async () => {
    const sum = (labels: string) =>
      metricSum(gateway, 'whereabouts_http_request_duration_seconds_count', labels);
    expect(await sum('route="/graphql",operation="NationalNow",role="analyst",status="200"')).toBe(2);
    expect(await sum('route="/graphql",operation="NationalNow",role="operator",status="200"')).toBe(2);
    expect(await sum('operation="anonymous",role="analyst"')).toBe(1);
    expect(
      await metricSum(gateway, 'whereabouts_http_request_duration_seconds_sum', 'role="analyst"'),
    ).toBeGreaterThan(0);
    const text = await scrape(gateway);
    expect(text).toMatch(/whereabouts_http_request_duration_seconds_bucket\{le="0\.005",route="\/graphql"/);
  });

  test('unbounded operation names do not become labels: a nonsense name is "other"', async () => {
    const res = await fetch(gateway.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [ROLE_HEADER]: 'analyst' },
      body: JSON.stringify({ query: '{ __typename }', operationName: 'not a name!' }),
    });
    expect(res.status).toBeGreaterThanOrEqual(200);
    const text = await scrape(gateway);
    expect(text).not.toContain('not a name');
  });

  test('source fetch latency and errors by source; breaker state and Redis status on scrape', async () => {
    expect(
      await metricSum(
        gateway,
        'whereabouts_source_fetch_duration_seconds_count',
        `source="${healthy}",result="ok"`,
      ),
    ).toBeGreaterThanOrEqual(1);
    expect(
      await metricSum(gateway, 'whereabouts_source_errors_total', `source="${failing}"`),
    ).toBeGreaterThanOrEqual(1);
    expect(await metricSum(gateway, 'whereabouts_source_errors_total', `source="${healthy}"`)).toBe(0);
    expect(
      await metricSum(gateway, 'whereabouts_source_fetch_duration_seconds_count', `source="${failing}"`),
    ).toBeGreaterThanOrEqual(1);
    expect(await metricSum(gateway, 'whereabouts_source_breaker_state', `source="${failing}"`)).toBe(2);
    expect(await metricSum(gateway, 'whereabouts_source_breaker_state', `source="${healthy}"`)).toBe(0);
    const text = await scrape(gateway);
    expect(text).toMatch(/^whereabouts_redis_ready 0$/m);
    expect(text).toMatch(/^whereabouts_redis_configured 0$/m);
    // Default process metrics are on.
    expect(text).toContain('whereabouts_process_cpu_user_seconds_total');
  });

  test('x-request-id: a well-formed one is echoed, a malformed one replaced, none generated', async () => {
    const given = await gql(gateway.graphqlUrl, NAMED, undefined, { 'x-request-id': 'abc-123.X_y' });
    expect(given.headers.get('x-request-id')).toBe('abc-123.X_y');
    const malformed = await gql(gateway.graphqlUrl, NAMED, undefined, { 'x-request-id': 'bad id <script>' });
    const replaced = malformed.headers.get('x-request-id')!;
    expect(replaced).toMatch(/^[0-9a-f-]{36}$/);
    const tooLong = await gql(gateway.graphqlUrl, NAMED, undefined, { 'x-request-id': 'a'.repeat(65) });
    expect(tooLong.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const none = await gql(gateway.graphqlUrl, NAMED);
    expect(none.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect((await fetch(`${gateway.url}/healthz`)).headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);

    const audits = log.events().filter((e) => e.event === 'audit');
    const echoed = audits.find((e) => e.requestId === 'abc-123.X_y');
    expect(echoed).toMatchObject({ operation: 'NationalNow', role: 'analyst', status: 200 });
    expect(audits.find((e) => e.requestId === replaced)).toBeDefined();
    // Never the Authorization header or the query.
    const all = JSON.stringify(log.events());
    expect(all).not.toContain('authorization');
    expect(all).not.toContain('unaccounted');
  });
});

describe('rate-limit refusals and Redis status with Redis', () => {
  let backend: Backend;
  let w: World;

  beforeAll(async () => {
    backend = await singleServer();
    w = await world({ redis: backend.target, instances: 1 });
  });
  afterAll(async () => {
    await w.close();
    await backend.stop();
  });

  test('whereabouts_redis_ready is 1 with Redis up', async () => {
    const text = await scrape(w.instances[0]!);
    expect(text).toMatch(/^whereabouts_redis_ready 1$/m);
    expect(text).toMatch(/^whereabouts_redis_configured 1$/m);
  });

  test('a refused request counts in whereabouts_rate_limited_total by bucket', async () => {
    const config: GatewayConfig = {
      ...w.config,
      access: {
        ...w.config.access,
        rateLimits: { ...w.config.access.rateLimits, analyst: { points: 2, durationSeconds: 60 } },
      },
    };
    const gateway = await startGateway(config, {
      now: w.clock.now,
      redis: null,
      env: {},
      resolveCaller: roleFromHeader,
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i += 1) statuses.push((await gql(gateway.graphqlUrl, NAMED)).status);
      expect(statuses).toEqual([200, 200, 429, 429]);
      expect(await metricSum(gateway, 'whereabouts_rate_limited_total', 'bucket="analyst"')).toBe(2);
      expect(
        await metricSum(gateway, 'whereabouts_http_request_duration_seconds_count', 'status="429"'),
      ).toBe(2);
    } finally {
      await gateway.close();
    }
  });
});

describe('tracing', () => {
  let w: World;
  beforeAll(async () => {
    w = await world({ redis: null, instances: 0 });
  });
  afterAll(() => w.close());

  test('on: a national query produces a source.fetch span per source, and a server span', async () => {
    const exporter = new InMemorySpanExporter();
    const gateway = await w.start({
      tracing: createTracing(tracingSettingsFromEnv({ WHEREABOUTS_TRACING: 'on' }), { exporter }),
    });
    expect((await gql(gateway.graphqlUrl, NATIONAL)).status).toBe(200);
    const spans = exporter.getFinishedSpans();
    const fetches = spans.filter((s) => s.name === 'source.fetch');
    expect(fetches.map((s) => s.attributes['whereabouts.source.id']).sort()).toEqual(
      w.config.sources.map((s) => s.id).sort(),
    );
    expect(fetches[0]!.attributes).toMatchObject({ 'whereabouts.source.result': 'ok' });
    expect(fetches[0]!.attributes['whereabouts.source.kind']).toEqual(expect.any(String));
    const server = spans.find((s) => s.name === 'POST /graphql');
    expect(server?.attributes).toMatchObject({
      'http.response.status_code': 200,
      'whereabouts.role': 'analyst',
    });
  });

  test('off: nothing is exported', async () => {
    const exporter = new InMemorySpanExporter();
    w.clock.advance(60_000);
    const gateway = await w.start({ tracing: createTracing(tracingSettingsFromEnv({}), { exporter }) });
    expect((await gql(gateway.graphqlUrl, NATIONAL)).status).toBe(200);
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });

  // The OTLP exporter loads node:http with a dynamic import(), which jest's VM refuses: this runs the
  // built module (`npm test` builds before jest) in a plain node child process.
  test('OTEL_TRACES_EXPORTER=otlp posts spans to OTEL_EXPORTER_OTLP_ENDPOINT/v1/traces', async () => {
    const built = path.join(__dirname, '..', '..', '..', 'dist', 'tracing.js');
    if (!fs.existsSync(built)) throw new Error(`${built} is missing: run \`npm run build\` first`);
    const posts: Array<{ url: string; method: string; bytes: number }> = [];
    const collector = http.createServer((req, res) => {
      let bytes = 0;
      req.on('data', (c: Buffer) => (bytes += c.length));
      req.on('end', () => {
        posts.push({ url: req.url ?? '', method: req.method ?? '', bytes });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const { port } = collector.address() as AddressInfo;
    try {
      const script = `
        const { createTracing, tracingSettingsFromEnv } = require(${JSON.stringify(built)});
        const tracing = createTracing(tracingSettingsFromEnv(process.env));
        if (!tracing.enabled) process.exit(3);
        tracing.tracer.startSpan('probe').end();
        tracing.forceFlush().then(() => tracing.shutdown()).then(() => process.exit(0), () => process.exit(4));`;
      const code = await new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, ['-e', script], {
          env: {
            PATH: process.env.PATH,
            OTEL_TRACES_EXPORTER: 'otlp',
            OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
          },
          stdio: 'ignore',
        });
        child.on('exit', resolve);
      });
      expect(code).toBe(0);
      expect(posts.length).toBeGreaterThanOrEqual(1);
      expect(posts[0]).toMatchObject({ url: '/v1/traces', method: 'POST' });
      expect(posts[0]!.bytes).toBeGreaterThan(0);
    } finally {
      collector.closeAllConnections();
      await new Promise<void>((resolve) => collector.close(() => resolve()));
    }
  });
});
