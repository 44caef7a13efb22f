import type { ApolloServerPlugin } from '@apollo/server';
import diagnosticsChannel from 'node:diagnostics_channel';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** Options of `drainHttpServerPlugin`. */
export interface DrainHttpServerOptions {
  /** The server whose connections Apollo's `stop()` drains. */
  readonly httpServer: Server;
  /**
   * How long requests in flight may take to finish once the drain begins; then every connection is ended,
   * and destroyed a moment later.
   * @default DEFAULT_STOP_GRACE_PERIOD_MS
   */
  readonly stopGracePeriodMs?: number;
}

/** Apollo's `ApolloServerPluginDrainHttpServer` default, kept. */
export const DEFAULT_STOP_GRACE_PERIOD_MS = 10_000;

/** Node's built-in HTTP channels (documented under diagnostics_channel, "Built-in channels: HTTP"). */
const REQUEST_START = 'http.server.request.start';
const RESPONSE_FINISH = 'http.server.response.finish';

/** What node publishes on `REQUEST_START` and `RESPONSE_FINISH`. */
interface HttpServerMessage {
  readonly socket: Socket;
  readonly server: Server;
}

/**
 * Drains `httpServer` when Apollo stops, as `ApolloServerPluginDrainHttpServer` did: stop accepting
 * connections, end idle ones at once, end each busy one as soon as its last response in flight has
 * finished, and after the grace period end every connection and destroy it on the next turn.
 *
 * Why not Apollo's plugin (issue 22, target 1): its `Stopper` adds a `res.once('finish')` per request. The
 * response already has node's own 'finish' listener, so every request built a listeners array (and
 * `emit` a copy of it) at the array-literal sites of node's `events` module. When a burst at start-up makes
 * V8 pretenure those sites (allocation-site pretenuring, `--trace-pretenuring`), each request's arrays are
 * allocated in old space, and, dead but uncollected until the next mark-compact, they keep the request's
 * young objects (the once-wrapper's closure holds `req` and `res`) alive through every scavenge: 12-13 %
 * of the new space survived each scavenge and 99.5 % of it was promoted, scavenges took 12-45 ms with the
 * V8 helper threads, and the old space grew about 4 MB per scavenge under the warm feed. Counting requests
 * per connection from node's HTTP diagnostics channels adds no listener to the response, so nothing of a
 * request is reachable from an allocation site V8 may pretenure.
 */
export function drainHttpServerPlugin(options: DrainHttpServerOptions): ApolloServerPlugin {
  const { httpServer } = options;
  const stopGracePeriodMs = options.stopGracePeriodMs ?? DEFAULT_STOP_GRACE_PERIOD_MS;
  /** Requests in flight per open connection. */
  const inFlight = new Map<Socket, number>();
  let stopped = false;

  httpServer.on('connection', (socket: Socket) => {
    inFlight.set(socket, 0);
    socket.once('close', () => inFlight.delete(socket));
  });
  const onRequestStart = (message: unknown): void => {
    const { server, socket } = message as HttpServerMessage;
    if (server !== httpServer) return;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
  };
  const onResponseFinish = (message: unknown): void => {
    const { server, socket } = message as HttpServerMessage;
    if (server !== httpServer) return;
    const pending = (inFlight.get(socket) ?? 0) - 1;
    inFlight.set(socket, pending);
    // On the next tick, as Apollo's 'finish' listener did: after node's own finish handling has run.
    if (stopped && pending === 0) process.nextTick(() => socket.end());
  };
  // Subscribed while the server listens (the channels are process-wide), so a closed server is not kept.
  let subscribed = false;
  const subscribe = (): void => {
    if (subscribed) return;
    subscribed = true;
    diagnosticsChannel.subscribe(REQUEST_START, onRequestStart);
    diagnosticsChannel.subscribe(RESPONSE_FINISH, onResponseFinish);
  };
  httpServer.on('listening', subscribe);
  httpServer.on('close', () => {
    subscribed = false;
    diagnosticsChannel.unsubscribe(REQUEST_START, onRequestStart);
    diagnosticsChannel.unsubscribe(RESPONSE_FINISH, onResponseFinish);
  });
  if (httpServer.listening) subscribe();

  async function drain(): Promise<void> {
    // One turn first, as Apollo's Stopper: a request whose headers have just arrived is counted.
    await new Promise((resolve) => setImmediate(resolve));
    stopped = true;
    const closed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
    const hardStop = setTimeout(() => {
      for (const socket of inFlight.keys()) socket.end();
      setImmediate(() => {
        for (const socket of inFlight.keys()) socket.destroy();
      });
    }, stopGracePeriodMs);
    for (const [socket, requests] of inFlight) if (requests === 0) socket.end();
    await closed;
    clearTimeout(hardStop);
  }

  return {
    async serverWillStart() {
      return { drainServer: drain };
    },
  };
}
