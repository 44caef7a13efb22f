import type { IncomingMessage, ServerResponse } from 'node:http';
import { FaultError } from './faults';
import type { Fault, FaultInput } from './faults';
import { readJson, sendError, sendJson, sendNoContent } from './http-io';
import type { FeedDefinition } from './layout';

/** What the control endpoints need from the simulator. */
export interface ControlTarget {
  readonly feeds: readonly FeedDefinition[];
  readonly driftIntervalMs: number;
  readonly baseUrl: string | null;
  now(): number;
  advance(ms: number): void;
  setFault(feedId: string, fault: FaultInput | null): Fault | null;
  faultOf(feedId: string): Fault | null;
  clearFaults(): void;
  requestCount(feedId?: string): number;
  resetCounts(): void;
}

/** The control API's routes, for the index page and 404s. */
export const CONTROL_ROUTES = [
  'GET /_control/feeds',
  'POST /_control/faults/:feedId',
  'DELETE /_control/faults/:feedId',
  'DELETE /_control/faults',
  'POST /_control/advance {"ms": n}',
  'POST /_control/reset-counts',
] as const;

function methodNotAllowed(req: IncomingMessage, res: ServerResponse, allow: string): void {
  sendError(req, res, 405, `method ${req.method ?? ''} not allowed here; allowed: ${allow}`, { allow });
}

/** Lists the feeds with their request counts and faults (what `GET /_control/feeds` returns). */
export function describeFeeds(sim: ControlTarget): unknown {
  const asAt = new Date(sim.now()).toISOString().slice(0, 10);
  return {
    simulated: true,
    now: new Date(sim.now()).toISOString(),
    asAt,
    driftIntervalMs: sim.driftIntervalMs,
    totalRequests: sim.requestCount(),
    feeds: sim.feeds.map((f) => ({
      id: f.id,
      kind: f.kind,
      shape: f.shape,
      title: f.title,
      headline: f.headline,
      forces: f.forces,
      path: f.path,
      url: sim.baseUrl ? `${sim.baseUrl}${f.path}` : null,
      requests: sim.requestCount(f.id),
      fault: sim.faultOf(f.id),
    })),
  };
}

/**
 * Handles `/_control/*`: faults, the clock and request counts over HTTP, for the demo and for anything
 * driving the simulator from another process. Returns false when the path is not a control route.
 */
export async function handleControl(
  sim: ControlTarget,
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
): Promise<boolean> {
  const method = req.method ?? 'GET';
  if (pathname === '/_control/feeds') {
    if (method !== 'GET' && method !== 'HEAD') methodNotAllowed(req, res, 'GET, HEAD');
    else sendJson(req, res, 200, describeFeeds(sim));
    return true;
  }
  if (pathname === '/_control/faults') {
    if (method !== 'DELETE') methodNotAllowed(req, res, 'DELETE');
    else {
      sim.clearFaults();
      sendNoContent(res);
    }
    return true;
  }
  const fault = /^\/_control\/faults\/([^/]+)$/.exec(pathname);
  if (fault) {
    const feedId = decodeURIComponent(fault[1]!);
    if (!sim.feeds.some((f) => f.id === feedId)) {
      sendError(req, res, 404, `no simulated feed "${feedId}"; see GET /_control/feeds`);
      return true;
    }
    if (method === 'DELETE') {
      sim.setFault(feedId, null);
      sendNoContent(res);
    } else if (method === 'POST' || method === 'PUT') {
      try {
        const set = sim.setFault(feedId, (await readJson(req)) as FaultInput);
        sendJson(req, res, 200, { feed: feedId, fault: set });
      } catch (error) {
        if (!(error instanceof FaultError)) throw error;
        sendError(req, res, 400, error.message);
      }
    } else methodNotAllowed(req, res, 'POST, PUT, DELETE');
    return true;
  }
  if (pathname === '/_control/advance') {
    if (method !== 'POST') methodNotAllowed(req, res, 'POST');
    else {
      const body = (await readJson(req)) as { ms?: unknown };
      if (typeof body.ms !== 'number' || !Number.isFinite(body.ms) || body.ms < 0) {
        sendError(req, res, 400, 'body must be {"ms": n} with n a number of milliseconds, 0 or more');
      } else {
        sim.advance(body.ms);
        sendJson(req, res, 200, { now: new Date(sim.now()).toISOString() });
      }
    }
    return true;
  }
  if (pathname === '/_control/reset-counts') {
    if (method !== 'POST') methodNotAllowed(req, res, 'POST');
    else {
      sim.resetCounts();
      sendNoContent(res);
    }
    return true;
  }
  return false;
}
