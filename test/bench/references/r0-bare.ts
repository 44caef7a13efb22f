/**
 * R0, the ceiling of `npm run bench`: bare node:http answering every request with the same
 * pre-serialized bytes (Whereabouts' own answer to the approved feed query, captured by the bench and
 * passed by file path, with its content-type). No routing, no parsing, no auth: what this machine can do
 * at all.
 *
 *   node test/bench/run.js references/r0-bare --body <file> --headers <json file: {"content-type": ...}>
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { announce, args, exitOnSignals, required, waitForFile } from './common';

async function main(): Promise<void> {
  const a = args();
  const headersFile = required(a, 'headers');
  const bodyFile = required(a, 'body');
  await waitForFile(headersFile);
  await waitForFile(bodyFile);
  const body = fs.readFileSync(bodyFile);
  const given = JSON.parse(fs.readFileSync(headersFile, 'utf8')) as { 'content-type'?: string };
  const headers = {
    'content-type': given['content-type'] ?? 'application/json; charset=utf-8',
    'content-length': String(body.length),
  };
  const server = http.createServer((req, res) => {
    // Drain any request body, then answer.
    req.resume();
    req.on('end', () => {
      res.writeHead(200, headers);
      res.end(body);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  announce((server.address() as AddressInfo).port);
  exitOnSignals(() => new Promise((resolve) => server.close(resolve)));
}

main().catch((error: unknown) => {
  process.stderr.write(`r0-bare: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
