#!/usr/bin/env node
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS require hook has to use require */
// Runs a benchmark written in TypeScript without extra installs: `node test/bench/run.js economy`
// (or one folder down: `node test/bench/run.js references/r0-bare ...`; further arguments are the script's).
// `.ts` files are transpiled on load with typescript's transpileModule (no type checking: `npm run
// typecheck` covers test/), using tsconfig.json's compiler options, as ts-jest does in isolatedModules mode.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

const root = path.resolve(__dirname, '..', '..');
const configFile = path.join(root, 'tsconfig.json');
const { config, error } = ts.readConfigFile(configFile, ts.sys.readFile);
if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
const { options } = ts.parseJsonConfigFileContent(config, ts.sys, root);
const compilerOptions = {
  ...options,
  module: ts.ModuleKind.CommonJS,
  noEmit: false,
  sourceMap: false,
  inlineSourceMap: true,
  inlineSources: true,
};

require.extensions['.ts'] = (module, filename) => {
  const source = fs.readFileSync(filename, 'utf8');
  const { outputText } = ts.transpileModule(source, { compilerOptions, fileName: filename });
  module._compile(outputText, filename);
};
process.setSourceMapsEnabled(true);

const name = process.argv[2];
if (!name || !/^([a-z0-9-]+\/)?[a-z0-9-]+$/.test(name)) {
  process.stderr.write('usage: node test/bench/run.js <bench name, e.g. economy>\n');
  process.exit(64);
}
const file = path.join(__dirname, `${name}.ts`);
if (!fs.existsSync(file)) {
  process.stderr.write(`no benchmark ${path.relative(root, file)}\n`);
  process.exit(64);
}
require(file);
