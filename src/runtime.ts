import semver from 'semver';
import { PACKAGE_JSON } from './paths';

/**
 * The Node.js lines Whereabouts runs on: package.json's `engines.node` (its one home), read once.
 * Every supported line is an LTS line within its support window; see the README's "Runtime".
 */
export const SUPPORTED_NODE_RANGE: string = readEnginesRange();

/** Thrown by `assertSupportedRuntime` on a Node outside `SUPPORTED_NODE_RANGE`. */
export class UnsupportedRuntimeError extends Error {
  constructor(readonly version: string) {
    super(
      `Node ${version} is not supported: Whereabouts runs on Node ${SUPPORTED_NODE_RANGE} (package.json engines). ` +
        'Through npm (`npm start`, `npx whereabouts`) it runs on the Node that `npm ci` installs on Linux ' +
        '(README, "Runtime"); elsewhere install a supported Node.',
    );
    this.name = 'UnsupportedRuntimeError';
  }
}

/**
 * Throws `UnsupportedRuntimeError` unless `version` (default: this process's Node) is within
 * `SUPPORTED_NODE_RANGE`. The gateway and the CLI call it before anything else, so that a Node past end of
 * life, or one the suite never ran on, stops at once with a clear message rather than failing later
 * inside a dependency that needs a newer one.
 */
export function assertSupportedRuntime(version: string = process.versions.node): void {
  if (!semver.satisfies(version, SUPPORTED_NODE_RANGE)) throw new UnsupportedRuntimeError(version);
}

function readEnginesRange(): string {
  const range = PACKAGE_JSON.engines?.node;
  if (!range || semver.validRange(range) === null) {
    throw new Error(`package.json engines.node must be a semver range; got ${JSON.stringify(range)}`);
  }
  return range;
}

/**
 * For process entries: writes the `UnsupportedRuntimeError` message and exits 78 (EX_CONFIG, as for any
 * start-up configuration error) on an unsupported Node. See `runtime-guard.ts`.
 */
export function exitUnlessSupportedRuntime(): void {
  try {
    assertSupportedRuntime();
  } catch (error) {
    if (!(error instanceof UnsupportedRuntimeError)) throw error;
    process.stderr.write(`whereabouts: ${error.message}\n`);
    process.exit(78);
  }
}
