import type { IncomingMessage } from 'node:http';
import type { Caller } from '../access/caller';
import type { LimitDecision } from '../access/rate-limit';

/**
 * What the hot path established about a request before it handed the request on to the full path: the
 * caller, and the rate-limit decision, so that a request is authenticated once and counted once.
 */
export interface Admission {
  readonly caller: Caller;
  readonly decision: LimitDecision;
}

const ADMISSION = Symbol('whereabouts.admission');

type Admitted = IncomingMessage & { [ADMISSION]?: Admission };

/** Records the admission of a request (by the hot path). */
export function admit(req: IncomingMessage, admission: Admission): void {
  (req as Admitted)[ADMISSION] = admission;
}

/** The admission of a request, if the hot path already made it. */
export function admissionOf(req: IncomingMessage): Admission | undefined {
  return (req as Admitted)[ADMISSION];
}
