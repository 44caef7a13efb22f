/** Issue 18, item 5: the address policy table, across the forms an address can be written in. */
import {
  classifyAddress,
  hostRefusal,
  isWrittenLoopback,
  refusalOf,
} from '../../../src/sources/address-policy';

const STRICT = { allowPrivate: false, loopback: false };
const WRITTEN = { allowPrivate: false, loopback: true };
const ALLOWED = { allowPrivate: true, loopback: false };

/** The hostname the WHATWG URL parser gives for a URL host, as config load and fetches see it. */
const hostOf = (host: string) => new URL(`http://${host}/`).hostname;

describe('classifyAddress', () => {
  it.each([
    ['8.8.8.8', 'public'],
    ['1.1.1.1', 'public'],
    ['2606:4700:4700::1111', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private network'],
    ['172.16.0.1', 'private network'],
    ['172.31.255.255', 'private network'],
    ['192.168.1.1', 'private network'],
    ['fc00::1', 'private network'],
    ['fd12:3456::1', 'private network'],
    ['fec0::1', 'private network'],
    ['169.254.1.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['169.254.169.254', 'cloud metadata'],
    ['fd00:ec2::254', 'cloud metadata'],
    ['fd00:ec2:0:0:0:0:0:254', 'cloud metadata'],
    ['100.100.100.200', 'cloud metadata'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.254', 'carrier-grade NAT'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.10', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['2001:db8::1', 'reserved'],
    ['100::1', 'reserved'],
  ])('%s is %s', (address, kind) => {
    expect(classifyAddress(address)).toEqual({ kind });
  });

  it.each([
    // IPv4-mapped, in both spellings, of loopback, metadata, private and public addresses
    ['::ffff:127.0.0.1', 'loopback', '127.0.0.1'],
    ['::ffff:7f00:1', 'loopback', '127.0.0.1'],
    ['0:0:0:0:0:ffff:7f00:0001', 'loopback', '127.0.0.1'],
    ['::ffff:169.254.169.254', 'cloud metadata', '169.254.169.254'],
    ['::ffff:10.0.0.1', 'private network', '10.0.0.1'],
    ['::ffff:8.8.8.8', 'public', '8.8.8.8'],
    // IPv4-translated (RFC 6145)
    ['::ffff:0:7f00:1', 'loopback', '127.0.0.1'],
    // IPv4-compatible (deprecated)
    ['::127.0.0.1', 'loopback', '127.0.0.1'],
    ['::a00:1', 'private network', '10.0.0.1'],
    // NAT64 (RFC 6052)
    ['64:ff9b::a9fe:a9fe', 'cloud metadata', '169.254.169.254'],
    ['64:ff9b::192.168.0.1', 'private network', '192.168.0.1'],
    ['64:ff9b::808:808', 'public', '8.8.8.8'],
    // 6to4
    ['2002:7f00:1::', 'loopback', '127.0.0.1'],
    ['2002:a9fe:a9fe::1', 'cloud metadata', '169.254.169.254'],
    ['2002:808:808::1', 'public', '8.8.8.8'],
    // Teredo: the client's address is stored inverted in the last 32 bits
    ['2001:0:4136:e378:8000:63bf:f5ff:fffe', 'private network', '10.0.0.1'],
  ])('%s embeds %s (%s)', (address, kind, embedded) => {
    expect(classifyAddress(address)).toEqual({ kind, embedded });
  });

  it('refuses the local-use NAT64 prefix (RFC 8215), whose IPv4 address may be anywhere', () => {
    expect(classifyAddress('64:ff9b:1::a00:1')).toEqual({ kind: 'private network' });
  });

  it('gives null for anything that is not an IP address', () => {
    expect(classifyAddress('example.com')).toBeNull();
    expect(classifyAddress('localhost')).toBeNull();
  });
});

describe('hostRefusal: the forms a URL can write an address in', () => {
  it.each([
    // the WHATWG parser's normalisation of decimal, octal, hex and short IPv4 forms
    ['2852039166', '169.254.169.254', 'cloud metadata'],
    ['0xA9FEA9FE', '169.254.169.254', 'cloud metadata'],
    ['0251.0376.0251.0376', '169.254.169.254', 'cloud metadata'],
    ['0xa9.0xfe.0xa9.0xfe', '169.254.169.254', 'cloud metadata'],
    ['169.254.43518', '169.254.169.254', 'cloud metadata'],
    ['167772161', '10.0.0.1', 'private network'],
    ['0', '0.0.0.0', 'unspecified'],
    ['[::ffff:127.0.0.1]', '[::ffff:7f00:1]', 'loopback'],
    ['[::ffff:a9fe:a9fe]', '[::ffff:a9fe:a9fe]', 'cloud metadata'],
    ['[fd00:ec2::254]', '[fd00:ec2::254]', 'cloud metadata'],
    ['[fe80::1]', '[fe80::1]', 'link-local'],
    ['[64:ff9b::7f00:1]', '[64:ff9b::7f00:1]', 'loopback'],
  ])('http://%s/ (%s) is refused as %s', (written, host, kind) => {
    expect(hostOf(written)).toBe(host);
    expect(hostRefusal(hostOf(written), WRITTEN)).toMatchObject({ kind });
  });

  it('says what the address is and how to allow it, and no more', () => {
    expect(hostRefusal('10.0.0.1', STRICT)?.reason).toBe(
      "the source's address is not public (private network); set allowPrivateAddresses to allow it",
    );
    expect(hostRefusal('[::ffff:7f00:1]', WRITTEN)?.reason).toBe(
      "the source's address is not public (loopback, inside an IPv6 address); set allowPrivateAddresses to allow it",
    );
  });

  it('allows loopback written as such when the operator wrote it, and never when embedded', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '[::1]', 'localhost', 'LOCALHOST.', '2130706433'])
      expect(hostRefusal(hostOf(host), WRITTEN)).toBeNull();
    for (const host of ['127.0.0.1', '[::1]', 'localhost'])
      expect(hostRefusal(hostOf(host), STRICT)).toMatchObject({ kind: 'loopback' });
    expect(hostRefusal(hostOf('[::ffff:127.0.0.1]'), WRITTEN)).toMatchObject({ kind: 'loopback' });
    expect(isWrittenLoopback('[::1]')).toBe(true);
    expect(isWrittenLoopback('[::ffff:7f00:1]')).toBe(false);
  });

  it('refuses special-use names, which are never a public source', () => {
    for (const host of [
      'metadata.google.internal',
      'metadata',
      'printer.local',
      'db.localhost',
      'nas.home.arpa',
    ])
      expect(hostRefusal(host, WRITTEN)).toMatchObject({ kind: 'special-use name' });
  });

  it('leaves ordinary names to the connect-time check, and public addresses alone', () => {
    expect(hostRefusal('force.example', STRICT)).toBeNull();
    expect(hostRefusal('8.8.8.8', STRICT)).toBeNull();
    expect(hostRefusal('[2606:4700:4700::1111]', STRICT)).toBeNull();
  });

  it('allows everything under allowPrivateAddresses', () => {
    for (const host of ['169.254.169.254', '10.0.0.1', '[::ffff:127.0.0.1]', 'metadata.google.internal'])
      expect(hostRefusal(host, ALLOWED)).toBeNull();
    expect(refusalOf({ kind: 'multicast' }, ALLOWED)).toBeNull();
  });
});
