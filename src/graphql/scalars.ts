import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { isCalendarDay } from '../domain/dates';

const ACCEPTED = 'a real calendar day written YYYY-MM-DD, e.g. "2018-01-17"';

function parseDay(value: unknown): string {
  if (typeof value !== 'string' || !isCalendarDay(value)) {
    throw new GraphQLError(`Date must be ${ACCEPTED}`, { extensions: { code: 'INVALID_DATE' } });
  }
  return value;
}

/** A calendar day, YYYY-MM-DD. Impossible days (2018-02-30) are rejected with the accepted format. */
export const DateScalar = new GraphQLScalarType<string, string>({
  name: 'Date',
  description: `A calendar day (UTC), written YYYY-MM-DD. Inputs must be ${ACCEPTED}.`,
  serialize: (value) => String(value),
  parseValue: parseDay,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) {
      throw new GraphQLError(`Date must be ${ACCEPTED}`, { extensions: { code: 'INVALID_DATE' } });
    }
    return parseDay(ast.value);
  },
});

/** An instant written with its offset: `2026-11-22T16:46:00Z`, `2026-11-22T16:46:00.000+01:00`. */
const INSTANT_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Reads an instant given as input; the error names what is accepted. */
function parseInstant(value: unknown): string {
  const ms = typeof value === 'string' && INSTANT_RE.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms))
    throw new GraphQLError(
      'DateTime must be an ISO 8601 instant with its offset, e.g. "2018-03-21T09:00:00Z"',
      { extensions: { code: 'INVALID_DATE' } },
    );
  return new Date(ms).toISOString();
}

/** An instant, ISO 8601 in UTC; as input, any ISO 8601 instant with an offset (`knownAt`). */
export const DateTimeScalar = new GraphQLScalarType<string, string>({
  name: 'DateTime',
  description:
    'An instant, ISO 8601, e.g. "2026-11-22T16:46:00.000Z". Given in UTC; accepted with any offset ("+01:00").',
  serialize: (value) => (value instanceof Date ? value.toISOString() : String(value)),
  parseValue: parseInstant,
  parseLiteral: (ast) => parseInstant(ast.kind === Kind.STRING ? ast.value : undefined),
});
