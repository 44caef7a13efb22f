import type { IncomingMessage } from 'node:http';
import type { Admission } from '../access/policy';

/**
 * The hot path's hand-over to the full path: the admission it already made of a request (`AccessGate.admit`,
 * a caller or a refusal), so that a request is authenticated once and counted once, and the full path
 * renders any refusal itself.
 */
const ADMISSION = Symbol('whereabouts.admission');

type Admitted = IncomingMessage & { [ADMISSION]?: Admission };

/** Records the admission of a request (by the hot path), for the full path. */
export function handOver(req: IncomingMessage, admission: Admission): void {
  (req as Admitted)[ADMISSION] = admission;
}

/** The admission of a request, if the hot path already made it. */
export function admissionOf(req: IncomingMessage): Admission | undefined {
  return (req as Admitted)[ADMISSION];
}
