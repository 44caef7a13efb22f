import ipaddr from 'ipaddr.js';

/**
 * The one home of the policy on which network addresses a source may be fetched from. ipaddr.js parses
 * every written form and names its special range; only the table of which ranges are public is ours.
 *
 * Checked at start (a location's literal address or special name, see `hostRefusal`) and again at
 * connect time for every address a host name resolves to (see `upstream-dispatcher.ts`), so that a name
 * which resolves (or is rebound) to a private address is refused too.
 */

/** What an address is, as a refusal names it. `public` is the only kind fetched without an allowance. */
export type AddressKind =
  | 'public'
  | 'loopback'
  | 'private network'
  | 'link-local'
  | 'cloud metadata'
  | 'carrier-grade NAT'
  | 'unspecified'
  | 'multicast'
  | 'broadcast'
  | 'reserved'
  | 'special-use name';

/** The verdict on one address: its kind, and the IPv4 address it embeds when it is an IPv6 wrapper of one. */
export interface AddressVerdict {
  readonly kind: AddressKind;
  /** Set for IPv4-mapped, IPv4-compatible, NAT64, 6to4 and Teredo addresses: the embedded IPv4 address. */
  readonly embedded?: string;
}

/** A refusal, with the public reason (no address in it: the detail goes to logs only). */
export interface AddressRefusal {
  readonly kind: Exclude<AddressKind, 'public'>;
  readonly reason: string;
}

/**
 * Cloud instance-metadata endpoints (AWS, GCP, Azure, OpenStack: 169.254.169.254; AWS IPv6: fd00:ec2::254;
 * Alibaba: 100.100.100.200). Their ranges are refused anyway; naming them makes the refusal say why.
 */
const METADATA_ADDRESSES: ReadonlySet<string> = new Set([
  '169.254.169.254',
  'fd00:ec2::254',
  '100.100.100.200',
]);

/** ipaddr.js IPv4 range names to kinds. A range missing here (a future ipaddr.js's) is `reserved`. */
const IPV4_POLICY: Readonly<Record<string, AddressKind>> = {
  unicast: 'public',
  loopback: 'loopback',
  private: 'private network',
  linkLocal: 'link-local',
  carrierGradeNat: 'carrier-grade NAT',
  unspecified: 'unspecified',
  multicast: 'multicast',
  broadcast: 'broadcast',
  reserved: 'reserved',
  // Anycast services (AS112 reverse DNS, AMT relays): no source lives there.
  as112: 'reserved',
  amt: 'reserved',
};

/** ipaddr.js IPv6 range names to kinds; `embeds` ranges are judged by the IPv4 address inside them. */
const IPV6_POLICY: Readonly<Record<string, AddressKind | 'embeds'>> = {
  unicast: 'public',
  loopback: 'loopback',
  uniqueLocal: 'private network',
  deprecatedSiteLocal: 'private network',
  linkLocal: 'link-local',
  unspecified: 'unspecified',
  multicast: 'multicast',
  ipv4Mapped: 'embeds',
  rfc6145: 'embeds',
  rfc6052: 'embeds',
  '6to4': 'embeds',
  teredo: 'embeds',
};

/** Host names that are never a public source, whatever they resolve to (RFC 6761, RFC 8375, clouds). */
const SPECIAL_NAMES: ReadonlySet<string> = new Set(['metadata', 'metadata.google.internal', 'instance-data']);
const SPECIAL_SUFFIXES = ['.internal', '.local', '.localdomain', '.localhost', '.home.arpa', '.intranet'];

/** Classifies an IP address in any form ipaddr.js reads; null when `text` is not an IP address. */
export function classifyAddress(text: string): AddressVerdict | null {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  // A zone id (fe80::1%eth0) names an interface, not a different address.
  const unzoned = bare.includes('%') ? bare.slice(0, bare.indexOf('%')) : bare;
  // parse, not process: process would turn ::ffff:127.0.0.1 into 127.0.0.1, hiding the embedding.
  return ipaddr.isValid(unzoned) ? verdictOf(ipaddr.parse(unzoned)) : null;
}

function verdictOf(address: ipaddr.IPv4 | ipaddr.IPv6): AddressVerdict {
  if (METADATA_ADDRESSES.has(address.toNormalizedString()) || METADATA_ADDRESSES.has(address.toString()))
    return { kind: 'cloud metadata' };
  if (address.kind() === 'ipv4') return { kind: IPV4_POLICY[address.range()] ?? 'reserved' };
  const v6 = address as ipaddr.IPv6;
  const range = v6.range();
  const policy = IPV6_POLICY[range] ?? 'reserved';
  if (policy !== 'embeds') {
    const compatible = range === 'unicast' ? ipv4Compatible(v6) : null;
    return compatible ? embedding(compatible) : { kind: policy };
  }
  const bytes = v6.toByteArray();
  if (range === 'teredo') {
    // RFC 4380: the server's address in bits 32-63, the client's (inverted) in the last 32 bits.
    const server = new ipaddr.IPv4(bytes.slice(4, 8));
    const client = new ipaddr.IPv4(bytes.slice(12, 16).map((b) => b ^ 0xff));
    const serverVerdict = embedding(server);
    return serverVerdict.kind === 'public' ? embedding(client) : serverVerdict;
  }
  if (range === '6to4') return embedding(new ipaddr.IPv4(bytes.slice(2, 6)));
  // 64:ff9b:1::/48 (RFC 8215) is for local networks, with the IPv4 address anywhere in it.
  if (range === 'rfc6052' && (bytes[4] !== 0 || bytes[5] !== 0)) return { kind: 'private network' };
  // ::ffff:a.b.c.d, ::ffff:0:a.b.c.d, 64:ff9b::a.b.c.d: the last 32 bits.
  return embedding(new ipaddr.IPv4(bytes.slice(12, 16)));
}

/** The IPv4 address in a deprecated IPv4-compatible address (::a.b.c.d), which ipaddr.js calls unicast. */
function ipv4Compatible(address: ipaddr.IPv6): ipaddr.IPv4 | null {
  const bytes = address.toByteArray();
  return bytes.slice(0, 12).every((b) => b === 0) ? new ipaddr.IPv4(bytes.slice(12, 16)) : null;
}

function embedding(v4: ipaddr.IPv4): AddressVerdict {
  return { kind: verdictOf(v4).kind, embedded: v4.toString() };
}

/** Whether `hostname` is the loopback name (`localhost`), which an operator writes as plainly as 127.0.0.1. */
export function isLoopbackName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  return name === 'localhost';
}

/** Whether a URL host is loopback written as such: 127.0.0.0/8, [::1] or `localhost`. */
export function isWrittenLoopback(hostname: string): boolean {
  if (isLoopbackName(hostname)) return true;
  const verdict = classifyAddress(hostname);
  return verdict !== null && verdict.kind === 'loopback' && verdict.embedded === undefined;
}

/** What a check allows beyond public addresses. */
export interface AddressAllowance {
  /** The source's `allowPrivateAddresses`: every address is allowed. */
  readonly allowPrivate: boolean;
  /** Loopback is allowed when the operator wrote it (127.0.0.1, [::1], localhost), never when embedded. */
  readonly loopback: boolean;
}

/** The refusal of one verdict under an allowance, or null when it is allowed. */
export function refusalOf(verdict: AddressVerdict, allowance: AddressAllowance): AddressRefusal | null {
  if (verdict.kind === 'public' || allowance.allowPrivate) return null;
  if (verdict.kind === 'loopback' && allowance.loopback && verdict.embedded === undefined) return null;
  const kind = verdict.kind;
  const what = verdict.embedded === undefined ? kind : `${kind}, inside an IPv6 address`;
  return {
    kind,
    reason: `the source's address is not public (${what}); set allowPrivateAddresses to allow it`,
  };
}

/**
 * The refusal of a URL host that can be judged without DNS: an IP literal in any form, or a special-use
 * name. Null for an allowed literal and for any ordinary name (judged at connect time, after DNS).
 */
export function hostRefusal(hostname: string, allowance: AddressAllowance): AddressRefusal | null {
  const verdict = classifyAddress(hostname);
  if (verdict) return refusalOf(verdict, allowance);
  if (isLoopbackName(hostname)) return refusalOf({ kind: 'loopback' }, allowance);
  const name = hostname.toLowerCase().replace(/\.$/, '');
  if (SPECIAL_NAMES.has(name) || SPECIAL_SUFFIXES.some((suffix) => name.endsWith(suffix)))
    return refusalOf({ kind: 'special-use name' }, allowance);
  return null;
}
