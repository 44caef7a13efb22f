import type { AuditRecord } from '../access/audit';
import type { Caller } from '../access/caller';
import { disclosureThreshold } from '../access/policy';
import type { FigureService, Generation, RequestLoaders } from '../store/figure-service';

/** Everything a resolver may use. Built per request; nothing in it is shared between requests but `service`. */
export interface RequestContext {
  readonly caller: Caller;
  readonly service: FigureService;
  readonly loaders: RequestLoaders;
  /** The request's clock, read once, so that every figure in a response ages against the same instant. */
  readonly nowMs: number;
  /** Disclosure control threshold for this caller (the access policy's): null when it sees every cell. */
  readonly disclosureK: number | null;
  /** The request's audit record, when there is one. */
  readonly audit?: AuditRecord;
  /** The request's id (`x-request-id`), when it came over HTTP: logged with any internal error. */
  readonly requestId?: string;
}

/** Builds the context of one request. */
export function createRequestContext(
  service: FigureService,
  caller: Caller,
  options: {
    disclosureK?: number;
    audit?: AuditRecord;
    requestId?: string;
    /** The snapshot generation the request is to use, when the caller already has it (`reusable`). */
    generation?: Generation;
  } = {},
): RequestContext {
  return {
    caller,
    service,
    loaders: service.createLoaders(options.generation),
    nowMs: service.now(),
    disclosureK: disclosureThreshold(caller, options.disclosureK),
    audit: options.audit,
    requestId: options.requestId,
  };
}
