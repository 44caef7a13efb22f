import zlib from 'node:zlib';
import { chooseCoding, CodedBody, MIN_COMPRESSED_BYTES } from '../../../src/http/content-coding';

describe('chooseCoding', () => {
  test.each([
    [undefined, 'identity'],
    ['', 'identity'],
    ['gzip, deflate, br, zstd', 'br'],
    ['gzip', 'gzip'],
    ['deflate', 'identity'],
    ['br;q=0, gzip', 'gzip'],
    ['gzip;q=1, br;q=0.5', 'gzip'],
    ['*', 'br'],
    ['*;q=0', 'identity'],
    ['identity', 'identity'],
    [['gzip', 'br'], 'br'],
    ['GZIP', 'gzip'],
    ['gzip;q=not-a-number', 'identity'],
  ])('Accept-Encoding %j gives %s', (header, coding) => {
    expect(chooseCoding(header as string | string[] | undefined)).toBe(coding);
  });
});

describe('CodedBody', () => {
  const text = Buffer.from(JSON.stringify({ rows: Array.from({ length: 200 }, (_, i) => ({ i, v: 'x' })) }));

  test('compresses once per body: the same bytes object on every later request', () => {
    const body = new CodedBody(text);
    const br = body.bytes('br');
    expect(body.bytes('br')).toBe(br);
    expect(zlib.brotliDecompressSync(br).equals(text)).toBe(true);
    const gz = body.bytes('gzip');
    expect(body.bytes('gzip')).toBe(gz);
    expect(zlib.gunzipSync(gz).equals(text)).toBe(true);
    expect(body.bytes('identity')).toBe(text);
  });

  test('small bodies and already-compressed formats go as they are', () => {
    expect(new CodedBody(Buffer.alloc(MIN_COMPRESSED_BYTES - 1, 'a')).codingFor('br')).toBe('identity');
    expect(new CodedBody(Buffer.alloc(MIN_COMPRESSED_BYTES, 'a')).codingFor('br')).toBe('br');
    expect(new CodedBody(text, false).codingFor('gzip')).toBe('identity');
  });
});
