// Byte I/O for the tests, every wait with a deadline: a read or write that does not finish in
// time fails the test with a message saying what was awaited, instead of hanging `deno task test`.
//
// All the reads of one connection go through one Reader (kept per connection), so that a read
// still pending when its deadline passed is not lost: the next read of that connection takes its
// bytes. Reads ask for no more bytes than they need (readLine one at a time, readBytes at most
// what is missing), so a test may still call conn.read() itself after them.

/** Resolve after `ms`: for a pace or a duration on purpose, never for "enough time for X". */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Wait for something that shows only by looking (a server's output, a count): until `done()` is
 * true, looking every `everyMs`; past `timeoutMs`, throw TimedOut saying `what` was awaited.
 */
export async function waitUntil(
  done: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 15_000,
  everyMs = 20,
) {
  const deadline = Date.now() + timeoutMs;
  while (!await done()) {
    if (Date.now() > deadline) throw new TimedOut(`${what} (waited ${timeoutMs} ms)`);
    await delay(everyMs);
  }
}

export const encode = (text: string) => new TextEncoder().encode(text);
export const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** Thrown when a wait passes its deadline. */
export class TimedOut extends Error {
  override name = "TimedOut";
}

/**
 * Race a promise against a timer (always cleared); past `ms`, throw TimedOut saying `what`. The
 * promise itself is left to settle on its own, and its failure is never unhandled.
 */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  promise.catch(() => {});
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new TimedOut(`${what} (waited ${ms} ms)`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const readers = new WeakMap<Deno.Conn, Reader>();

/** The reads of one connection: bytes read but not yet taken, and the read still under way. */
class Reader {
  #queue: Uint8Array[] = [];
  #pending: Promise<Uint8Array | null> | undefined;
  #ended = false;
  constructor(private conn: Deno.Conn) {}

  static of(conn: Deno.Conn): Reader {
    let reader = readers.get(conn);
    if (!reader) readers.set(conn, reader = new Reader(conn));
    return reader;
  }

  get buffered(): number {
    return this.#queue.reduce((sum, part) => sum + part.length, 0);
  }

  /**
   * Wait until at least one more byte is buffered (reading at most `most` bytes), or the peer
   * closed (false). Past `deadline` (a Date.now() value), throw TimedOut.
   */
  async fill(most: number, deadline: number, what: string): Promise<boolean> {
    if (this.#ended) return false;
    if (!this.#pending) {
      const buffer = new Uint8Array(Math.max(1, Math.min(most, 64 * 1024)));
      this.#pending = this.conn.read(buffer).then((n) => n === null ? null : buffer.slice(0, n));
      this.#pending.catch(() => {}); // a reset is reported to whoever awaits it, never unhandled
    }
    const got = await within(this.#pending, Math.max(0, deadline - Date.now()), what);
    this.#pending = undefined;
    if (got === null) {
      this.#ended = true;
      return false;
    }
    this.#queue.push(got);
    return true;
  }

  /** Take up to `most` buffered bytes. */
  take(most = Infinity): Uint8Array {
    const parts: Uint8Array[] = [];
    let total = 0;
    while (this.#queue.length > 0 && total < most) {
      const first = this.#queue[0];
      const part = first.subarray(0, most - total);
      if (part.length === first.length) this.#queue.shift();
      else this.#queue[0] = first.subarray(part.length);
      parts.push(part);
      total += part.length;
    }
    return concat(parts);
  }

  /** The buffered bytes, left in place. */
  peek(): Uint8Array {
    return concat(this.#queue);
  }

  /** Index of the first "\n" among the buffered bytes, or -1. */
  newline(): number {
    let at = 0;
    for (const part of this.#queue) {
      const found = part.indexOf(10);
      if (found !== -1) return at + found;
      at += part.length;
    }
    return -1;
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

/** Write all of `bytes` (conn.write() may write only part); fails after `timeoutMs`. */
export async function writeAll(conn: Deno.Conn, bytes: Uint8Array, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  let written = 0;
  while (written < bytes.length) {
    written += await within(
      conn.write(bytes.subarray(written)),
      Math.max(0, deadline - Date.now()),
      `write: ${written} of ${bytes.length} bytes taken by the peer`,
    );
  }
}

/** Read until `wanted` bytes have arrived or the peer closes; fails after `timeoutMs`. */
export async function readBytes(
  conn: Deno.Conn,
  wanted: number,
  timeoutMs = 20_000,
): Promise<Uint8Array> {
  const reader = Reader.of(conn);
  const deadline = Date.now() + timeoutMs;
  while (reader.buffered < wanted) {
    const have = reader.buffered;
    const what = `read: ${have} of ${wanted} bytes arrived (${preview(reader)})`;
    if (!await reader.fill(wanted - have, deadline, what)) break;
  }
  return reader.take(wanted);
}

/**
 * Read until the peer closes (bounded by `timeoutMs` and 256 MiB). Often started before the writes
 * it waits for: if one of them fails first, its own failure is never an unhandled rejection (which
 * would cancel every test of the file); whoever awaits it still gets it.
 */
export function readToEnd(conn: Deno.Conn, timeoutMs = 20_000): Promise<Uint8Array> {
  const reading = readBytes(conn, 256 * 1024 * 1024, timeoutMs);
  reading.catch(() => {});
  return reading;
}

/** Read one "\n"-ended line ("" once the peer has closed); fails after `timeoutMs`. */
export async function readLine(conn: Deno.Conn, timeoutMs = 10_000): Promise<string> {
  const reader = Reader.of(conn);
  const deadline = Date.now() + timeoutMs;
  // One byte at a time: a line is never read past its "\n" (for greetings and short replies).
  while (reader.newline() === -1) {
    const what = `no complete line arrived (so far ${preview(reader)})`;
    if (!await reader.fill(1, deadline, what)) return decode(reader.take());
  }
  return decode(reader.take(reader.newline() + 1));
}

/**
 * Expect nothing to arrive for `ms`: fails if bytes arrive or the peer closes. The read it starts
 * stays pending, and the next read of this connection takes its bytes.
 */
export async function expectNothing(conn: Deno.Conn, ms: number, why: string) {
  const reader = Reader.of(conn);
  if (reader.buffered > 0) throw new Error(`${why}: but ${preview(reader)} had arrived`);
  try {
    const more = await reader.fill(1, Date.now() + ms, "quiet");
    throw new Error(`${why}: but ${more ? preview(reader) + " arrived" : "the peer closed"}`);
  } catch (error) {
    if (!(error instanceof TimedOut)) throw error;
  }
}

/** Expect the peer to end the connection within `timeoutMs` (end of stream, or a reset). */
export async function expectClosed(conn: Deno.Conn, timeoutMs = 10_000, what = "the peer") {
  try {
    await readToEnd(conn, timeoutMs);
  } catch (error) {
    if (error instanceof TimedOut) {
      throw new Error(`${what} did not close the connection: ${error.message}`);
    }
    // ConnectionReset and the like: the peer did end it
  }
}

function preview(reader: Reader): string {
  const bytes = reader.peek();
  const text = JSON.stringify(decode(bytes.subarray(0, 80)));
  return `${bytes.length} bytes: ${text}${bytes.length > 80 ? "..." : ""}`;
}

/** Reads "\n"-ended lines from a connection, a chunk at a time (for long or many lines). */
export class LineReader {
  #reader: Reader;
  constructor(conn: Deno.Conn, private timeoutMs = 10_000) {
    this.#reader = Reader.of(conn);
  }

  /** The next line with its "\n", or "" once the peer has closed; fails after the timeout. */
  async next(timeoutMs = this.timeoutMs): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.#reader.newline() === -1) {
      const what = `no complete line arrived (${this.#reader.buffered} bytes so far)`;
      if (!await this.#reader.fill(64 * 1024, deadline, what)) return decode(this.#reader.take());
    }
    return decode(this.#reader.take(this.#reader.newline() + 1));
  }
}
