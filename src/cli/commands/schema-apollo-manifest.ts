import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { OperationDefinitionNode } from 'graphql';
import { parse } from 'graphql';
import { ApprovedOperationsError, MANIFEST_FILE } from '../../access/approved-operations';
import { PACKAGE_ROOT } from '../../paths';

/**
 * Where Apollo's persisted-query manifest of the approved operations is committed: what
 * `generatePersistedQueryIdsFromManifest` (`@apollo/persisted-query-lists`) reads in an Apollo Client app.
 */
export const APOLLO_MANIFEST_FILE = path.join(
  PACKAGE_ROOT,
  'src',
  'generated',
  'persisted-query-manifest.json',
);

/** One operation of an Apollo persisted-query manifest. */
export interface ApolloManifestOperation {
  /** The hex SHA-256 of `body`: what the gateway takes as `extensions.persistedQuery.sha256Hash`. */
  readonly id: string;
  /** The operation's name, by which Apollo's link finds the id of the document it is about to send. */
  readonly name: string;
  readonly type: 'query' | 'mutation' | 'subscription';
  /** The trusted document, exactly as in the trusted-documents manifest. */
  readonly body: string;
}

/**
 * Apollo's persisted-query manifest, format version 1: the shape `@apollo/generate-persisted-query-manifest`
 * writes and `@apollo/persisted-query-lists` reads.
 */
export interface ApolloPersistedQueryManifest {
  readonly format: 'apollo-persisted-query-manifest';
  readonly version: 1;
  /** Sorted by name, so the file is the same bytes for the same documents. */
  readonly operations: readonly ApolloManifestOperation[];
}

const ID_PATTERN = /^sha256:([0-9a-f]{64})$/;

/**
 * Apollo's manifest of the trusted documents (`{ "sha256:<hex>": text }`, as graphql-codegen's client
 * preset writes them): the same ids and texts, only in Apollo's format. Deriving it from that file, not from
 * the operations again, keeps one source of ids: the gateway's. Throws `ApprovedOperationsError` naming the
 * entry when an id is not `sha256:<hex>` of its text, or a text is not exactly one named operation.
 */
export function apolloManifestOf(trusted: Readonly<Record<string, string>>): ApolloPersistedQueryManifest {
  const operations = Object.entries(trusted).map(([key, body]): ApolloManifestOperation => {
    const hex = ID_PATTERN.exec(key)?.[1];
    if (!hex) throw new ApprovedOperationsError(`trusted document "${key}": the id must be sha256:<64 hex>`);
    // Apollo's link sends the id alone; the gateway resolves it to this text, and graphql-ws hashes the
    // text it is sent: both hold only if the id is the text's hash.
    if (createHash('sha256').update(body).digest('hex') !== hex) {
      throw new ApprovedOperationsError(`trusted document "${key}": the id is not the SHA-256 of its text`);
    }
    const operations = parse(body).definitions.filter(
      (d): d is OperationDefinitionNode => d.kind === 'OperationDefinition',
    );
    const name = operations.length === 1 ? operations[0]!.name?.value : undefined;
    if (!name) {
      throw new ApprovedOperationsError(
        `trusted document "${key}": must hold exactly one named operation (Apollo's link finds ids by name)`,
      );
    }
    return { id: hex, name, type: operations[0]!.operation, body };
  });
  operations.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const repeated = operations.find((op, i) => i > 0 && operations[i - 1]!.name === op.name);
  if (repeated) {
    throw new ApprovedOperationsError(
      `two trusted documents are named "${repeated.name}": Apollo's link finds ids by name`,
    );
  }
  return { format: 'apollo-persisted-query-manifest', version: 1, operations };
}

/** The Apollo manifest file's text for the trusted-documents manifest in `trustedFile`. */
export function renderApolloManifest(trustedFile = MANIFEST_FILE): string {
  const trusted = JSON.parse(fs.readFileSync(trustedFile, 'utf8')) as Record<string, string>;
  return `${JSON.stringify(apolloManifestOf(trusted), null, 2)}\n`;
}
