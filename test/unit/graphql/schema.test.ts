import fs from 'node:fs';
import path from 'node:path';
import { isObjectType } from 'graphql';
import { FigureFieldsResolver, resolveAgeSeconds } from '../../../src/graphql/common/figure.resolver';
import type { RequestContext } from '../../../src/graphql/context';
import { buildExecutableSchema, buildGatewaySchema, printGatewaySchema } from '../../../src/graphql/schema';
import type { FigureView } from '../../../src/graphql/views';
import { errorsMarkdownTable } from '../../../src/errors';

const ROOT = path.resolve(__dirname, '../../..');

/** Field names that would hold personal data. `name` is allowed only where it names a force or an area. */
const PERSONAL =
  /^(address|addresses|postcode|dateOfBirth|dob|birth.*|surname|forename|firstName|lastName|fullName|alias(es)?|pnc.*|nino|nationalInsurance.*|photo.*)$/i;
const NAME_ALLOWED_ON = new Set(['Force', 'Summary']);

describe('the schema', () => {
  test('the committed schema/schema.graphql is the one the code builds (sorted, with its banner)', () => {
    const committed = fs.readFileSync(path.join(ROOT, 'schema', 'schema.graphql'), 'utf8');
    expect(committed).toBe(printGatewaySchema());
  });

  test('no type has a field that could hold personal data', () => {
    const offenders: string[] = [];
    for (const type of Object.values(buildGatewaySchema().getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__')) continue;
      for (const field of Object.keys(type.getFields())) {
        if (PERSONAL.test(field) || (field === 'name' && !NAME_ALLOWED_ON.has(type.name)))
          offenders.push(`${type.name}.${field}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});

describe('direct field resolvers', () => {
  test('Figure.ageSeconds is resolved directly, exactly as its @FieldResolver method resolves it', () => {
    const field = buildExecutableSchema().getType('Figure');
    if (!isObjectType(field)) throw new Error('no Figure type');
    expect(field.getFields().ageSeconds!.resolve).toBe(resolveAgeSeconds);
    const declared = new FigureFieldsResolver();
    const figure = { retrievedAtMs: Date.parse('2026-11-22T12:00:00.000Z') } as FigureView;
    for (const offsetMs of [-5_000, 0, 999, 1_000, 61_500, 86_400_000]) {
      const ctx = { nowMs: figure.retrievedAtMs + offsetMs } as RequestContext;
      const direct = resolveAgeSeconds(figure, {}, ctx, undefined as never);
      expect(direct).toBe(declared.ageSeconds(figure, ctx));
      expect(direct).toBe(Math.max(0, Math.floor(offsetMs / 1000)));
    }
  });
});

describe('the errors registry', () => {
  test("the README's errors table is the one generated from src/errors.ts", () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const match = /<!-- errors:start -->\n([\s\S]*?)\n<!-- errors:end -->/.exec(readme);
    expect(match?.[1]).toBe(errorsMarkdownTable());
  });
});
