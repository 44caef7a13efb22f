import { createHash } from 'node:crypto';
import fs from 'node:fs';
import {
  ApprovedOperationsError,
  MANIFEST_FILE,
  loadApprovedOperations,
} from '../../../src/access/approved-operations';
import {
  APOLLO_MANIFEST_FILE,
  apolloManifestOf,
  renderApolloManifest,
} from '../../../src/cli/commands/schema-apollo-manifest';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const entry = (text: string): [string, string] => [`sha256:${sha256(text)}`, text];

describe("Apollo's persisted-query manifest, derived from the trusted-documents manifest", () => {
  test('the committed file is current (npm run schema:check fails otherwise)', () => {
    expect(fs.readFileSync(APOLLO_MANIFEST_FILE, 'utf8')).toBe(renderApolloManifest());
  });

  test('it holds every approved operation under the id the gateway accepts, with its text and type', () => {
    const manifest = apolloManifestOf(JSON.parse(fs.readFileSync(MANIFEST_FILE, 'utf8')));
    expect(manifest.format).toBe('apollo-persisted-query-manifest');
    expect(manifest.version).toBe(1);
    const approved = loadApprovedOperations();
    expect(manifest.operations.map((op) => [op.name, op.id, op.body])).toEqual(
      approved
        .map((op) => [op.operationName, op.sha256, op.document])
        .sort((a, b) => (a[0]! < b[0]! ? -1 : 1)),
    );
    expect(manifest.operations.find((op) => op.name === 'FiguresChanged')!.type).toBe('subscription');
    expect(manifest.operations.find((op) => op.name === 'NationalLatest')!.type).toBe('query');
  });

  test('the output is sorted by name whatever the input order, so it is the same bytes every run', () => {
    const a = entry('query B { forces { id } }');
    const b = entry('query A { forces { id } }');
    const c = entry('subscription C { figuresChanged { sourceId } }');
    const one = apolloManifestOf(Object.fromEntries([a, b, c]));
    const two = apolloManifestOf(Object.fromEntries([c, a, b]));
    expect(one.operations.map((op) => op.name)).toEqual(['A', 'B', 'C']);
    expect(JSON.stringify(two)).toBe(JSON.stringify(one));
  });

  test.each([
    [
      'an id without the sha256: prefix',
      { [sha256('query A { a }')]: 'query A { a }' },
      /the id must be sha256:<64 hex>/,
    ],
    [
      'an id that is not the hash of its text',
      { [`sha256:${sha256('query A { a }')}`]: 'query A { b }' },
      /the id is not the SHA-256 of its text/,
    ],
    [
      'an anonymous operation',
      Object.fromEntries([entry('{ forces { id } }')]),
      /must hold exactly one named operation/,
    ],
    [
      'two operations in one text',
      Object.fromEntries([entry('query A { a } query B { b }')]),
      /must hold exactly one named operation/,
    ],
    [
      'two texts with one operation name',
      Object.fromEntries([entry('query A { a }'), entry('query A { b }')]),
      /two trusted documents are named "A": Apollo's link finds ids by name/,
    ],
  ])('%s is refused, naming the entry', (_case, trusted, message) => {
    expect(() => apolloManifestOf(trusted)).toThrow(ApprovedOperationsError);
    expect(() => apolloManifestOf(trusted)).toThrow(message);
  });
});
