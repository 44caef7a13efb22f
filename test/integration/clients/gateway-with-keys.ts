import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiKeyStore } from '../../../src/access/api-keys';
import type { Role } from '../../../src/access/caller';
import { buildConfig } from '../../../src/config/load';
import type { RunningGateway } from '../../helpers/gateway';
import { startGateway } from '../../helpers/gateway';

/** A gateway for the client recipes: the bundled published figures, and one real API key per role. */
export interface RecipeGateway {
  readonly gateway: RunningGateway;
  /** Each role's bearer token, as `whereabouts keys create --role <role>` prints it. */
  readonly keys: Readonly<Record<Role, string>>;
  close(): Promise<void>;
}

/** A well-formed key that was never issued: every client's "bad key" case. */
export const UNKNOWN_KEY = `wa_000000000000_${'A'.repeat(43)}`;

/**
 * Starts a gateway on 127.0.0.1 with the bundled sources (the published figures, read from files: no
 * network) and a keys file holding one key per role, in a temporary folder removed on close.
 */
export async function startRecipeGateway(): Promise<RecipeGateway> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whereabouts-clients-'));
  const store = ApiKeyStore.load(path.join(dir, 'keys.json'));
  const keys = {
    analyst: store.create('analyst', 'client recipes analyst').token,
    dashboard: store.create('dashboard', 'client recipes dashboard').token,
    journalist: store.create('journalist', 'client recipes journalist').token,
    operator: store.create('operator', 'client recipes operator').token,
  };
  const config = buildConfig({ includeBundled: true }, { baseDir: dir, origin: 'client recipes' });
  const gateway = await startGateway(config, { apiKeys: store });
  return {
    gateway,
    keys,
    close: async () => {
      await gateway.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One request a client sent, as the recording fetch saw it. */
export interface SentRequest {
  readonly method: string;
  readonly url: URL;
  /** The JSON body of a POST; null for a GET. */
  readonly body: Record<string, unknown> | null;
}

/**
 * A `fetch` for a client's `fetch` option that records what the client sends, then sends it with the real
 * fetch: how a test sees that a client sent a document id and no query text, or a GET.
 */
export function recordingFetch(): { readonly fetch: typeof fetch; readonly sent: SentRequest[] } {
  const sent: SentRequest[] = [];
  const recording: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    const text = request.method === 'GET' ? '' : await request.clone().text();
    sent.push({ method: request.method, url: new URL(request.url), body: text ? JSON.parse(text) : null });
    return fetch(request);
  };
  return { fetch: recording, sent };
}
