import type { Caller } from '../access/caller';
import type { FigureService, RequestLoaders } from '../store/figure-service';

/** Everything a resolver may use. Built per request; nothing in it is shared between requests but `service`. */
export interface RequestContext {
  readonly caller: Caller;
  readonly service: FigureService;
  readonly loaders: RequestLoaders;
  /** The request's clock, read once, so that every figure in a response ages against the same instant. */
  readonly nowMs: number;
}

/** Builds the context of one request. */
export function createRequestContext(service: FigureService, caller: Caller): RequestContext {
  return { caller, service, loaders: service.createLoaders(), nowMs: service.now() };
}
