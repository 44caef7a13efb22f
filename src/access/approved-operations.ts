import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'graphql';
import type { OperationDefinitionNode } from 'graphql';
import { PACKAGE_ROOT } from '../paths';
import type { Role } from './caller';
import { ROLES } from './caller';

/** Where approved operations live, and the trusted-documents manifest codegen compiles from them. */
export const OPERATIONS_DIR = path.join(PACKAGE_ROOT, 'schema', 'operations');
export const MANIFEST_FILE = path.join(PACKAGE_ROOT, 'src', 'generated', 'persisted-documents.json');

/** An operation approved for restricted roles: a trusted document with its approval record. */
export interface ApprovedOperation {
  /** Feed-style name, e.g. `national-latest` (the file name). */
  readonly name: string;
  /** The GraphQL operation name, e.g. `NationalLatest`. */
  readonly operationName: string;
  /** `sha256:<hex>` as in the manifest; clients send the hex as the APQ `sha256Hash`. */
  readonly id: string;
  readonly sha256: string;
  readonly document: string;
  readonly description: string;
  /** The roles its `@roles` metadata names, in file order (as listed by `GET /feeds`). */
  readonly roles: readonly Role[];
  /** The same roles as a set: the access policy's check is one lookup (`src/access/policy.ts`). */
  readonly approvedFor: ReadonlySet<Role>;
  readonly approvedBy: string;
  readonly approvedOn: string;
}

/** An operations file without complete metadata, or a manifest that does not match the files. */
export class ApprovedOperationsError extends Error {
  override readonly name = 'ApprovedOperationsError';
}

const FIELDS = ['name', 'description', 'roles', 'approvedBy', 'approvedOn'] as const;

/** Reads `# @field value` metadata lines from the top of an operations file. */
function metadataOf(file: string, text: string): Record<(typeof FIELDS)[number], string> {
  const meta: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^#\s*@(\w+)\s+(.+?)\s*$/.exec(line);
    if (m) meta[m[1]!] = m[2]!;
  }
  for (const field of FIELDS) {
    if (!meta[field])
      throw new ApprovedOperationsError(`${path.basename(file)}: missing "# @${field} ..." metadata`);
  }
  if (!/^\d{4}-\d{2}-\d{2}$/.test(meta.approvedOn!)) {
    throw new ApprovedOperationsError(`${path.basename(file)}: @approvedOn must be YYYY-MM-DD`);
  }
  return meta as Record<(typeof FIELDS)[number], string>;
}

/**
 * The approved operations: each `schema/operations/*.graphql` file's metadata joined with its trusted
 * document (by operation name) from the manifest codegen generated. Throws when a file lacks metadata,
 * names an unknown role, or is missing from the manifest (run `npm run schema:emit`).
 */
export function loadApprovedOperations(
  dir = OPERATIONS_DIR,
  manifestFile = MANIFEST_FILE,
): ApprovedOperation[] {
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as Record<string, string>;
  const byOperationName = new Map<string, { id: string; document: string }>();
  for (const [id, document] of Object.entries(manifest)) {
    const op = parse(document).definitions.find(
      (d): d is OperationDefinitionNode => d.kind === 'OperationDefinition',
    );
    if (op?.name) byOperationName.set(op.name.value, { id, document });
  }
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.graphql'))
    .sort()
    .map((f) => {
      const file = path.join(dir, f);
      const text = fs.readFileSync(file, 'utf8');
      const meta = metadataOf(file, text);
      if (meta.name !== path.basename(f, '.graphql')) {
        throw new ApprovedOperationsError(
          `${f}: @name must be the file name without .graphql ("${path.basename(f, '.graphql')}")`,
        );
      }
      const roles = meta.roles.split(',').map((r) => r.trim());
      const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
      if (unknown.length)
        throw new ApprovedOperationsError(
          `${f}: unknown role(s) ${unknown.join(', ')}; accepted: ${ROLES.join(', ')}`,
        );
      const op = parse(text).definitions.find(
        (d): d is OperationDefinitionNode => d.kind === 'OperationDefinition',
      );
      const operationName = op?.name?.value;
      const trusted = operationName ? byOperationName.get(operationName) : undefined;
      if (!operationName || !trusted) {
        throw new ApprovedOperationsError(
          `${f}: not in the trusted-documents manifest; run npm run schema:emit`,
        );
      }
      return {
        name: meta.name,
        operationName,
        id: trusted.id,
        sha256: trusted.id.replace(/^sha256:/, ''),
        document: trusted.document,
        description: meta.description,
        roles: roles as Role[],
        approvedFor: new Set(roles as Role[]),
        approvedBy: meta.approvedBy,
        approvedOn: meta.approvedOn,
      };
    });
}

/** Lookups over the approved operations. */
export class ApprovedOperations {
  private readonly bySha = new Map<string, ApprovedOperation>();
  private readonly byName = new Map<string, ApprovedOperation>();

  constructor(readonly all: readonly ApprovedOperation[]) {
    for (const op of all) {
      this.bySha.set(op.sha256, op);
      this.byName.set(op.name, op);
    }
  }

  /** By the hex SHA-256 a client sends (with or without the `sha256:` prefix). */
  bySha256(hash: string): ApprovedOperation | undefined {
    // The plain lowercase form first: what clients send, looked up without making a new string.
    return this.bySha.get(hash) ?? this.bySha.get(hash.replace(/^sha256:/, '').toLowerCase());
  }

  byFeedName(name: string): ApprovedOperation | undefined {
    return this.byName.get(name);
  }
}
