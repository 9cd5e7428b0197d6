// Network plumbing for `deno task probar`: every wait has a deadline, so that no server or client
// under test, however wrong, can make the checker wait for ever.

export const encode = (text: string) => new TextEncoder().encode(text);

/**
 * How a wait ended without what it waited for: the peer closed (end of stream), reset, time ran
 * out, or the peer sent more than we keep without it ("full": it floods us).
 */
export type End = "eof" | "reset" | "timeout" | "full";

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Race `promise` against a timer (always cleared): its value, or `fallback` after `ms`. */
export async function within<T, F>(promise: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  promise.catch(() => {}); // settled later, its failure is never unhandled
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<F>((resolve) => timer = setTimeout(() => resolve(fallback), Math.max(0, ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const all = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  return all;
}

export function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** Where `needle` starts in `hay` (from `from`), or -1. */
export function indexOf(hay: Uint8Array, needle: Uint8Array, from = 0): number {
  if (needle.length === 0) return from;
  for (let i = hay.indexOf(needle[0], from); i !== -1; i = hay.indexOf(needle[0], i + 1)) {
    if (i + needle.length > hay.length) return -1;
    let j = 1;
    while (j < needle.length && hay[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
  }
  return -1;
}

export function countNewlines(bytes: Uint8Array): number {
  let count = 0;
  for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) count++;
  return count;
}

/**
 * Bytes as a student can read them: text as it is, `\n`, `\r`, `\t` and `\\` escaped, any byte
 * that is not part of valid UTF-8 (or is a control character) as `\xNN`; at most `most`
 * characters, then `...`. Quoted, so that an empty or blank excerpt is still visible.
 */
export function excerpt(bytes: Uint8Array, most = 60): string {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const escapes: Record<string, string> = {
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\\": "\\\\",
    '"': '\\"',
  };
  const hex = (byte: number) => `\\x${byte.toString(16).padStart(2, "0")}`;
  let out = "";
  let i = 0;
  for (let shown = 0; i < bytes.length && shown < most; shown++) {
    const byte = bytes[i];
    const size = byte < 0x80 ? 1 : byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc2 ? 2 : 0;
    let char: string | undefined;
    if (size > 0 && i + size <= bytes.length) {
      try {
        char = decoder.decode(bytes.subarray(i, i + size));
      } catch { /* not valid UTF-8: shown byte by byte */ }
    }
    if (char === undefined) {
      out += hex(byte);
      i++;
      continue;
    }
    i += size;
    const code = char.codePointAt(0)!;
    if (escapes[char]) out += escapes[char];
    else if (code < 0x20 || code === 0x7f) out += hex(code);
    else if (code >= 0x80 && code < 0xa0) out += `\\u{${code.toString(16)}}`;
    else out += char;
  }
  return `"${out}${i < bytes.length ? "..." : ""}"`;
}

/** Parse `HOST:PORT` (IPv6 as `[::1]:PORT`); undefined if it is not one. */
export function parseAddress(text: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([^\]]+)\]|([^\s:\[\]]+)):(\d{1,5})$/.exec(text.trim());
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: match[1] ?? match[2], port };
}

export function showAddress(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The most bytes a connection keeps unread: a peer that floods us cannot fill the memory. */
const MOST = 4 * 1024 * 1024;

/** Why a connection could not be made: nothing listens (refused), or nobody answers in time. */
export class CannotConnect extends Error {
  constructor(readonly why: "refused" | "timeout" | "unreachable" | "name", message: string) {
    super(message);
  }
}

/**
 * One TCP connection of the checker, with bounded reads. Every byte read stays in `received`
 * until a check takes it; a read still pending when its deadline passed is kept, so that no byte
 * is lost and no two reads run at once.
 */
export class Peer {
  /** Set once the peer has ended the stream (eof) or reset it. */
  ended: "eof" | "reset" | undefined;
  #parts: Uint8Array[] = [];
  #pending: Promise<Uint8Array | null | "reset"> | undefined;
  #closed = false;

  constructor(readonly conn: Deno.TcpConn) {}

  static async open(host: string, port: number, ms: number): Promise<Peer> {
    try {
      const conn = await Deno.connect({ hostname: host, port, signal: AbortSignal.timeout(ms) });
      return new Peer(conn);
    } catch (error) {
      const e = error as Error;
      if (e instanceof Deno.errors.NotCapable) throw error;
      if (e instanceof Deno.errors.ConnectionRefused || e instanceof Deno.errors.ConnectionReset) {
        throw new CannotConnect("refused", e.message);
      }
      if (e.name === "TimeoutError" || e instanceof Deno.errors.TimedOut) {
        throw new CannotConnect("timeout", e.message);
      }
      if (/unreachable|no route/i.test(e.message)) {
        throw new CannotConnect("unreachable", e.message);
      }
      throw new CannotConnect("name", e.message);
    }
  }

  /** The bytes read and not yet taken. */
  get received(): Uint8Array {
    if (this.#parts.length > 1) this.#parts = [concat(this.#parts)];
    return this.#parts[0] ?? new Uint8Array(0);
  }

  /** Read once more within `ms`: false when nothing came in time. */
  async #fill(ms: number): Promise<boolean> {
    if (this.ended) return true;
    if (!this.#pending) {
      const buffer = new Uint8Array(64 * 1024);
      this.#pending = this.conn.read(buffer).then(
        (n) => n === null ? null : buffer.slice(0, n),
        () => "reset" as const, // ConnectionReset, or any failure of the stream: it is over
      );
    }
    const got = await within(this.#pending, ms, "timeout" as const);
    if (got === "timeout") return false;
    this.#pending = undefined;
    if (got === null) this.ended = "eof";
    else if (got === "reset") this.ended = "reset";
    else this.#parts.push(got);
    return true;
  }

  /**
   * Read until `done(received)` holds, the peer ends the stream, or `ms` pass; or until MOST bytes
   * wait unread (a peer that floods us is not kept in memory without end: then "full").
   */
  async until(done: (received: Uint8Array) => boolean, ms: number): Promise<"done" | End> {
    const deadline = Date.now() + ms;
    while (!done(this.received)) {
      if (this.ended) return this.ended;
      if (this.received.length >= MOST) return "full";
      if (!await this.#fill(deadline - Date.now())) return "timeout";
    }
    return "done";
  }

  /** The next bytes (taken), or how the wait ended: for large amounts, read piece by piece. */
  async next(ms: number): Promise<Uint8Array | End> {
    if (this.#parts.length === 0) {
      if (this.ended) return this.ended;
      if (!await this.#fill(ms)) return "timeout";
      if (this.#parts.length === 0) return this.ended!;
    }
    return this.#parts.shift()!;
  }

  /** Read until the peer ends the stream, or `ms` pass, or MOST bytes wait unread ("full"). */
  async end(ms: number): Promise<End> {
    const deadline = Date.now() + ms;
    while (!this.ended) {
      if (this.received.length >= MOST) return "full";
      if (!await this.#fill(deadline - Date.now())) return "timeout";
    }
    return this.ended;
  }

  /** Take the first `count` bytes received (all by default). */
  take(count?: number): Uint8Array {
    const all = this.received;
    const taken = all.slice(0, count ?? all.length);
    this.#parts = taken.length < all.length ? [all.slice(taken.length)] : [];
    return taken;
  }

  /** Write all of `bytes` within `ms`; false if the peer did not take them in time or is gone. */
  async write(bytes: Uint8Array, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    let written = 0;
    while (written < bytes.length) {
      const wrote = await within(
        this.conn.write(bytes.subarray(written)).catch(() => -1),
        deadline - Date.now(),
        -2,
      );
      if (wrote < 0) return false;
      written += wrote;
    }
    return true;
  }

  /** The lesson's shutdown(SHUT_WR): the peer reads end of stream; we can still read. */
  closeWrite() {
    this.conn.closeWrite().catch(() => {});
  }

  /**
   * Write without reading until the peer stops taking more (its writes back to us then block: our
   * side holds unread bytes), or `most` bytes, or `ms`. Returns how much was written.
   */
  async flood(line: Uint8Array, most: number, ms: number): Promise<number> {
    let written = 0, progress = Date.now(), done = false;
    const chunk = new Uint8Array(Math.floor(64 * 1024 / line.length) * line.length);
    for (let at = 0; at < chunk.length; at += line.length) chunk.set(line, at);
    const writer = (async () => {
      while (written < most) {
        const wrote = await this.conn.write(chunk).catch(() => -1);
        if (wrote < 0) break;
        written += wrote;
        progress = Date.now();
      }
      done = true;
    })();
    const deadline = Date.now() + ms;
    while (!done && Date.now() - progress < 300 && Date.now() < deadline) await delay(50);
    if (done) await writer;
    return written;
  }

  /**
   * Close with bytes unread, as a client that crashes or is killed does: the system then answers
   * with a reset (RST). (Deno sends FIN first when nothing of ours waits to be sent: a server
   * blocked in recv() reads end of stream; one blocked in send() gets the reset.)
   */
  abort() {
    this.close();
  }

  close() {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.conn.close();
    } catch { /* already gone */ }
    this.#pending?.catch(() => {});
  }
}

/** A UDP socket of the checker; every receive is bounded, and none is lost between two waits. */
export class Udp {
  readonly socket: Deno.DatagramConn;
  #pending: Promise<[Uint8Array, Deno.NetAddr] | "closed"> | undefined;

  constructor(hostname: string, port = 0) {
    this.socket = Deno.listenDatagram({ transport: "udp", hostname, port });
  }

  get port(): number {
    return (this.socket.addr as Deno.NetAddr).port;
  }

  async send(bytes: Uint8Array, hostname: string, port: number): Promise<boolean> {
    try {
      await this.socket.send(bytes, { transport: "udp", hostname, port });
      return true;
    } catch {
      return false;
    }
  }

  /** The next datagram and who sent it, or undefined if none comes within `ms`. */
  async receive(ms: number): Promise<[Uint8Array, Deno.NetAddr] | undefined> {
    this.#pending ??= this.socket.receive().then(
      ([bytes, from]) => [bytes, from as Deno.NetAddr] as [Uint8Array, Deno.NetAddr],
      () => "closed" as const,
    );
    const got = await within(this.#pending, ms, undefined);
    if (got === undefined) return undefined;
    this.#pending = undefined;
    return got === "closed" ? undefined : got;
  }

  close() {
    try {
      this.socket.close();
    } catch { /* already closed */ }
    this.#pending?.catch(() => {});
  }
}
