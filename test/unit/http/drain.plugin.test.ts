import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { drainHttpServerPlugin } from '../../../src/http/drain.plugin';

/** A raw keep-alive connection: what it has received, and whether the server has closed it. */
function connect(port: number): { socket: net.Socket; received: () => string; closed: Promise<void> } {
  const socket = net.connect(port, '127.0.0.1');
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (text += chunk));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { socket, received: () => text, closed };
}

const GET = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n`;

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('drainHttpServerPlugin', () => {
  let server: http.Server;
  let port: number;
  /** Responses held open by the test, by path. */
  const held = new Map<string, http.ServerResponse>();
  const finishListeners: number[] = [];

  beforeEach(async () => {
    held.clear();
    finishListeners.length = 0;
    server = http.createServer((req, res) => {
      finishListeners.push(res.listenerCount('finish'));
      if (req.url === '/hold') return void held.set(req.url, res);
      res.end('ok');
    });
  });

  afterEach(async () => {
    server.closeAllConnections();
    if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  async function start(options: { stopGracePeriodMs?: number } = {}): Promise<() => Promise<void>> {
    const plugin = drainHttpServerPlugin({ httpServer: server, ...options });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    const hooks = await plugin.serverWillStart!({} as never);
    return () => hooks!.drainServer!();
  }

  test('adds no listener to a response: node has the only "finish" listener (issue 22, target 1)', async () => {
    await start();
    const c = connect(port);
    c.socket.write(GET('/a'));
    await until(() => c.received().includes('ok'));
    expect(finishListeners).toEqual([1]);
    c.socket.destroy();
  });

  test('ends an idle connection at once and a busy one as soon as its response has finished', async () => {
    const drain = await start();
    const idle = connect(port);
    idle.socket.write(GET('/a'));
    await until(() => idle.received().includes('ok'));
    const busy = connect(port);
    busy.socket.write(GET('/hold'));
    await until(() => held.has('/hold'));

    let drained = false;
    const draining = drain().then(() => (drained = true));
    await idle.closed;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(busy.socket.closed).toBe(false);
    expect(drained).toBe(false);

    held.get('/hold')!.end('late');
    await busy.closed;
    expect(busy.received()).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*late$/);
    await draining;
    expect(server.listening).toBe(false);
  });

  test('after the grace period, a connection whose request still hangs is ended', async () => {
    const drain = await start({ stopGracePeriodMs: 50 });
    const hung = connect(port);
    hung.socket.write(GET('/hold'));
    await until(() => held.has('/hold'));
    const started = Date.now();
    await drain();
    await hung.closed;
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });
});
