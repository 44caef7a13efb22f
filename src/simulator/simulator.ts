import http from 'node:http';
import type { Socket } from 'node:net';
import type { Basis } from '../domain/figure';
import type { ForceRegistry } from '../domain/force-registry';
import { loadDefaultRegistry } from '../domain/force-registry';
import { CONTROL_ROUTES, handleControl } from './control';
import type { ActiveFault, Fault, FaultInput } from './faults';
import { FaultError, parseFault } from './faults';
import { FigureModel } from './figures';
import { formatOf } from './formats';
import type { GatewayConfigDocument, GatewayConfigOptions } from './gateway-config';
import { gatewayConfigFor, writeGatewayConfigFile } from './gateway-config';
import { BadRequestError, readJson, send, sendError, sendJson } from './http-io';
import type { FeedDefinition } from './layout';
import { layoutCountFeeds, layoutFeeds } from './layout';
import { publishedValues } from './published-values';
import type { RenderedBody } from './render';
import { renderFeed } from './render';

/** Options of `createSimulator`. */
export interface SimulatorOptions {
  /** Seed of every simulated figure. @default 'whereabouts' */
  readonly seed?: string | number;
  /** Random delay before each feed response, [min, max] ms, for benchmarks. @default [0, 0] */
  readonly latencyMs?: readonly [number, number];
  /** Figures drift by a few units once per this many ms of simulator time. @default 60000 */
  readonly driftIntervalMs?: number;
  /** The simulator's clock in epoch ms (tests inject one). @default Date.now */
  readonly now?: () => number;
  /** Forces to simulate. @default the 45 UK forces of the default registry */
  readonly registry?: ForceRegistry;
  /**
   * Scale mode: serve this many simple single-force `counts` feeds, spread round-robin over the forces
   * (see `layoutCountFeeds`), instead of the default mixed layout of 41 feeds for 45 forces. All feeds
   * share one HTTP server, routed by path, so thousands are practical. @default the mixed layout
   */
  readonly sources?: number;
  /**
   * Scale mode only: every other feed serves its force's breakdowns instead of its count (see
   * `layoutCountFeeds`), for benchmarks of the national breakdown table. @default false
   */
  readonly breakdowns?: boolean;
}

/** One feed request as the simulator served it (for benchmarks comparing the gateway with its sources). */
export interface FeedRequest {
  readonly feedId: string;
  /** `performance.now()` when the request arrived. */
  readonly receivedAt: number;
  /** The latency drawn from `latencyMs` for this request. */
  readonly delayMs: number;
  /** From arrival to the end of the response, or null while unanswered (a hang, or still in flight). */
  durationMs: number | null;
}

/** What one force's headline feed is serving now (for tests to compare the gateway's answers with). */
export interface ExpectedFigure {
  readonly forceId: string;
  readonly feedId: string;
  readonly unaccounted: number;
  readonly basis: Basis;
  /** Null when the force's feed serves records, which carry no registered count. */
  readonly registered: number | null;
}

/** What all headline feeds serve now. */
export interface Expected {
  /** The simulator's current day (UTC), the `asAt` of every figure. */
  readonly asAt: string;
  /** Sum of every force's headline. */
  readonly unaccounted: number;
  readonly forces: readonly ExpectedFigure[];
}

/** Where a listening simulator can be reached. */
export interface SimulatorAddress {
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly baseUrl: string;
}

/** Loopback force feeds with drifting figures and faults on demand. */
export interface Simulator {
  /** Every feed, in layout order (regional, single-force, breakdowns, totals). */
  readonly feeds: readonly FeedDefinition[];
  readonly driftIntervalMs: number;
  /** The listening base URL, or null before `listen` / after `close`. */
  readonly baseUrl: string | null;
  /** Starts serving on 127.0.0.1 (never another interface). Port 0 picks a free port. */
  listen(port?: number): Promise<SimulatorAddress>;
  /** Stops serving, ending every connection, hung ones included, and every pending delay. */
  close(): Promise<void>;
  /** Sets (or with null clears) a feed's fault; returns it with defaults applied. Throws `FaultError`. */
  setFault(feedId: string, fault: FaultInput | null): Fault | null;
  faultOf(feedId: string): Fault | null;
  clearFaults(): void;
  /** Requests received for one feed, or for all feeds (control requests are not counted). */
  requestCount(feedId?: string): number;
  /** Requests received per feed id. */
  requestCounts(): Record<string, number>;
  /** Every feed request since the last `resetCounts`, in arrival order (benchmarks: actual latencies). */
  requestLog(): readonly FeedRequest[];
  /** Most feed requests in flight at once since the last `resetCounts` (the gateway's fan-out width). */
  maxInFlight(): number;
  /** Clears the request counts, the request log and the in-flight maximum. */
  resetCounts(): void;
  /** The simulator's time in epoch ms: the injected clock plus everything `advance` added. */
  now(): number;
  /** Moves the simulator's clock forward (figures drift once per `driftIntervalMs`). */
  advance(ms: number): void;
  /** What the headline feeds serve now. */
  expected(): Expected;
  /** A feed's payload now, as its data faults shape it (transport faults do not apply). */
  render(feedId: string): RenderedBody;
  /** The gateway config for every feed at `baseUrl` (default: where the simulator listens). */
  gatewayConfig(baseUrl?: string, options?: GatewayConfigOptions): GatewayConfigDocument;
  /** Writes that config as YAML, headed by a comment saying the data is simulated. */
  writeGatewayConfig(file: string, baseUrl?: string, options?: GatewayConfigOptions): void;
}

/** Default seed: any fixed string; the figures it gives are as made up as any other seed's. */
export const DEFAULT_SEED = 'whereabouts';
/** Default drift interval: one minute, so that a demo visibly changes. */
export const DEFAULT_DRIFT_INTERVAL_MS = 60_000;

function validateOptions(options: SimulatorOptions): {
  latency: readonly [number, number];
  driftIntervalMs: number;
} {
  const latency = options.latencyMs ?? [0, 0];
  const [min, max] = latency;
  if (!Number.isFinite(min) || !Number.isFinite(max) || min < 0 || max < min) {
    throw new Error(`latencyMs must be [min, max] with 0 <= min <= max; got [${min}, ${max}]`);
  }
  const driftIntervalMs = options.driftIntervalMs ?? DEFAULT_DRIFT_INTERVAL_MS;
  if (!Number.isFinite(driftIntervalMs) || driftIntervalMs <= 0) {
    throw new Error(`driftIntervalMs must be a positive number of milliseconds; got ${driftIntervalMs}`);
  }
  return { latency, driftIntervalMs };
}

/**
 * Creates a simulator of every UK force's feeds (see `layoutFeeds` for which force gets which kind and
 * shape). Figures are deterministic from (seed, force, time bucket) and labelled simulated everywhere.
 */
export function createSimulator(options: SimulatorOptions = {}): Simulator {
  const { latency, driftIntervalMs } = validateOptions(options);
  const registry = options.registry ?? loadDefaultRegistry();
  const forceIds = registry.all.map((f) => f.id);
  const populations = new Map(
    registry.all.flatMap((f) => (f.population ? [[f.id, f.population.value] as const] : [])),
  );
  const model = new FigureModel(
    String(options.seed ?? DEFAULT_SEED),
    forceIds,
    publishedValues(),
    populations,
  );
  const feeds = Object.freeze(
    options.sources === undefined
      ? layoutFeeds(registry.all)
      : layoutCountFeeds(registry.all, options.sources, { breakdowns: options.breakdowns ?? false }),
  );
  const byId = new Map(feeds.map((f) => [f.id, f]));
  const byPath = new Map(feeds.map((f) => [f.path, f]));
  const clock = options.now ?? Date.now;
  let offsetMs = 0;
  const faults = new Map<string, ActiveFault>();
  const counts = new Map<string, number>();
  let log: FeedRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;

  let server: http.Server | null = null;
  let baseUrl: string | null = null;
  let closing = false;
  const sockets = new Set<Socket>();
  // Pending delays (latency, slow faults): close() ends them so that nothing outlives the simulator.
  const pendingDelays = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();

  const feedOrThrow = (feedId: string): FeedDefinition => {
    const feed = byId.get(feedId);
    if (!feed)
      throw new FaultError(`no simulated feed "${feedId}"; feeds: ${feeds.map((f) => f.id).join(', ')}`);
    return feed;
  };
  const now = () => clock() + offsetMs;
  const bucket = () => Math.floor(now() / driftIntervalMs);
  const today = () => new Date(now()).toISOString().slice(0, 10);
  const renderNow = (feed: FeedDefinition): RenderedBody =>
    renderFeed(
      feed,
      { model, bucket: bucket(), asAt: today(), nowIso: new Date(now()).toISOString() },
      faults.get(feed.id)?.fault ?? null,
    );

  const delay = (ms: number) =>
    new Promise<void>((resolve) => {
      if (ms <= 0 || closing) return resolve();
      const entry = {
        resolve,
        timer: setTimeout(() => {
          pendingDelays.delete(entry);
          resolve();
        }, ms),
      };
      pendingDelays.add(entry);
    });

  async function serveFeed(
    feed: FeedDefinition,
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ): Promise<void> {
    counts.set(feed.id, (counts.get(feed.id) ?? 0) + 1);
    const [min, max] = latency;
    const entry: FeedRequest = {
      feedId: feed.id,
      receivedAt: performance.now(),
      delayMs: min + Math.random() * (max - min),
      durationMs: null,
    };
    log.push(entry);
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      inFlight -= 1;
      if (res.writableFinished) entry.durationMs = performance.now() - entry.receivedAt;
    };
    res.once('finish', end);
    res.once('close', end);
    const method = req.method ?? 'GET';
    if (feed.kind === 'graphql') {
      if (method !== 'POST')
        return sendError(req, res, 405, 'GraphQL requests must be POST', { allow: 'POST' });
      const body = (await readJson(req)) as { query?: unknown };
      if (
        typeof body !== 'object' ||
        body === null ||
        typeof body.query !== 'string' ||
        body.query.trim() === ''
      ) {
        return sendJson(req, res, 400, {
          errors: [{ message: 'the request body must be JSON with a "query" string' }],
        });
      }
    } else if (method !== 'GET' && method !== 'HEAD') {
      return sendError(req, res, 405, `method ${method} not allowed; allowed: GET, HEAD`, {
        allow: 'GET, HEAD',
      });
    }

    await delay(entry.delayMs);
    const active = faults.get(feed.id);
    const fault = active?.fault ?? null;
    if (active) active.served += 1;
    if (fault?.mode === 'hang') return; // the socket stays open until close()
    if (fault?.mode === 'slow') await delay(fault.delayMs);
    if (closing) return;
    if (fault?.mode === 'http500')
      return sendError(req, res, fault.status, `SIMULATED: upstream error ${fault.status}`);
    if (fault?.mode === 'http429') {
      return sendError(req, res, 429, 'SIMULATED: too many requests', {
        'retry-after': String(fault.retryAfterSeconds),
      });
    }
    if (fault?.mode === 'flaky' && active!.served <= fault.failures) {
      return sendError(
        req,
        res,
        500,
        `SIMULATED: flaky upstream (failure ${active!.served} of ${fault.failures})`,
      );
    }
    const rendered = renderNow(feed);
    send(req, res, rendered.status, rendered.contentType, rendered.body);
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const { pathname } = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (pathname.startsWith('/_control/') && (await handleControl(sim, req, res, pathname))) return;
    const feed = byPath.get(pathname);
    if (feed) return serveFeed(feed, req, res);
    if (pathname === '/') {
      return sendJson(req, res, 200, {
        simulated: true,
        description:
          'SIMULATED force feeds for Whereabouts demos, tests and benchmarks: every figure is made up.',
        feeds: feeds.map((f) => f.path),
        control: CONTROL_ROUTES,
      });
    }
    sendError(req, res, 404, `no such path; see GET / or GET /_control/feeds`);
  }

  const sim: Simulator = {
    feeds,
    driftIntervalMs,
    get baseUrl() {
      return baseUrl;
    },

    listen(port = 0) {
      if (server) return Promise.reject(new Error('the simulator is already listening'));
      closing = false;
      const s = http.createServer((req, res) => {
        handle(req, res).catch((error: unknown) => {
          if (error instanceof BadRequestError) sendError(req, res, error.status, error.message);
          else sendError(req, res, 500, 'SIMULATED: simulator internal error');
        });
      });
      s.on('connection', (socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      server = s;
      return new Promise((resolve, reject) => {
        s.once('error', (error) => {
          server = null;
          reject(error);
        });
        s.listen(port, '127.0.0.1', () => {
          const address = s.address();
          const actual = typeof address === 'object' && address ? address.port : port;
          baseUrl = `http://127.0.0.1:${actual}`;
          resolve({ port: actual, baseUrl });
        });
      });
    },

    async close() {
      const s = server;
      if (!s) return;
      closing = true;
      for (const entry of pendingDelays) {
        clearTimeout(entry.timer);
        entry.resolve();
      }
      pendingDelays.clear();
      const closed = new Promise<void>((resolve) => s.close(() => resolve()));
      // Hung requests and keep-alive connections would otherwise hold close() open forever.
      s.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      await closed;
      server = null;
      baseUrl = null;
    },

    setFault(feedId, input) {
      const feed = feedOrThrow(feedId);
      if (input === null) {
        faults.delete(feedId);
        return null;
      }
      const fault = parseFault(input);
      if (fault.mode === 'drift' && fault.field !== undefined && !(fault.field in formatOf(feed).mapping)) {
        throw new FaultError(
          `invalid fault: field "${fault.field}" is not a field of feed "${feedId}"; accepted: ${Object.keys(formatOf(feed).mapping).join(', ')}`,
        );
      }
      faults.set(feedId, { fault, served: 0 });
      return fault;
    },
    faultOf: (feedId) => faults.get(feedOrThrow(feedId).id)?.fault ?? null,
    clearFaults: () => faults.clear(),

    requestCount(feedId) {
      if (feedId !== undefined) return counts.get(feedOrThrow(feedId).id) ?? 0;
      let total = 0;
      for (const n of counts.values()) total += n;
      return total;
    },
    requestCounts: () => Object.fromEntries(feeds.map((f) => [f.id, counts.get(f.id) ?? 0])),
    requestLog: () => log,
    maxInFlight: () => maxInFlight,
    resetCounts: () => {
      counts.clear();
      log = [];
      maxInFlight = inFlight;
    },

    now,
    advance(ms) {
      if (!Number.isFinite(ms) || ms < 0)
        throw new Error(`advance takes a number of milliseconds, 0 or more; got ${ms}`);
      offsetMs += ms;
    },

    expected() {
      const b = bucket();
      // In scale mode several feeds serve one force's (identical) headline: count each force once.
      const seen = new Set<string>();
      const forces: ExpectedFigure[] = feeds
        .filter((f) => f.headline)
        .flatMap((f) =>
          f.forces.map((id) => ({
            forceId: id,
            feedId: f.id,
            unaccounted: model.unaccounted(id, b),
            basis: f.shape === 'records' ? ('WHEREABOUTS_UNKNOWN' as const) : model.basis(id),
            registered: f.shape === 'counts' ? model.registered(id) : null,
          })),
        )
        .filter((e) => {
          if (seen.has(e.forceId)) return false;
          seen.add(e.forceId);
          return true;
        })
        .sort((a, c) => a.forceId.localeCompare(c.forceId));
      return { asAt: today(), unaccounted: forces.reduce((sum, f) => sum + f.unaccounted, 0), forces };
    },
    render: (feedId) => renderNow(feedOrThrow(feedId)),

    gatewayConfig(url, configOptions) {
      const at = url ?? baseUrl;
      if (!at) throw new Error('gatewayConfig needs a baseUrl when the simulator is not listening');
      return gatewayConfigFor(feeds, at, configOptions);
    },
    writeGatewayConfig(file, url, configOptions) {
      const at = url ?? baseUrl;
      if (!at) throw new Error('writeGatewayConfig needs a baseUrl when the simulator is not listening');
      writeGatewayConfigFile(file, gatewayConfigFor(feeds, at, configOptions), at);
    },
  };
  return sim;
}
