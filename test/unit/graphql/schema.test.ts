import fs from 'node:fs';
import path from 'node:path';
import { isObjectType } from 'graphql';
import { buildGatewaySchema, printGatewaySchema } from '../../../src/graphql/schema';
import { errorsMarkdownTable } from '../../../src/errors';

const ROOT = path.resolve(__dirname, '../../..');

/** Field names that would hold personal data. `name` is allowed only where it names a force or an area. */
const PERSONAL =
  /^(address|addresses|postcode|dateOfBirth|dob|birth.*|surname|forename|firstName|lastName|fullName|alias(es)?|pnc.*|nino|nationalInsurance.*|photo.*)$/i;
const NAME_ALLOWED_ON = new Set(['Force', 'Summary', 'Series', 'SeriesPoint']);

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

describe('the errors registry', () => {
  test("the README's errors table is the one generated from src/errors.ts", () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const match = /<!-- errors:start -->\n([\s\S]*?)\n<!-- errors:end -->/.exec(readme);
    expect(match?.[1]).toBe(errorsMarkdownTable());
  });
});
