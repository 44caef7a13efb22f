import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiKeyStore } from '../../src/access/api-keys';
import type { Role } from '../../src/access/caller';
import { ROLES } from '../../src/access/caller';
import type { AppDeps } from '../../src/app';
import { buildConfig } from '../../src/config/load';
import type { RunningGateway } from './gateway';
import { startGateway } from './gateway';

/** A gateway with real API keys: one per role, in a keys file of its own. */
export interface KeyedGateway {
  readonly gateway: RunningGateway;
  /** Each role's bearer token, as `whereabouts keys create` prints it. */
  readonly tokens: Readonly<Record<Role, string>>;
  /** The keys file's store, to create or revoke more keys. */
  readonly keys: ApiKeyStore;
  close(): Promise<void>;
}

/**
 * Starts a gateway on 127.0.0.1 with the bundled sources (the published figures, read from files: no
 * network), `access` as the config's access section, no Redis, and one real key per role, in a temporary
 * folder removed on close.
 */
export async function startKeyedGateway(
  access: Record<string, unknown> = {},
  deps: AppDeps = {},
): Promise<KeyedGateway> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whereabouts-keyed-'));
  const keys = ApiKeyStore.load(path.join(dir, 'keys.json'));
  const tokens = Object.fromEntries(
    ROLES.map((role) => [role, keys.create(role, `test ${role}`).token]),
  ) as Record<Role, string>;
  const config = buildConfig({ includeBundled: true, access }, { baseDir: dir, origin: 'test' });
  const gateway = await startGateway(config, { redis: null, ...deps, apiKeys: keys });
  return {
    gateway,
    tokens,
    keys,
    close: async () => {
      await gateway.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
