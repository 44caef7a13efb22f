/**
 * Client recipe: graphql-ws for `figuresChanged`, the key in `connectionParams`, against a real gateway on
 * 127.0.0.1 (issue 21, item 1). The README's "Client recipes" shows the same code.
 *
 * A WebSocket subscription sends the document's text, not an id (graphql-transport-ws has no persisted
 * documents), so journalist and dashboard keys send the approved text exactly: the `body` of the operation
 * in the Apollo manifest, which is the trusted-documents manifest's text.
 */
import type { Client } from 'graphql-ws';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import manifest from '../../../src/generated/persisted-query-manifest.json';
import { gql } from '../../helpers/gateway';
import { eventually } from '../store/world';
import type { RecipeGateway } from './gateway-with-keys';
import { UNKNOWN_KEY, startRecipeGateway } from './gateway-with-keys';

interface FiguresChanged {
  figuresChanged: { sourceId: string; forceIds: string[]; changedAt: string };
}

/** The approved subscription's text, exactly as the gateway trusts it. */
const FIGURES_CHANGED = manifest.operations.find((op) => op.name === 'FiguresChanged')!.body;

describe('graphql-ws recipe: figuresChanged with the key in connectionParams', () => {
  let running: RecipeGateway;
  const clients: Client[] = [];

  beforeAll(async () => {
    running = await startRecipeGateway();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.dispose()));
    // Subscriptions end asynchronously on the server; each test counts its own from zero.
    await eventually(
      async () => running.gateway.app.live!.changes.size === 0,
      'every subscription to end',
      3000,
    );
  });
  afterAll(() => running.close());

  /** The recipe's client. */
  function wsClient(key: string): Client {
    const client = createClient({
      url: running.gateway.graphqlUrl.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${key}` },
    });
    clients.push(client);
    return client;
  }

  /** Waits until the gateway holds `count` subscriptions, so that a change made next reaches them. */
  const open = (count: number) =>
    eventually(
      async () => running.gateway.app.live!.changes.size >= count,
      `${count} open subscription(s)`,
      3000,
    );

  /** An operator refreshes the bundled published figures: a new report, so a change to announce. */
  async function refreshPublishedFigures(): Promise<void> {
    const res = await gql(
      running.gateway.graphqlUrl,
      'mutation { refreshSource(id: "published-figures") { id state } }',
      undefined,
      { authorization: `Bearer ${running.keys.operator}` },
    );
    expect(res.body.data).toEqual({ refreshSource: { id: 'published-figures', state: 'OK' } });
  }

  test('a journalist subscribes with the approved text and hears a refresh of the forces it asked about', async () => {
    const events = wsClient(running.keys.journalist).iterate<FiguresChanged>({
      query: FIGURES_CHANGED,
      variables: { forceIds: ['dorset'] },
    });
    const next = events.next();
    await open(1);
    await refreshPublishedFigures();
    const { value } = await next;
    expect(value.errors).toBeUndefined();
    const event = value.data!.figuresChanged;
    expect(event.sourceId).toBe('published-figures');
    expect(event.forceIds).toContain('dorset');
    expect(new Date(event.changedAt).toISOString()).toBe(event.changedAt);
    await events.return!();
  });

  test('an analyst may subscribe with their own text', async () => {
    const events = wsClient(running.keys.analyst).iterate<FiguresChanged>({
      query: 'subscription Mine { figuresChanged { sourceId } }',
    });
    const next = events.next();
    await open(1);
    await refreshPublishedFigures();
    expect((await next).value).toEqual({ data: { figuresChanged: { sourceId: 'published-figures' } } });
    await events.return!();
  });

  test("a journalist's own text is refused with FORBIDDEN", async () => {
    const events = wsClient(running.keys.journalist).iterate({
      query: 'subscription Mine { figuresChanged { sourceId } }',
    });
    await expect(events.next()).rejects.toEqual([
      {
        message:
          "journalist keys may run approved operations only: send the approved document's text exactly as in the trusted-documents manifest",
        extensions: { code: 'FORBIDDEN' },
      },
    ]);
  });

  test('a key that was never issued is closed at connection with 4401 Unauthorized', async () => {
    const events = wsClient(UNKNOWN_KEY).iterate({ query: FIGURES_CHANGED });
    await expect(events.next()).rejects.toMatchObject({ code: 4401, reason: 'Unauthorized' });
  });
});
