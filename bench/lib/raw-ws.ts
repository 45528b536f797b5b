// A minimal WebSocket viewer for load generation: raw net.Socket, our own HTTP upgrade, unmasked server frames parsed
// straight from one shared read buffer. Far cheaper per message than the `ws` client; it only listens (and answers pings).
import { createHash, randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";

const wsGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const headerEnd = Buffer.from("\r\n\r\n");

/** Protocol problems seen by a pool of raw viewers; any non-zero value means the figures are suspect. */
export interface RawWsErrors {
  /** Handshakes refused or not a valid 101 (status, Sec-WebSocket-Accept). */
  handshake: number;
  /** Frames a server must not send: masked, fragmented, reserved bits or unknown opcodes. */
  badFrames: number;
  /** Close frames or sockets that closed while the pool was open. */
  closed: number;
  /** Socket errors after the handshake. */
  socketErrors: number;
}

export interface RawViewerOptions {
  readonly host: string;
  readonly port: number;
  /** Path and query, e.g. /v1/live?campaign=x. */
  readonly path: string;
  readonly localAddress?: string;
  /** Called with each complete text message: bytes [start, end) of buf, valid only during the call. */
  readonly onText: (viewer: number, buf: Buffer, start: number, end: number) => void;
}

/** What a viewer worker thread is given: where to connect, how many viewers, which source addresses. */
export interface ViewerThreadData {
  readonly host: string;
  readonly port: number;
  readonly path: string;
  readonly viewers: number;
  /** Viewers connect from 127.0.0.<first + i % addresses>, so many sockets do not share one source address. */
  readonly firstAddress: number;
  readonly addresses: number;
}

/** A viewer worker's first message: every connection attempted. */
export interface ViewersConnected {
  readonly type: "connected";
  readonly failed: number;
  readonly firstError: string | undefined;
}

/** One shared buffer for every socket of this thread: callbacks run one at a time and consume it synchronously. */
const readBuffer = Buffer.allocUnsafe(256 * 1024);

/**
 * A set of raw WebSocket viewers in this thread. connect() opens one and resolves once the upgrade succeeded
 * (or rejects); messages go to options.onText.
 */
export class RawViewerPool {
  readonly errors: RawWsErrors = { handshake: 0, badFrames: 0, closed: 0, socketErrors: 0 };
  /** Bytes read from every socket after its handshake (frames, headers included): the server's egress to this pool. */
  bytesReceived = 0;
  private readonly sockets: Socket[] = [];
  private closing = false;

  constructor(private readonly options: RawViewerOptions) {}

  get size(): number {
    return this.sockets.length;
  }

  /**
   * Opens `viewers` connections, `concurrency` handshakes at a time, from source addresses
   * 127.0.0.<firstAddress + i % addresses> (each source address has its own ephemeral ports). Never rejects.
   */
  async connectMany(
    viewers: number,
    spread: { readonly firstAddress: number; readonly addresses: number },
    concurrency: number,
  ): Promise<{ failed: number; firstError: string | undefined }> {
    let failed = 0;
    let firstError: string | undefined;
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(concurrency, viewers) }, async () => {
        while (next < viewers) {
          const i = next++;
          await this.connect(`127.0.0.${spread.firstAddress + (i % spread.addresses)}`).catch((err: Error) => {
            failed++;
            firstError ??= err.message;
          });
        }
      }),
    );
    return { failed, firstError };
  }

  connect(localAddress = this.options.localAddress, timeoutMs = 15_000): Promise<number> {
    const { host, port, path, onText } = this.options;
    const viewer = this.sockets.length;
    const key = randomBytes(16).toString("base64");
    const expectedAccept = createHash("sha1")
      .update(key + wsGuid)
      .digest("base64");
    const errors = this.errors;
    let pending: Buffer | undefined;
    let upgraded = false;
    let settle: ((err?: Error) => void) | undefined;
    const socket = connect({
      host,
      port,
      localAddress,
      noDelay: true,
      onread: {
        buffer: readBuffer,
        callback: (nread: number, buf: Uint8Array) => {
          let data = buf as Buffer;
          let start = 0;
          let end = nread;
          if (upgraded) this.bytesReceived += nread;
          if (pending !== undefined) {
            data = Buffer.concat([pending, data.subarray(0, nread)]);
            pending = undefined;
            end = data.length;
          }
          if (!upgraded) {
            const headEnd = data.indexOf(headerEnd, start);
            if (headEnd < 0 || headEnd >= end) {
              pending = Buffer.from(data.subarray(start, end));
              return true;
            }
            const head = data.toString("latin1", start, headEnd);
            const accept = /\r\nsec-websocket-accept:\s*(\S+)/i.exec(head)?.[1];
            if (!head.startsWith("HTTP/1.1 101") || accept !== expectedAccept) {
              errors.handshake++;
              settle?.(new Error(`upgrade refused: ${head.split("\r\n")[0]}`));
              socket.destroy();
              return false;
            }
            upgraded = true;
            settle?.();
            start = headEnd + 4;
          }
          // Frames: server frames are never masked; payload length 7, 7+16 or 7+64 bits.
          while (end - start >= 2) {
            const b0 = data[start]!;
            const b1 = data[start + 1]!;
            let len = b1 & 0x7f;
            let offset = start + 2;
            if (len === 126) {
              if (end - start < 4) break;
              len = data.readUInt16BE(start + 2);
              offset = start + 4;
            } else if (len === 127) {
              if (end - start < 10) break;
              len = Number(data.readBigUInt64BE(start + 2));
              offset = start + 10;
            }
            if (end - offset < len) break;
            const opcode = b0 & 0x0f;
            if ((b1 & 0x80) !== 0 || (b0 & 0x70) !== 0 || (b0 & 0x80) === 0) errors.badFrames++;
            else if (opcode === 1) onText(viewer, data, offset, offset + len);
            else if (opcode === 9) socket.write(maskedFrame(0x8a, data.subarray(offset, offset + len)));
            else if (opcode === 8) {
              if (!this.closing) errors.closed++;
              socket.end();
            } else if (opcode !== 10) errors.badFrames++;
            start = offset + len;
          }
          if (start < end) pending = Buffer.from(data.subarray(start, end));
          return true;
        },
      },
    });
    this.sockets.push(socket);
    socket.on("error", () => {
      if (upgraded) errors.socketErrors++;
      else settle?.(new Error("socket error before upgrade"));
    });
    socket.on("close", () => {
      if (upgraded && !this.closing) errors.closed++;
      else if (!upgraded) settle?.(new Error("closed before upgrade"));
    });
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        settle?.(new Error("upgrade timed out"));
      }, timeoutMs);
      settle = (err) => {
        settle = undefined;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(viewer);
      };
      socket.once("connect", () => {
        socket.write(
          `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        );
      });
    });
  }

  /** Sends a (masked) text frame from one viewer, e.g. a Socket.IO handshake or pong. */
  sendText(viewer: number, text: string): void {
    this.sockets[viewer]?.write(maskedFrame(0x81, Buffer.from(text)));
  }

  close(): void {
    this.closing = true;
    for (const socket of this.sockets) socket.destroy();
  }
}

/** A client frame (clients must mask), for pongs, close and short texts. */
function maskedFrame(firstByte: number, payload: Buffer): Buffer {
  const mask = randomBytes(4);
  const frame = Buffer.alloc(6 + payload.length);
  frame[0] = firstByte;
  if (payload.length > 125) throw new Error("client frames here are control-sized (at most 125 bytes)");
  frame[1] = 0x80 | payload.length;
  mask.copy(frame, 2);
  for (let i = 0; i < payload.length; i++) frame[6 + i] = payload[i]! ^ mask[i & 3]!;
  return frame;
}

/** The unsigned integer after `"<name>":` in buf[start, end), or -1. No JSON.parse: one indexOf and a digit loop. */
export function readIntField(buf: Buffer, start: number, end: number, needle: Buffer): number {
  const at = buf.indexOf(needle, start);
  if (at < 0 || at >= end) return -1;
  let value = 0;
  let i = at + needle.length;
  let digits = 0;
  for (; i < end; i++) {
    const c = buf[i]!;
    if (c < 48 || c > 57) break;
    value = value * 10 + (c - 48);
    digits++;
  }
  return digits === 0 ? -1 : value;
}

/** A decimal number (digits and one optional fraction) after `"<name>":`, or NaN. */
export function readNumberField(buf: Buffer, start: number, end: number, needle: Buffer): number {
  const at = buf.indexOf(needle, start);
  if (at < 0 || at >= end) return Number.NaN;
  const i = at + needle.length;
  let j = i;
  while (j < end && ((buf[j]! >= 48 && buf[j]! <= 57) || buf[j] === 46)) j++;
  return j === i ? Number.NaN : Number(buf.toString("latin1", i, j));
}

/** `"name":` as bytes, for readIntField / readNumberField. */
export const fieldNeedle = (name: string): Buffer => Buffer.from(`"${name}":`);

/** Epoch milliseconds with sub-millisecond precision, comparable across threads and processes of this machine. */
export const epochMs = (): number => performance.timeOrigin + performance.now();

/** `"at":"<ISO-8601 UTC with milliseconds>"` in buf[start, end) as epoch ms, or NaN; digits read in place, no Date.parse. */
export function readIsoField(buf: Buffer, start: number, end: number, needle: Buffer): number {
  const at = buf.indexOf(needle, start);
  if (at < 0 || at >= end) return Number.NaN;
  const i = at + needle.length + 1; // past the opening quote
  if (i + 24 > end || buf[i + 10] !== 84 || buf[i + 23] !== 90) return Number.NaN; // "T", "Z"
  const n = (from: number, digits: number) => {
    let v = 0;
    for (let k = from; k < from + digits; k++) v = v * 10 + (buf[k]! - 48);
    return v;
  };
  return Date.UTC(n(i, 4), n(i + 5, 2) - 1, n(i + 8, 2), n(i + 11, 2), n(i + 14, 2), n(i + 17, 2), n(i + 20, 3));
}
