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

/** An instant, ISO 8601 in UTC (output only). */
export const DateTimeScalar = new GraphQLScalarType<string, string>({
  name: 'DateTime',
  description: 'An instant, ISO 8601 in UTC, e.g. "2026-11-22T16:46:00.000Z". Output only.',
  serialize: (value) => (value instanceof Date ? value.toISOString() : String(value)),
  parseValue: () => {
    throw new GraphQLError('DateTime is output only');
  },
  parseLiteral: () => {
    throw new GraphQLError('DateTime is output only');
  },
});
