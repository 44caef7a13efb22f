import dns from 'node:dns';
import type { LookupFunction } from 'node:net';
import { Agent } from 'undici';
import type { AddressRefusal } from './address-policy';
import { classifyAddress, isLoopbackName, refusalOf } from './address-policy';

/** One resolved address, as `dns.lookup` with `all: true` gives it. */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: number;
}

/** Resolves a host name to every address it has (injectable, so tests can play a rebinding DNS). */
export type Resolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

/** The system resolver (getaddrinfo, as Node's own connections use). */
export const systemResolver: Resolver = (hostname) => dns.promises.lookup(hostname, { all: true });

/** A connection refused because the host name resolved to an address the policy refuses. */
export class AddressNotAllowedError extends Error {
  override readonly name = 'AddressNotAllowedError';
  readonly code = 'ERR_ADDRESS_NOT_ALLOWED';
  constructor(
    readonly hostname: string,
    readonly address: string,
    readonly refusal: AddressRefusal,
  ) {
    super(`${hostname} resolved to ${address} (${refusal.kind})`);
  }
}

/**
 * A `net.connect` lookup that resolves with `resolve` and, when `checked`, checks EVERY address against
 * the policy before any is connected to: a name with one private address among public ones is refused
 * whole, since the connection may pick any of them. The check runs on each new connection, after DNS,
 * so a name rebound to a private address between start and a refresh is caught. `localhost` may resolve
 * to loopback: only an operator writes it (a redirect to it is refused before connecting, in `http.ts`).
 */
export function upstreamLookup(resolve: Resolver, checked = true): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (found) => {
        const wanted = options.family === 4 || options.family === 6 ? options.family : 0;
        const addresses = wanted ? found.filter((a) => a.family === wanted) : [...found];
        if (addresses.length === 0) {
          const error: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
          error.code = 'ENOTFOUND';
          return callback(error, '', 0);
        }
        const allowance = { allowPrivate: !checked, loopback: isLoopbackName(hostname) };
        for (const { address } of addresses) {
          const refusal = refusalOf(classifyAddress(address) ?? { kind: 'reserved' }, allowance);
          if (refusal) return callback(new AddressNotAllowedError(hostname, address, refusal), '', 0);
        }
        if (options.all)
          return callback(
            null,
            addresses.map((a) => ({ address: a.address, family: a.family })),
          );
        callback(null, addresses[0]!.address, addresses[0]!.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}

/**
 * Two keep-alive dispatchers (undici) shared by every source: one whose connections pass the address
 * policy after DNS, for every source by default, and one without the check, for sources that set
 * `allowPrivateAddresses`. Two pools rather than one: a pooled connection is checked once, when it is
 * made, so sources with different allowances must never share one.
 */
interface Dispatchers {
  readonly publicOnly: Agent;
  readonly any: Agent;
}

function createDispatchers(resolve: Resolver): Dispatchers {
  return {
    publicOnly: new Agent({ connect: { lookup: upstreamLookup(resolve) } }),
    any: new Agent({ connect: { lookup: upstreamLookup(resolve, false) } }),
  };
}

let dispatchers: Dispatchers = createDispatchers(systemResolver);

/** The dispatcher for a source: address-checked unless the source allows private addresses. */
export function upstreamDispatcher(allowPrivateAddresses: boolean): Agent {
  return allowPrivateAddresses ? dispatchers.any : dispatchers.publicOnly;
}

/**
 * Replaces the resolver behind both dispatchers (closing the old pools), e.g. in a test that plays a DNS
 * answering a private address; `systemResolver` restores the default.
 */
export function setUpstreamResolver(resolve: Resolver): void {
  const old = dispatchers;
  dispatchers = createDispatchers(resolve);
  void old.publicOnly.close().catch(() => undefined);
  void old.any.close().catch(() => undefined);
}
