import zlib from 'node:zlib';
import { SourceError } from '../errors';
import type { ByteBudget, ByteLease } from './byte-budget';

/** Limits on reading one upstream body. */
export interface BodyLimits {
  /** Most bytes of one body, as sent and once decoded. */
  readonly maxBytes: number;
  /** Most decoded bytes per byte received, checked once `ratioAfterBytes` have been decoded. */
  readonly maxRatio: number;
  /** Decoded bytes before the ratio is checked: small bodies of repeated text compress well honestly. */
  readonly ratioAfterBytes: number;
  /** The process-wide budget the bytes this body holds are taken from. */
  readonly budget: ByteBudget;
}

/** How a body reader steers the HTTP response it reads. */
export interface BodyFlow {
  /** Stop reading from the socket (TCP back-pressure) until `resume`. */
  pause(): void;
  resume(): void;
  /** End the request: a limit was crossed, and nothing more of the body is wanted. */
  abort(error: SourceError): void;
}

/**
 * A brotli decoder allocates and fills a ring buffer as large as the window its stream declares (up to
 * 16 MiB, RFC 7932) as soon as a metablock says it will need it: measured, 40 bombs with a 16 MiB
 * window took 640 MB of RSS that no decoded byte accounted for. So the declared window is charged to
 * the budget when the stream's first byte arrives. zlib's inflate keeps a 32 KiB window.
 */
function brotliWindowBytes(firstByte: number): number {
  // RFC 7932 section 9.1: WBITS in the first bits of the stream, least significant bit first.
  if ((firstByte & 1) === 0) return 1 << 16;
  const n = (firstByte >> 1) & 7;
  if (n !== 0) return 1 << (17 + n);
  const m = (firstByte >> 4) & 7;
  if (m === 1) return 1 << 24; // large-window brotli: refused by the decoder anyway; charge the most
  return 1 << (m === 0 ? 17 : 8 + m);
}
const INFLATE_STATE_BYTES = 64 * 1024;

/**
 * Reads one upstream body as it streams in, decoding gzip, deflate and br chunk by chunk, and stops it
 * as soon as it crosses a limit: `maxBytes` as sent or decoded, the expansion ratio, or the shared byte
 * budget. Every byte it holds (raw bytes queued for the decoder, decoded chunks, the decoder's state) is
 * taken from the budget first and returned when the body ends in any way.
 */
export class BodyReader {
  /** The decoded body's bytes; rejects with a `SourceError`. */
  readonly bytes: Promise<Buffer>;
  private resolveBytes!: (bytes: Buffer) => void;
  private rejectBytes!: (error: SourceError) => void;
  private readonly lease: ByteLease;
  private readonly decoder: zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress | null;
  private readonly chunks: Buffer[] = [];
  private received = 0;
  private decoded = 0;
  private settled = false;

  constructor(
    encoding: string,
    private readonly limits: BodyLimits,
    private readonly flow: BodyFlow,
  ) {
    this.bytes = new Promise<Buffer>((resolve, reject) => {
      this.resolveBytes = resolve;
      this.rejectBytes = reject;
    });
    // A caller that has already failed may never read `bytes`; its rejection is handled through it.
    this.bytes.catch(() => undefined);
    this.lease = limits.budget.lease();
    this.decoder = decoderFor(encoding);
    if (this.decoder) {
      const decoder = this.decoder;
      if (!(decoder instanceof zlib.BrotliDecompress) && !this.lease.take(INFLATE_STATE_BYTES)) {
        this.stop(exhausted(limits.budget.capacity));
        return;
      }
      decoder.on('data', (chunk: Buffer) => this.accept(chunk));
      decoder.on('error', (error) => this.stop(unreadable(error.message)));
      decoder.on('end', () => this.finish());
    }
  }

  /** The decoded body as UTF-8 text; rejects as `bytes` does. */
  get text(): Promise<string> {
    return this.bytes.then((bytes) => bytes.toString('utf8'));
  }

  /** Takes the next chunk as sent. */
  write(chunk: Buffer): void {
    if (this.settled) return;
    this.received += chunk.byteLength;
    if (this.received > this.limits.maxBytes) return this.stop(tooLarge(this.limits.maxBytes));
    if (!this.decoder) return this.accept(chunk);
    // Raw bytes wait in the decoder's queue until it has read them: held, so charged until then.
    const size = chunk.byteLength;
    const window =
      this.received === size && this.decoder instanceof zlib.BrotliDecompress
        ? brotliWindowBytes(chunk[0]!)
        : 0;
    if (!this.lease.take(size + window)) return this.stop(exhausted(this.limits.budget.capacity));
    // Only the raw bytes come back when the decoder has read them; the window stays charged to the end.
    const more = this.decoder.write(chunk, () => this.lease.give(size));
    if (!more) {
      this.flow.pause();
      this.decoder.once('drain', () => this.flow.resume());
    }
  }

  /** The body has been sent whole. */
  end(): void {
    if (this.settled) return;
    if (this.decoder) this.decoder.end();
    else this.finish();
  }

  /** Ends the body with `error` from outside (the request failed, or the time budget ran out). */
  fail(error: SourceError): void {
    if (this.settled) return;
    this.settled = true;
    this.release();
    this.rejectBytes(error);
  }

  /** Bytes this body holds from the shared budget now (for tests). */
  get held(): number {
    return this.lease.held;
  }

  private accept(chunk: Buffer): void {
    if (this.settled) return;
    this.decoded += chunk.byteLength;
    const { maxBytes, maxRatio, ratioAfterBytes } = this.limits;
    if (this.decoded > maxBytes) return this.stop(tooLarge(maxBytes));
    // Against the compressed bytes the decoder has consumed, not those received: a bomb's whole body
    // arrives in a few chunks, and would let decoding run 100 times further than it should.
    const consumed = this.decoder ? Math.max(1, this.decoder.bytesWritten) : 0;
    if (this.decoder && this.decoded > ratioAfterBytes && this.decoded > consumed * maxRatio)
      return this.stop(tooExpanding(maxRatio));
    if (!this.lease.take(chunk.byteLength)) return this.stop(exhausted(this.limits.budget.capacity));
    this.chunks.push(chunk);
  }

  private finish(): void {
    if (this.settled) return;
    this.settled = true;
    const chunks = this.chunks;
    const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.decoded);
    this.release();
    this.resolveBytes(bytes);
  }

  /** Fails the body and ends the request. */
  private stop(error: SourceError): void {
    if (this.settled) return;
    this.fail(error);
    this.flow.abort(error);
  }

  private release(): void {
    this.chunks.length = 0;
    this.decoder?.destroy();
    this.lease.close();
  }
}

/** A streaming decoder for a Content-Encoding; null for identity and for encodings passed as they are. */
function decoderFor(encoding: string): zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress | null {
  if (encoding === 'gzip' || encoding === 'x-gzip') return zlib.createGunzip();
  if (encoding === 'deflate') return zlib.createInflate();
  if (encoding === 'br') return zlib.createBrotliDecompress();
  return null;
}

/** The body is over the per-fetch limit. */
export function tooLarge(maxBytes: number): SourceError {
  return new SourceError('UPSTREAM_INVALID_PAYLOAD', `the payload is larger than ${maxBytes} bytes`);
}

function tooExpanding(maxRatio: number): SourceError {
  return new SourceError(
    'UPSTREAM_INVALID_PAYLOAD',
    `the payload expands more than ${maxRatio} times when decompressed (a compression bomb); it was not read`,
  );
}

function exhausted(capacity: number): SourceError {
  return new SourceError(
    'UPSTREAM_INVALID_PAYLOAD',
    `the gateway is already holding ${capacity} bytes of source payloads at once (all sources together); this payload was not read`,
  );
}

/** The body could not be read (cut short, or not validly encoded). */
export function unreadable(detail: string | undefined): SourceError {
  return new SourceError('UPSTREAM_INVALID_PAYLOAD', 'the payload could not be read', detail);
}
