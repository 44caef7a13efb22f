import { WebhookReplayCheck } from '../../../src/http/webhook-replay';

describe('the webhook replay check without Redis (one instance)', () => {
  test('a signature is accepted once per source; a replay is refused', async () => {
    const replays = new WebhookReplayCheck();
    expect(await replays.claim('dorset-feed', 'sha256=aa', 600_000)).toBe(true);
    expect(await replays.claim('dorset-feed', 'sha256=aa', 600_000)).toBe(false);
    expect(await replays.claim('dorset-feed', 'sha256=bb', 600_000)).toBe(true);
    expect(await replays.claim('kent-feed', 'sha256=aa', 600_000)).toBe(true);
  });

  test('each check remembers its own claims (two apps in one process share nothing without Redis)', async () => {
    const [a, b] = [new WebhookReplayCheck(), new WebhookReplayCheck()];
    expect(await a.claim('dorset-feed', 'sha256=aa', 600_000)).toBe(true);
    expect(await b.claim('dorset-feed', 'sha256=aa', 600_000)).toBe(true);
  });
});
