/**
 * The audit log binds a poller's repeating fields in a pino child logger (src/access/audit.ts): these check,
 * on real pino output, that every line still says exactly what its own request was, whatever was bound
 * before it.
 */
import { AuditLog } from '../../../src/access/audit';
import type { AuditRecord } from '../../../src/access/audit';
import type { Caller } from '../../../src/access/caller';
import { logSink } from '../../helpers/log-sink';

const journalist: Caller = { keyId: 'key-journalist', role: 'journalist', via: 'api-key' };
const analyst: Caller = { keyId: 'key-analyst', role: 'analyst', via: 'api-key' };
const viaJwt = (): Caller => ({ keyId: 'jwt-subject', role: 'analyst', via: 'jwt' });

const FIELDS = [
  'event',
  'method',
  'path',
  'keyId',
  'role',
  'operation',
  'variablesHash',
  'transport',
  'requestId',
  'status',
  'durationMs',
];

function record(caller: Caller | null, operation: string | null, variablesHash: string | null): AuditRecord {
  return { caller, operation, variablesHash };
}

/** The audit fields of a line, in the order they were written. */
function auditFields(line: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(line).filter(([name]) => FIELDS.includes(name)));
}

describe('AuditLog', () => {
  it('writes every field of each request, in one order, for API-key, JWT and anonymous callers alike', () => {
    const { logger, events } = logSink();
    const audit = new AuditLog(logger);
    audit.write(
      { requestId: 'r1', method: 'GET', path: '/feeds/a.json', transport: 'http' },
      record(journalist, 'feed:a', 'h1'),
      200,
      1.26,
    );
    audit.write(
      { requestId: 'r2', method: 'POST', path: '/graphql', transport: 'http' },
      record(viaJwt(), 'Q', null),
      200,
      3,
    );
    audit.write(
      { requestId: null, method: 'GET', path: '/nowhere', transport: 'ws' },
      record(null, null, null),
      404,
      0.04,
    );
    const lines = events().map(auditFields);
    expect(lines).toEqual([
      {
        event: 'audit',
        method: 'GET',
        path: '/feeds/a.json',
        keyId: 'key-journalist',
        role: 'journalist',
        operation: 'feed:a',
        variablesHash: 'h1',
        transport: 'http',
        requestId: 'r1',
        status: 200,
        durationMs: 1.3,
      },
      {
        event: 'audit',
        method: 'POST',
        path: '/graphql',
        keyId: 'jwt-subject',
        role: 'analyst',
        operation: 'Q',
        variablesHash: null,
        transport: 'http',
        requestId: 'r2',
        status: 200,
        durationMs: 3,
      },
      {
        event: 'audit',
        method: 'GET',
        path: '/nowhere',
        keyId: null,
        role: 'anonymous',
        operation: null,
        variablesHash: null,
        transport: 'ws',
        requestId: null,
        status: 404,
        durationMs: 0,
      },
    ]);
    for (const line of lines) expect(Object.keys(line)).toEqual(FIELDS);
    for (const line of events()) expect(line.msg).toBe('request');
  });

  it('never lets one request of a caller be logged with the fields bound for another', () => {
    const { logger, events } = logSink();
    const audit = new AuditLog(logger);
    // Every combination of two values per repeating field (32, more than a caller keeps bound), in a fixed
    // pseudo-random order over two callers: each field is the only difference between requests close together.
    const combos: {
      method: string;
      path: string;
      operation: string | null;
      variablesHash: string | null;
      transport: 'http' | 'ws';
    }[] = [];
    for (const method of ['GET', 'HEAD'])
      for (const path of ['/feeds/a.json', '/feeds/b.json'])
        for (const operation of [null, 'feed:a'])
          for (const variablesHash of [null, 'h1'])
            for (const transport of ['http', 'ws'] as const)
              combos.push({ method, path, operation, variablesHash, transport });
    let seed = 7;
    // An LCG's high bits (its low bits repeat with short periods).
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16;
    const expected: Record<string, unknown>[] = [];
    for (let n = 0; n < 400; n++) {
      const c = combos[next() % 32]!;
      const caller = next() % 2 ? journalist : analyst;
      const requestId = `r${n}`;
      audit.write(
        { requestId, method: c.method, path: c.path, transport: c.transport },
        record(caller, c.operation, c.variablesHash),
        200,
        n,
      );
      expected.push({
        event: 'audit',
        method: c.method,
        path: c.path,
        keyId: caller.keyId,
        role: caller.role,
        operation: c.operation,
        variablesHash: c.variablesHash,
        transport: c.transport,
        requestId,
        status: 200,
        durationMs: n,
      });
    }
    expect(events().map(auditFields)).toEqual(expected);
  });

  it('writes nothing below the info level', () => {
    const { logger, events } = logSink();
    logger.level = 'warn';
    new AuditLog(logger).write(
      { requestId: 'r', method: 'GET', path: '/graphql', transport: 'http' },
      record(journalist, 'Q', null),
      200,
      1,
    );
    expect(events()).toEqual([]);
  });
});
