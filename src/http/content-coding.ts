import zlib from 'node:zlib';
import Negotiator from 'negotiator';
import { memoByString } from './string-memo';

/** The content codings a built response is sent in (RFC 9110 §8.4.1). */
export type ContentCoding = 'br' | 'gzip' | 'identity';

/** Codings this gateway offers, best first: brotli is smaller than gzip at the same cost here. */
const OFFERED: readonly ContentCoding[] = ['br', 'gzip', 'identity'];

/**
 * Bodies shorter than this go uncompressed: below about a kilobyte the coding's framing eats most of the
 * saving, and a small error or empty feed is not worth a decoder's time.
 */
export const MIN_COMPRESSED_BYTES = 1024;

/**
 * Brotli quality for built bodies. A body is compressed once and then served to every poller until the
 * next snapshot (at most a second later), so the cost is per body, not per request; on the 19 KB
 * national feed quality 5 took about 0.1 ms and gave 92 % of quality 11's saving, which took 22 ms
 * (`zlib.brotliCompressSync`, this machine). gzip keeps zlib's default level 6.
 */
const BROTLI_QUALITY = 5;

/** The coding for one Accept-Encoding value, negotiated once per distinct value (pollers repeat theirs). */
const codingFor = memoByString(
  (header: string): ContentCoding => {
    const negotiator = new Negotiator({ headers: { 'accept-encoding': header } });
    // negotiator 1.x takes the tie-break order as a second argument its type definitions do not yet list.
    const encodings = negotiator.encodings.bind(negotiator) as (
      available: readonly string[],
      options: { preferred: readonly string[] },
    ) => string[];
    return (encodings(OFFERED, { preferred: OFFERED })[0] as ContentCoding | undefined) ?? 'identity';
  },
  { max: 64, maxLength: 256 },
);

/**
 * The coding to send a compressible body in, by the request's Accept-Encoding (q-values honoured via
 * `negotiator`; brotli preferred on a tie). No header, or nothing we offer acceptable, gives identity: a
 * server may always send a representation uncoded.
 */
export function chooseCoding(acceptEncoding: string | string[] | undefined): ContentCoding {
  if (acceptEncoding === undefined) return 'identity';
  return codingFor(Array.isArray(acceptEncoding) ? acceptEncoding.join(', ') : acceptEncoding);
}

/**
 * A built body and its compressed forms, each made on first request and then kept with the body (so a
 * feed is compressed once per build, not once per request). Bodies under `MIN_COMPRESSED_BYTES`, and those
 * that are already compressed (an .xlsx is a zip), are only ever sent as they are.
 */
export class CodedBody {
  private readonly coded = new Map<ContentCoding, Buffer>();

  constructor(
    /** The body as built. */
    readonly identity: Buffer,
    /** False for a format that is compressed already. */
    private readonly compressible = true,
  ) {}

  /** The coding this body goes out in for a request that accepts `wanted`. */
  codingFor(wanted: ContentCoding): ContentCoding {
    return this.compressible && this.identity.length >= MIN_COMPRESSED_BYTES ? wanted : 'identity';
  }

  /** The body in `coding` (one that `codingFor` gave). */
  bytes(coding: ContentCoding): Buffer {
    if (coding === 'identity') return this.identity;
    let body = this.coded.get(coding);
    if (!body) {
      body =
        coding === 'br'
          ? zlib.brotliCompressSync(this.identity, {
              params: {
                [zlib.constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
                [zlib.constants.BROTLI_PARAM_SIZE_HINT]: this.identity.length,
              },
            })
          : zlib.gzipSync(this.identity);
      this.coded.set(coding, body);
    }
    return body;
  }
}
