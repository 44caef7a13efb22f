/* eslint-disable @typescript-eslint/no-require-imports -- a plain node child that loads a built checkout */
// One side of `node test/bench/run.js inproc`: loads a built checkout's dist/ (argv[2]), builds the app on
// the bundled published figures (files: no network, no Redis), and drives its request handler with
// node's own IncomingMessage and ServerResponse over a socket that discards what is written: the gateway's
// code per request, without the kernel's network stack or a load generator on the same cores.
// It serves its parent over stdin and stdout, a line each way: `ready` once the app is built and each target
// warmed by argv[4] requests; then for each line `<target> <n>` it drives n requests of that target and
// answers with the CPU µs per request they took (`process.cpuUsage`); `quit` ends it. Staying alive lets the
// parent interleave short batches of two builds, so that the machine's slow drifts fall on both alike.
'use strict';
require('reflect-metadata');
const http = require('node:http');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Duplex } = require('node:stream');

const root = process.argv[2];
const targets = JSON.parse(process.argv[3]);
const warm = Number(process.argv[4]);
const dist = (p) => require(path.join(root, 'dist', p));

/** A socket that accepts and drops every byte, as a client that reads everything at once. */
function socket() {
  const s = new Duplex({
    read() {},
    write(_chunk, _encoding, done) {
      done();
    },
  });
  s.remoteAddress = '127.0.0.1';
  s.setTimeout = () => s;
  s.setNoDelay = () => s;
  s.setKeepAlive = () => s;
  return s;
}

function ask(handler, target) {
  return new Promise((resolve, reject) => {
    const sock = socket();
    const req = new http.IncomingMessage(sock);
    req.method = target.method;
    req.url = target.path;
    req.httpVersionMajor = 1;
    req.httpVersionMinor = 1;
    req.httpVersion = '1.1';
    const body = target.body === undefined ? null : Buffer.from(target.body);
    req.headers = { host: '127.0.0.1', ...target.headers };
    if (body) req.headers['content-length'] = String(body.length);
    const res = new http.ServerResponse(req);
    res.assignSocket(sock);
    res.on('finish', () =>
      res.statusCode < 400 ? resolve() : reject(new Error(`${target.name}: ${res.statusCode}`)),
    );
    // The whole request has arrived, as node's parser says of a message it has read to its end.
    if (body) req.push(body);
    req.push(null);
    req.complete = true;
    handler(req, res);
  });
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whereabouts-inproc-'));
  const { ApiKeyStore } = dist('access/api-keys.js');
  const { embeddedDefault } = dist('config/load.js');
  const { createApp } = dist('app.js');
  const { createLogger } = dist('logger.js');
  const keys = ApiKeyStore.load(path.join(dir, 'keys.json'));
  const tokens = {
    journalist: keys.create('journalist', 'inproc journalist').token,
    analyst: keys.create('analyst', 'inproc analyst').token,
  };
  const config = embeddedDefault();
  const limit = { points: 100_000_000, durationSeconds: 60 };
  const app = await createApp(
    {
      ...config,
      access: {
        ...config.access,
        rateLimits: { ...config.access.rateLimits, analyst: limit, journalist: limit },
      },
    },
    // No archive (builds before it ignore the option): its writes happen once, at start, off the request path.
    { apiKeys: keys, redis: null, archive: null, logger: createLogger({ LOG_LEVEL: 'silent' }) },
  );
  const byName = new Map(
    targets.map((t) => [
      t.name,
      { ...t, headers: { ...t.headers, authorization: `Bearer ${tokens[t.role]}` } },
    ]),
  );
  for (const target of byName.values()) for (let i = 0; i < warm; i++) await ask(app.handler, target);
  fs.writeSync(1, 'ready\n');
  for await (const line of require('node:readline').createInterface({ input: process.stdin })) {
    if (line === 'quit') break;
    const [name, count] = line.split(' ');
    const target = byName.get(name);
    const n = Number(count);
    if (!target || !(n > 0)) throw new Error(`bad command: ${line}`);
    const before = process.cpuUsage();
    for (let i = 0; i < n; i++) await ask(app.handler, target);
    const used = process.cpuUsage(before);
    fs.writeSync(1, `${(used.user + used.system) / n}\n`);
  }
  await app.stop();
  fs.rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
