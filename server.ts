// server.ts: a TCP echo server, the lesson's "Creando un Server Socket" written with Deno.
//
// Run the two ends in two terminals:
//   terminal 1:  deno run --allow-net server.ts        prints "listening on 0.0.0.0:21042"
//   terminal 2:  deno run --allow-net client.ts hola   prints the greeting, then "hola" sent back
//
// Every line a client sends (bytes up to "\n") comes back to it byte for byte. Comments give the
// lesson's step numbers; --explain prints each step as it happens. It speaks Spanish where the
// system does, English elsewhere (--lang es|en chooses). The chat room is chat_server.ts.
//
// Map: above the divider, the lesson: main() (flags, listen, the accept loop), serve() (greet,
// then read and send back each line), closeOnce() (close) and writeAll() (sendall). Below it, the
// mechanism: the line reader (buffers, their memory budget), refusals, the clients' records,
// admission (--max-clients, --max-per-address), --line-timeout, accept() failures, signals, the
// print queue, flags and error lines, the language, and last the MESSAGES table (every line for a
// person, es and en).

// Step 1, "import socket": Deno's sockets are built in; we import only a flag parser.
import { parseArgs } from "node:util";

async function main() {
  setLanguage(Deno.args); // --lang, or the system's: before anything can be printed
  const options = parseFlags(); // the flags, or --help, or a usage error (exit 2)
  // Step 2 (optional), gethostname(): only if --allow-sys=hostname was given (we ask: no prompt).
  const sys = Deno.permissions.querySync({ name: "sys", kind: "hostname" });
  const machine = sys.state === "granted" ? Deno.hostname() : undefined;
  // Step 3: the port, from --port (default 21042); the lesson picks one above 1024.
  const { host, port, backlog } = options;
  // Steps 4, 5 and 6 in one call: Deno.listen creates the socket, binds it and listens. The backlog
  // (the lesson's listen(n)) is how many connections the system holds until accept() takes them.
  let listener: Deno.TcpListener;
  try {
    listener = Deno.listen({ hostname: host, port, tcpBacklog: backlog });
  } catch (error) {
    cannotListen(error as Error, host, port); // one clear line, and exit 1
  }
  catchSignals(listener); // from now on Ctrl-C stops us cleanly, even right after the next line
  console.log(`listening on ${showAddress(listener.addr)}`); // for tools too: never translated
  tellListening(options, listener.addr, machine); // --explain's lines, and this machine's name
  // Step 7, accept(): take each client as it comes and serve it without waiting for the others.
  // serve() catches its own errors: one uncaught error would end the whole server.
  while (!stopping) {
    const conn = await listener.accept().then(accepted, cannotAccept); // undefined if it failed
    if (conn === undefined) continue;
    const client = newClient(conn); // its number (#1, #2, ...) names it in the trace
    const got = `${client.peer} (#${client.id})`;
    explain?.("step 7", "conn, addr = s.accept()", "await listener.accept()", got);
    serve(conn, client);
  }
}

// Step 8: serve one client, from accept() to close(): greet it, then send back each line it sends.
// A client over a limit (--max-clients, --max-per-address) gets one line saying which, and goes.
async function serve(conn: Deno.TcpConn, client: Client) {
  const refusal = await admit(client); // it may wait a moment, or make room (below the divider)
  log?.(refusal ? text.refused(client.peer, refusal) : text.connectionFrom(client.peer));
  const lines = new LineReader(conn, client); // TCP is a stream of bytes: this finds the lines
  let ending = text.closed;
  try {
    if (refusal) return await refuse(conn, client, refusal);
    await writeAll(conn, welcome, client); // the greeting: the same bytes for every client
    while (true) {
      const complete = await lines.next(); // recv() until "\n": every complete line so far
      if (complete === null) break; // the client is done, or went past a limit
      await writeAll(conn, complete, client); // send them back, byte for byte
    }
    if (lines.limit) await refuse(conn, client, lines.limit.why, lines.limit.told); // too long, say
    ending = lines.limit?.ending ?? text.closed;
  } catch (error) {
    ending = client.ending || text.closedAfterError((error as Error).name);
  } finally {
    lines.release(); // its memory back at once, for the other clients
    if (!stopping && !refusal) log?.(text.closedLog(ending, client));
    closeOnce(conn);
  }
}

// Step 9, close(). The client's end or Ctrl-C closes a connection; closing twice would throw.
function closeOnce(conn: Deno.TcpConn) {
  const client = clients.get(conn);
  if (!client) return;
  clients.delete(conn);
  explain?.(`step 9 #${client.id}`, "conn.close()", "conn.close()", client.peer);
  conn.close();
  leave(client); // its place under the limits is free again
}

// conn.write() may send only part of the buffer (like Python's send()), so loop until all of it
// is written: this is Python's sendall(). Its trace line comes as the call is made.
async function writeAll(conn: Deno.TcpConn, bytes: Uint8Array, client: Client) {
  if (bytes.length === 0) return;
  const deno = `conn.write() ${text.untilAllSent}`;
  explain?.(`step 8 #${client.id}`, "conn.sendall(data)", deno, `${bytes.length} bytes`);
  let written = 0;
  while (written < bytes.length) {
    client.writingAt = Date.now(); // for --line-timeout: a client that does not read
    written += await conn.write(bytes.subarray(written));
    client.writingAt = 0;
  }
}

// ---------------------------------------------------------------------------------------------
// The mechanism: what keeps the lesson's path short and the server safe. None of it is the lesson.

// TCP is a stream of bytes, not of messages: one read may hold half a line, or several. A
// LineReader's next() reads until it has complete lines and hands back all it has, up to the last
// "\n", in one piece (one write sends them back); the unfinished rest stays at the front of the
// buffer, and the next read goes in after it (it is never copied). At the end of the stream, an
// unfinished last piece is handed back as it is. A line longer than MAX_LINE, one that needs more
// room than the budget below leaves, or one unfinished past --line-timeout ends the connection:
// next() returns null, and `limit` says what to tell the client and the log.
const MAX_LINE = 64 * 1024; // longest line we keep in memory while waiting for its "\n"
const FIRST_SIZE = 256; // a reader's buffer size while it holds no unfinished line
const NEWLINE = 10; // the byte value of "\n"
const encoder = new TextEncoder();
type Limit = { why: string; ending: string; told?: boolean }; // what the client is told, the log
const timedOut = (): Limit => ({ // --line-timeout: endStalledLines() has told the client already
  why: text.lineUnfinished(limits.lineTimeout),
  ending: text.closedUnfinished(limits.lineTimeout),
  told: true,
});
class LineReader {
  buffer = new Uint8Array(FIRST_SIZE);
  memory?: ArrayBuffer; // once it grows: resizable, so resize(0) frees it at once
  kept = 0; // buffer[0, kept): bytes held, ending with the start of a line whose "\n" is to come
  handedOut = 0; // buffer[0, handedOut): the complete lines the last next() handed out
  lineStartAt = 0; // Date.now() when the unfinished line's first byte came
  full = false; // the last read filled the buffer
  done = false; // the stream ended, or a limit was passed
  limit?: Limit;
  constructor(readonly conn: Deno.TcpConn, readonly client: Client) {}

  // The complete lines that have come (one or more), or null at the end: the client closed its
  // side, or went past a limit (then `limit` says which).
  async next(): Promise<Uint8Array | null> {
    while (!this.done) {
      this.settle(); // the lines handed out last time are sent: room for more
      if (this.done) break;
      const { buffer, kept, client } = this;
      const count = await this.read();
      explain?.(
        `recv #${client.id}`,
        `conn.recv(${buffer.length - kept})`,
        "conn.read()",
        `${count ?? text.endOfStream}`,
      );
      if (client.timedOut) return this.stop(timedOut()); // told already: what came is not echoed
      if (count === null) return this.finish();
      const lines = this.take(count);
      if (lines) return lines;
    }
    return null;
  }

  // recv(): the next read, null when the client is done.
  async read(): Promise<number | null> {
    const { buffer, kept, client } = this;
    client.lineStartAt = kept > 0 ? this.lineStartAt : 0; // for --line-timeout
    client.readingAt = performance.now(); // for admit(): a read that waits is an open client
    const count = await this.conn.read(kept === 0 ? buffer : buffer.subarray(kept));
    client.lineStartAt = client.readingAt = 0;
    return count;
  }

  // The new bytes are in: hand back the complete lines among them, if any.
  take(count: number): Uint8Array | undefined {
    const { buffer, kept, client } = this;
    client.bytes += count;
    client.heardAt = Date.now(); // for admit(): the longest idle makes room first
    const tooLong = kept + count > MAX_LINE ? longLineAt(buffer.subarray(0, kept + count)) : -1;
    if (tooLong !== -1) {
      this.stop({ why: text.lineTooLong(MAX_LINE), ending: text.closedLineTooLong });
      if (log) client.lines += countLines(buffer.subarray(0, tooLong));
      return buffer.subarray(0, tooLong); // the lines before it still go back
    }
    const received = buffer.subarray(kept, kept + count);
    const lastEnd = received.lastIndexOf(NEWLINE);
    if (lastEnd !== -1 || kept === 0) this.lineStartAt = Date.now(); // a new line starts in here
    this.full = kept + count === buffer.length;
    this.kept += count;
    if (lastEnd === -1) return;
    if (log) client.lines += countLines(received); // a search per line: only for the log line
    this.handedOut = kept + lastEnd + 1;
    return buffer.subarray(0, this.handedOut);
  }

  // Before the next read: the unfinished rest moves to the front; then the buffer goes back to
  // the small one when no unfinished line is kept, so that only unfinished lines hold memory (a
  // client idle after lines that filled the buffer exactly holds none), or doubles when the read
  // filled it and a line goes on, up to what a line may need.
  settle() {
    if (this.handedOut > 0) {
      this.buffer.copyWithin(0, this.handedOut, this.kept);
      this.kept -= this.handedOut;
      this.handedOut = 0;
    }
    const { buffer, kept, full } = this;
    if (kept === 0) {
      if (this.memory) this.shrink();
    } else if (full && (buffer.length < MAX_LINE || kept === buffer.length)) this.grow();
  }

  // Double the buffer, if all the grown buffers together stay under MAX_HELD; if not, a buffer
  // with room left reads on at its size, and a full one (its line needs more) ends the connection.
  grow() {
    const size = this.buffer.length;
    if (held + size > MAX_HELD) {
      if (this.kept < size) return;
      return this.stop({ why: text.heldTooMuch, ending: text.closedHeldTooMuch });
    }
    held += size;
    if (this.memory) this.memory.resize(size * 2); // the view on it grows too
    else {
      this.memory = new ArrayBuffer(size * 2, { maxByteLength: 2 * MAX_LINE });
      new Uint8Array(this.memory).set(this.buffer.subarray(0, this.kept));
      this.buffer = new Uint8Array(this.memory);
    }
  }

  shrink() {
    held -= this.buffer.length - FIRST_SIZE;
    this.memory?.resize(0);
    this.memory = undefined;
    this.buffer = new Uint8Array(FIRST_SIZE);
  }

  // The end of the stream: what is left (an unfinished line) goes back as it is, then null.
  finish(): Uint8Array | null {
    this.done = true;
    return this.kept > 0 ? this.buffer.subarray(0, this.kept) : null;
  }

  stop(limit: Limit): null {
    this.done = true;
    this.limit = limit;
    return null;
  }

  // Its memory given back, for the others and at once (once, when the connection ends).
  release() {
    held -= this.buffer.length - FIRST_SIZE;
    this.memory?.resize(0);
  }
}

// The memory budget for unfinished lines: all the buffers together grow by at most MAX_HELD bytes
// (docs/flags.md says why, and how a grown buffer gives its memory back).
const MAX_HELD = 64 * 1024 * 1024;
let held = 0; // bytes the grown buffers hold beyond FIRST_SIZE, in all

// Where the first line longer than MAX_LINE starts in bytes (finished or not; "\n" not counted),
// or -1. Only a read past MAX_LINE bytes needs this search, line by line.
function longLineAt(bytes: Uint8Array): number {
  let start = 0;
  for (let end = bytes.indexOf(NEWLINE); end !== -1; end = bytes.indexOf(NEWLINE, start)) {
    if (end - start > MAX_LINE) return start;
    start = end + 1;
  }
  return bytes.length - start > MAX_LINE ? start : -1;
}

// How many lines end in these bytes: a search per line, as costly as the echo itself.
function countLines(bytes: Uint8Array): number {
  let lines = 0;
  for (let at = bytes.indexOf(NEWLINE); at !== -1; at = bytes.indexOf(NEWLINE, at + 1)) lines++;
  return lines;
}

// A refusal: one line saying why, then we let the client finish sending before we close (at most
// 1 MiB or 2 s): closing a socket with unread data resets the connection, and the client could
// lose our line. The caller closes it (closeOnce).
const DISCARDED = new Uint8Array(16 * 1024); // one buffer for all: what it holds is never read
async function refuse(conn: Deno.TcpConn, client: Client, why: string, told = false) {
  if (!told) { // told already: only what the client still sends is taken (endStalledLines())
    await writeAll(conn, errorLine(why), client);
    conn.closeWrite();
  }
  const timer = setTimeout(() => closeOnce(conn), 2000);
  let discarded = 0;
  while (discarded < 1024 * 1024) {
    const count = await conn.read(DISCARDED).catch(() => null);
    if (count === null) break;
    discarded += count;
  }
  clearTimeout(timer);
}

// The line that tells a client why we close: "error: " in every language (tools key on it).
function errorLine(why: string): Uint8Array {
  return encoder.encode(`error: ${text.closing(why)}\n`);
}

// Every open connection, for stop() to close and for the limits (docs/flags.md says why loopback
// counts too), with what the mechanism needs to know of it.
type Client = ReturnType<typeof newClient>;
type Counts = { peer: string; lines: number; bytes: number }; // for the log line
const clients = new Map<Deno.TcpConn, Client>();
let lastId = 0;
function newClient(conn: Deno.TcpConn) {
  lastId++;
  const peer = showAddress(conn.remoteAddr);
  const { hostname } = conn.remoteAddr;
  // lineStartAt (Date.now() of an unfinished line's first byte, while a read waits) and writingAt
  // (when a waiting write began) are for --line-timeout; heardAt (the last byte's Date.now(), or
  // when it connected) and readingAt (performance.now() when the waiting read began) for admit().
  // Each is 0 when there is none. `ending` is set when the mechanism closes it, for the log;
  // `timedOut` when its unfinished line's time is up (endStalledLines()).
  const times = { lineStartAt: 0, writingAt: 0, heardAt: Date.now(), readingAt: 0 };
  const counts = { ending: "", lines: 0, bytes: 0 };
  const client = { id: lastId, conn, peer, hostname, ...counts, ...times, timedOut: false };
  clients.set(conn, client);
  return client;
}

// Admission: --max-clients and --max-per-address (docs/limits.md says why, rule by rule).
// - Only open connections count. One whose client closed counts until its read returns the end:
//   a storm of connect-and-close made an honest newcomer look like one too many. So before
//   refusing, admit() waits (SETTLE_MS at most) until a read of each connection it counts has
//   waited through three timers in a row, set after the read began, and none left during the
//   last: the second (of 1 ms at least) fires only after Deno has asked the system for news of
//   the sockets (a timer may fire late, with an older one, but not two in a row), by the third
//   the reads have it.
// - One person cannot fill the server: when it is full, the address holding the most connections
//   gives up its longest idle one (no byte received for longest, or since it connected), told
//   why, and the newcomer is served; only if that address holds at least two more than the
//   newcomer's, so that it gets fairer (a full server of one per address still refuses). Nobody is
//   closed to make room while there is room.
// admit() says why a newcomer is refused, or undefined if it is served (then it counts).
const SETTLE_MS = 3000; // at most: a busy machine may need seconds to read a storm's ends
const MIN_SETTLE_MS = 50; // at least: some turns of the event loop, for ends already on their way
const fromAddress = new Map<string, Set<Client>>(); // the admitted clients of each address
let admitted = 0; // admitted clients in all
let leaves = 0; // how many have left, ever
type Refusal = { flag: string; why: string };
async function admit(client: Client): Promise<string | undefined> {
  const giveUp = performance.now() + SETTLE_MS;
  const timers: number[] = []; // when each timer we waited for was set
  let left = leaves;
  while (true) {
    const over = overLimit(client.hostname);
    if (over === undefined) break;
    const idle = over.flag === "--max-clients" ? idlest(client.hostname) : undefined;
    if (idle) {
      makeRoom(idle, over.why);
      continue;
    }
    const mine = [fromAddress.get(client.hostname)!];
    const counted = over.flag === "--max-clients" ? fromAddress.values() : mine;
    const waited = timers.length >= 3 && performance.now() - timers[0] >= MIN_SETTLE_MS;
    const open = waited && left === leaves && allOpen(counted, timers.at(-3)!);
    if (stopping || open || performance.now() > giveUp) return over.why;
    left = leaves;
    const ms = [0, 1, 0][timers.length] ?? Math.min(2 ** timers.length, 100); // 1: see above
    timers.push(performance.now());
    await new Promise((resolve) => setTimeout(resolve, ms));
  }
  admitted++;
  fromAddress.set(client.hostname, (fromAddress.get(client.hostname) ?? new Set()).add(client));
}
// Its place under the limits is free again (a client that was never admitted had none).
function leave(client: Client) {
  const mine = fromAddress.get(client.hostname);
  if (!mine?.delete(client)) return;
  admitted--;
  leaves++;
  if (mine.size === 0) fromAddress.delete(client.hostname); // no address outlives its clients
}
// Which limit a newcomer from this address is over, if any, and the line that tells it so.
function overLimit(hostname: string): Refusal | undefined {
  const { perAddress, clients } = limits;
  if ((fromAddress.get(hostname)?.size ?? 0) >= perAddress) {
    return { flag: "--max-per-address", why: text.tooManyFrom(hostname, perAddress) };
  }
  if (admitted >= clients) return { flag: "--max-clients", why: text.tooManyClients(clients) };
}
// Whether a read of each of these clients has been waiting since before `since`.
function allOpen(groups: Iterable<Set<Client>>, since: number): boolean {
  const open = (client: Client) => client.readingAt > 0 && client.readingAt < since;
  return [...groups].every((group) => [...group].every(open));
}
// The longest idle client of the address holding the most, if that holds at least two more than
// the newcomer's address (see the rule above); the first such address if several hold as many.
function idlest(newcomer: string): Client | undefined {
  let most: Set<Client> | undefined;
  for (const group of fromAddress.values()) if (!most || group.size > most.size) most = group;
  if (!most || most.size < (fromAddress.get(newcomer)?.size ?? 0) + 2) return;
  let idle: Client | undefined;
  for (const client of most) if (!idle || client.heardAt < idle.heardAt) idle = client;
  return idle;
}
// Close a client to make room (`full` names the limit): its place is free at once; it gets one
// line saying why (unless a write to it waits: it does not read), then we close (2 s at most).
function makeRoom(client: Client, full: string) {
  const { conn, hostname } = client;
  const why = text.madeRoom(full, fromAddress.get(hostname)!.size, hostname);
  leave(client);
  client.ending = text.closedMadeRoom(limits.clients);
  const grace = setTimeout(() => closeOnce(conn), 2000);
  const told = client.writingAt === 0 ? writeAll(conn, errorLine(why), client) : Promise.resolve();
  told.catch(() => {}).finally(() => {
    clearTimeout(grace);
    closeOnce(conn);
  });
}

// --line-timeout: once a second, end the read of each connection whose unfinished line is not
// finished in time (its line reader stops, and serve() refuses it), and close each one whose write
// has waited that long (its client does not read what we send back).
function endStalledLines() {
  const { lineTimeout } = limits;
  for (const [conn, client] of clients) {
    if (client.writingAt !== 0 && Date.now() - client.writingAt >= lineTimeout * 1000) {
      client.ending = text.closedNotReading(lineTimeout);
      closeOnce(conn); // the waiting write fails, and serve() logs the ending
      continue;
    }
    if (client.lineStartAt === 0 || Date.now() - client.lineStartAt < lineTimeout * 1000) continue;
    client.lineStartAt = 0;
    client.timedOut = true; // its line reader stops when its read returns; serve() takes the rest
    client.ending = text.closedUnfinished(lineTimeout);
    sayWhileReading(conn, client, text.lineUnfinished(lineTimeout));
  }
}

// A refusal while the client's read still waits (one read at a time): the line and the end of our
// side now; that read, when it returns, ends the line reader, and serve() takes what the client
// still sends (refuse()) before it closes. Within 2 s in any case, for a client that sends nothing.
function sayWhileReading(conn: Deno.TcpConn, client: Client, why: string) {
  setTimeout(() => closeOnce(conn), 2000);
  writeAll(conn, errorLine(why), client).then(() => conn.closeWrite()).catch(() => closeOnce(conn));
}

// accept() fails for a client that reset before we took it (Deno says NotConnected): we go on at
// once. Out of file descriptors or memory is our own trouble: say so, wait a little, try again
// (while descriptors are scarce accept() fails again and again: said once, not every time).
let acceptFailing = false;
let lastAcceptFailure = 0; // Date.now() when accept() last failed
async function cannotAccept(error: Error): Promise<undefined> {
  const { NotConnected, ConnectionAborted, ConnectionReset } = Deno.errors;
  const clientsFault = [NotConnected, ConnectionAborted, ConnectionReset];
  if (stopping || clientsFault.some((kind) => error instanceof kind)) return;
  if (!acceptFailing && Date.now() - lastAcceptFailure > 1000) {
    printError(`server.ts: ${text.cannotAccept(error.message)}`);
    acceptFailing = true;
  }
  lastAcceptFailure = Date.now();
  await new Promise((resolve) => setTimeout(resolve, 100));
}
function accepted(conn: Deno.TcpConn) {
  if (acceptFailing) printError(`server.ts: ${text.acceptingAgain}`);
  acceptFailing = false;
  // Keepalive probes: a peer that vanished (no FIN, no RST) is found in time, the system says when.
  try {
    conn.setKeepAlive(true);
  } catch { /* it reset already: the first read says so */ }
  return conn;
}

// Ctrl-C (SIGINT) and SIGTERM call stop(): it closes the listener and every connection (step 9 for
// everyone), gives the output at most 1 s to be written, and exits 0. Under load Deno may run
// these listeners late (docs/stress.md), so an idle worker thread hears the signals too and sets a
// number in shared memory that a timer here (timers do run) looks at. The same timers check
// --line-timeout once a second.
let stopping = false;
function catchSignals(listener: Deno.Listener) {
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const seen = new Int32Array(new SharedArrayBuffer(4)); // the worker sets it to 1 on a signal
  const stop = async () => {
    if (stopping) return; // a second Ctrl-C: already stopping
    stopping = true;
    listener.close();
    for (const conn of clients.keys()) closeOnce(conn);
    const printed = Promise.all([stdout.printing, stderr.printing]);
    await Promise.race([printed, new Promise((resolve) => setTimeout(resolve, 1000))]);
    Deno.exit(0);
  };
  for (const signal of signals) Deno.addSignalListener(signal, stop);
  setInterval(() => {
    if (Atomics.load(seen, 0) === 1) stop();
  }, 50);
  setInterval(endStalledLines, 1000);
  setTimeout(() => { // the worker starts after the "listening on" line, so as not to delay it
    const url = `data:text/javascript,${encodeURIComponent(WATCHER)}`;
    const worker = new Worker(url, { type: "module" });
    worker.onerror = (event) => event.preventDefault(); // the listeners above still work
    worker.postMessage({ signals, seen });
  });
}
const WATCHER = "onmessage = ({ data }) => data.signals.forEach((signal) => " +
  "Deno.addSignalListener(signal, () => Atomics.store(data.seen, 0, 1)));";

// print(line) and printError(line): every line a server prints after "listening on" goes through
// here, stdout's and stderr's each through a queue of its own. console.log and console.error would
// stop the whole server while the terminal is paused or a pipe is full (stderr too: `2>&1 | less`);
// here at most one write per stream waits, lines queue up to 64 KiB behind it, and past that they
// are dropped and counted, and the count is printed as soon as that output moves again. (Before
// "listening on", a failure to start is said with console.error: the server exits right after.)
interface Output {
  stream: { write(bytes: Uint8Array): Promise<number> };
  queue: string[];
  queued: number; // characters in queue
  dropped: number; // lines dropped since this output last moved
  printing?: Promise<void>; // printAll() at work
}
const stdout: Output = { stream: Deno.stdout, queue: [], queued: 0, dropped: 0 };
const stderr: Output = { stream: Deno.stderr, queue: [], queued: 0, dropped: 0 };
const printError = (line: string) => print(line, stderr);
function print(line: string, output = stdout) {
  if (output.queued + line.length >= 64 * 1024) {
    output.dropped++;
    return;
  }
  output.queue.push(line);
  output.queued += line.length + 1;
  output.printing ??= printAll(output);
}
async function printAll(output: Output) {
  try {
    while (output.queue.length > 0) {
      const bytes = new TextEncoder().encode(output.queue.join("\n") + "\n");
      output.queue.length = 0;
      output.queued = 0;
      let written = 0;
      while (written < bytes.length) written += await output.stream.write(bytes.subarray(written));
      // The count goes in even when the queue is full again (print() would drop it too).
      if (output.dropped > 0) output.queue.push(stamp() + text.notPrinted(output.dropped));
      output.dropped = 0;
    }
  } catch {
    // nobody reads this output any more (closed pipe): serving matters more
  } finally {
    output.printing = undefined; // at once, not a tick later: a line meanwhile would wait forever
  }
}

// log?.(...) writes the event log, explain?.(...) the trace: each is undefined when its flag is
// off, and then ?. skips the call without even building its text.
let log: ((line: string) => void) | undefined;
let explain: ((step: string, python: string, deno: string, result: string) => void) | undefined;
let stamp = () => ""; // --timestamps: "@1767340800123.456 "
const limits = { clients: 1000, perAddress: 50, lineTimeout: 30 }; // docs/flags.md says why

// A trace line: "[TAG] python: CALL  deno: CALL -> what happened". The tag and the calls never
// change with the language. A Spanish line that would pass 100 columns goes on below, cut
// only before "deno:" or "->", never inside a call; the English keeps its one line, as tools and
// tests have always read it.
function traceLine(step: string, python: string, deno: string, result: string): string {
  const pieces = [`[${step}] python: ${python}`, `  deno: ${deno}`, ` -> ${result}`];
  if (language === "en") return pieces.join("");
  const lines = [pieces[0]];
  for (const piece of pieces.slice(1)) {
    const joined = lines.at(-1) + piece;
    if (joined.length <= 100) lines[lines.length - 1] = joined;
    else lines.push(" ".repeat(step.length + 3) + piece.trimStart());
  }
  return lines.join("\n");
}

// After "listening on": the trace of Deno.listen, and this machine's name (from gethostname()).
function tellListening(options: Options, address: Deno.NetAddr, machine: string | undefined) {
  const { host, port, backlog } = options;
  const python = `s = socket.socket(); s.bind(("${host}", ${port})); s.listen(${backlog})`;
  const deno = `Deno.listen({ hostname: "${host}", port: ${port}, tcpBacklog: ${backlog} })`;
  explain?.("steps 4-6", python, `${deno} ${text.fusesAllThree}`, showAddress(address));
  if (machine === undefined) return;
  print(`${stamp()}${text.thisMachine(machine)}`);
  explain?.("step 2", "socket.gethostname()", "Deno.hostname()", `"${machine}"`);
}

// Each flag, and whether it takes a value ("string") or is on or off ("boolean").
const LIMIT_FLAGS = ["max-clients", "max-per-address", "line-timeout"];
const WITH_VALUE = ["host", "port", "backlog", "lang", ...LIMIT_FLAGS];
const SWITCHES = ["quiet", "explain", "timestamps", "help"];
type Options = ReturnType<typeof parseFlags>;
function parseFlags() {
  const options: Record<string, { type: "string" | "boolean" }> = {};
  for (const flag of WITH_VALUE) options[flag] = { type: "string" };
  for (const flag of SWITCHES) options[flag] = { type: "boolean" };
  let flags;
  try {
    flags = parseArgs({ options }).values;
  } catch (error) {
    usageError(flagProblem(error as Error));
  }
  if (flags.lang !== undefined && !isLanguage(`${flags.lang}`)) usageError(text.badLang);
  if (flags.help) {
    console.log(text.usage);
    Deno.exit(0);
  }
  const now = () => (performance.timeOrigin + performance.now()).toFixed(3);
  if (flags.timestamps) stamp = () => `@${now()} `;
  if (!flags.quiet) log = (line) => print(stamp() + line);
  if (flags.explain) explain = (...said) => print(stamp() + traceLine(...said));
  const whole = (flag: string, fallback: number, min: number, max: number) =>
    parseWholeNumber(`${flags[flag] ?? fallback}`, `--${flag}`, min, max);
  limits.clients = whole("max-clients", limits.clients, 1, 1e6);
  limits.perAddress = whole("max-per-address", limits.perAddress, 1, 1e6);
  limits.lineTimeout = whole("line-timeout", limits.lineTimeout, 1, 86400);
  // The lesson's "" (every interface) is 0.0.0.0 here; an IPv6 address may come as [::1] or ::1.
  const host = `${flags.host || "0.0.0.0"}`.replace(/^\[(.*)\]$/, "$1");
  return { host, port: whole("port", 21042, 0, 65535), backlog: whole("backlog", 511, 0, 65535) };
}

// What was wrong with the flags, from node:util's error: in English its own words, as always; in
// Spanish ours.
function flagProblem(error: Error): string {
  const node = error.message;
  const option = node.match(/'(-[^' ]*)/)?.[1] ?? "";
  const code = (error as { code?: string }).code;
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return text.unknownOption(node, option);
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
    return text.unexpectedArgument(node, node.match(/'([^']*)'/)?.[1] ?? "");
  }
  if (node.endsWith("argument missing")) return text.missingValue(node, option);
  if (node.endsWith("does not take an argument")) return text.takesNoValue(node, option);
  if (node.includes("argument is ambiguous")) return text.dashValue(node, option);
  return node;
}

function parseWholeNumber(given: string, flag: string, min: number, max: number): number {
  if (!/^\d+$/.test(given) || Number(given) < min || Number(given) > max) {
    usageError(text.notWholeNumber(flag, min, max));
  }
  return Number(given);
}

function usageError(message: string): never {
  console.error(`server.ts: ${message}\n${text.usage}`);
  Deno.exit(2);
}

function fail(message: string): never {
  console.error(`server.ts: ${message}`);
  Deno.exit(1);
}

function showAddress({ hostname, port }: Deno.NetAddr): string {
  return hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`;
}

function cannotListen(error: Error, host: string, port: number): never {
  const { AddrInUse, NotCapable, PermissionDenied } = Deno.errors;
  if (error instanceof AddrInUse) fail(text.portInUse(port, host));
  if (error instanceof NotCapable) fail(text.noPermission(`${host}:${port}`));
  if (error instanceof PermissionDenied && port < 1024) fail(text.lowPort(port));
  fail(text.cannotListen(`${host}:${port}`, error.message));
}

// The language of every line for a person: --lang es|en, found before the flags are parsed (a
// usage error must already be in it), or else the system's: navigator.language "es-AR", or any
// "es", is Spanish; anything else, "und" included, English. A bad --lang is told in English.
type Language = "en" | "es";
let language: Language = "en";
let text: Texts<typeof MESSAGES>;
let welcome: Uint8Array; // the greeting, encoded once for every client
function setLanguage(args: string[]) {
  const flags = args.includes("--") ? args.slice(0, args.indexOf("--")) : args;
  const at = flags.findLastIndex((arg) => arg === "--lang" || arg.startsWith("--lang="));
  const given = at === -1 ? undefined : flags[at] === "--lang" ? flags[at + 1] : flags[at].slice(7);
  const system = navigator.language.toLowerCase().startsWith("es") ? "es" : "en";
  language = given === undefined ? system : isLanguage(given) ? given : "en";
  text = pickTexts(MESSAGES, language);
  welcome = encoder.encode(`${text.welcome}\n`);
}

function isLanguage(given: string): given is Language {
  return given === "en" || given === "es";
}

// Each entry's texts in one language. Every entry must have both, of the same type: a missing or
// mistyped translation fails deno check.
type Texts<M> = { [K in keyof M]: M[K] extends { en: infer E; es: unknown } ? E : never };
type BothLanguages<M> = { [K in keyof M]: M[K] extends { en: infer E } ? { en: E; es: E } : never };
function pickTexts<M extends BothLanguages<M>>(messages: M, language: Language): Texts<M> {
  const entries = Object.entries(messages as Record<string, Record<Language, unknown>>);
  return Object.fromEntries(entries.map(([key, both]) => [key, both[language]])) as Texts<M>;
}

// Every line for a person, English and Spanish side by side (--lang, or the system's language).
// Not here, because they never change: "listening on HOST:PORT", the "error: " that starts a
// refusal, the trace's tags and calls, and the names of flags, calls and errors.
export const MESSAGES = {
  usage: {
    en: `usage: deno run --allow-net server.ts [--host H] [--port P] [--backlog N] [--quiet]
         [--explain] [--timestamps] [--max-clients N] [--max-per-address N] [--line-timeout S]
         [--lang L] [--help]
  --host H             address to listen on (default 0.0.0.0: every interface, the lesson's "")
  --port P             port to listen on, 0 picks a free one (default 21042)
  --backlog N          connections the system may queue before we accept them (default 511)
  --quiet              do not log each connection
  --explain            print each of the lesson's steps as it happens
  --timestamps         start each line after the first with @ and the time (ms since 1970)
  --max-clients N      clients served at once, one more is told so and closed (default 1000)
  --max-per-address N  clients served at once from one address, loopback too (default 50)
  --line-timeout S     close a client that leaves a line unfinished S s after its first byte,
                       or does not read what we send for S s (default 30)
  --lang L             the language of the messages: es or en (default: the system's)`,
    es: `uso: deno run --allow-net server.ts [--host H] [--port P] [--backlog N] [--quiet]
         [--explain] [--timestamps] [--max-clients N] [--max-per-address N] [--line-timeout S]
         [--lang L] [--help]
  --host H             dirección donde escuchar (si no, 0.0.0.0: todas, el "" de la lección)
  --port P             puerto donde escuchar, 0 elige uno libre (si no, 21042)
  --backlog N          conexiones que el sistema guarda hasta que las aceptamos (si no, 511)
  --quiet              no anotar cada conexión
  --explain            mostrar cada paso de la lección mientras pasa
  --timestamps         empezar cada línea, menos la primera, con @ y la hora (ms desde 1970)
  --max-clients N      clientes atendidos a la vez; al que sobra se le avisa y se lo cierra
                       (si no, 1000)
  --max-per-address N  clientes atendidos a la vez desde una dirección, 127.0.0.1 también
                       (si no, 50)
  --line-timeout S     cerrar a un cliente que deja una línea sin terminar S s después de su
                       primer byte, o que no lee lo que le mandamos por S s (si no, 30)
  --lang L             el idioma de los mensajes: es o en (si no, el del sistema)`,
  },
  welcome: {
    en: "welcome: every line you send comes back to you",
    es: "bienvenido: cada línea que mandes vuelve a vos",
  },
  // The log.
  connectionFrom: {
    en: (peer: string) => `connection from ${peer}`,
    es: (peer: string) => `conexión de ${peer}`,
  },
  refused: {
    en: (peer: string, why: string) => `refused ${peer}: ${why}`,
    es: (peer: string, why: string) => `rechazada ${peer}: ${why}`,
  },
  closedLog: {
    en: (ending: string, { peer, lines, bytes }: Counts) =>
      `${ending} ${peer}: ${lines} ${lines === 1 ? "line" : "lines"}, ${bytes} bytes`,
    es: (ending: string, { peer, lines, bytes }: Counts) =>
      `${ending} ${peer}: ${lines} ${lines === 1 ? "línea" : "líneas"}, ${bytes} bytes`,
  },
  closed: { en: "closed", es: "cerrada" },
  closedLineTooLong: { en: "closed (line too long)", es: "cerrada (línea demasiado larga)" },
  closedHeldTooMuch: {
    en: "closed (server holding too many unfinished lines)",
    es: "cerrada (el servidor tenía demasiadas líneas sin terminar)",
  },
  closedAfterError: {
    en: (name: string) => `closed after an error (${name})`,
    es: (name: string) => `cerrada tras un error (${name})`,
  },
  closedMadeRoom: {
    en: (max: number) => `closed (made room, --max-clients ${max})`,
    es: (max: number) => `cerrada (para hacer lugar, --max-clients ${max})`,
  },
  closedNotReading: {
    en: (seconds: number) => `closed (not reading, --line-timeout ${seconds})`,
    es: (seconds: number) => `cerrada (no leía, --line-timeout ${seconds})`,
  },
  closedUnfinished: {
    en: (seconds: number) => `closed (unfinished line, --line-timeout ${seconds})`,
    es: (seconds: number) => `cerrada (línea sin terminar, --line-timeout ${seconds})`,
  },
  thisMachine: {
    en: (name: string) => `this machine is ${name}`,
    es: (name: string) => `esta máquina se llama ${name}`,
  },
  notPrinted: {
    en: (count: number) => `(${count} lines not printed: output was not being read)`,
    es: (count: number) => `(${count} líneas sin mostrar: nadie leía la salida)`,
  },
  cannotAccept: {
    en: (why: string) => `cannot accept (${why}); retrying`,
    es: (why: string) => `no se pudo aceptar (${why}); vuelvo a probar`,
  },
  acceptingAgain: { en: "accepting again", es: "acepto de nuevo" },
  // What a client is told, after "error: ".
  closing: {
    en: (why: string) => `${why}, closing`,
    es: (why: string) => `${why}, cierro la conexión`,
  },
  tooManyFrom: {
    en: (hostname: string, max: number) =>
      `too many connections from ${hostname} (--max-per-address ${max})`,
    es: (hostname: string, max: number) =>
      `demasiadas conexiones desde ${hostname} (--max-per-address ${max})`,
  },
  tooManyClients: {
    en: (max: number) => `too many clients (--max-clients ${max})`,
    es: (max: number) => `demasiados clientes (--max-clients ${max})`,
  },
  madeRoom: {
    en: (full: string, count: number, hostname: string) =>
      `${full}: made room for a newcomer by closing the longest idle of the ${count} ` +
      `connections from ${hostname} (the most from one address)`,
    es: (full: string, count: number, hostname: string) =>
      `${full}: hice lugar para alguien nuevo cerrando la más inactiva de las ${count} ` +
      `conexiones desde ${hostname} (la dirección con más)`,
  },
  lineTooLong: {
    en: (max: number) => `line longer than ${max} bytes`,
    es: (max: number) => `línea de más de ${max} bytes`,
  },
  heldTooMuch: {
    en: "the server is holding too many unfinished lines",
    es: "el servidor tiene demasiadas líneas sin terminar",
  },
  lineUnfinished: {
    en: (seconds: number) => `line unfinished for ${seconds} s (--line-timeout)`,
    es: (seconds: number) => `línea sin terminar durante ${seconds} s (--line-timeout)`,
  },
  // Starting: the flags, and listening.
  badLang: { en: "--lang must be es or en", es: "--lang tiene que ser es o en" },
  unknownOption: {
    en: (node: string, _option: string) => node,
    es: (_node: string, option: string) => `no existe la opción '${option}'`,
  },
  unexpectedArgument: {
    en: (node: string, _argument: string) => node,
    es: (_node: string, argument: string) =>
      `sobra '${argument}': server.ts no lleva argumentos, solo opciones`,
  },
  missingValue: {
    en: (node: string, _option: string) => node,
    es: (_node: string, option: string) => `a '${option}' le falta su valor`,
  },
  takesNoValue: {
    en: (node: string, _option: string) => node,
    es: (_node: string, option: string) => `'${option}' no lleva valor`,
  },
  dashValue: {
    en: (node: string, _option: string) => node,
    es: (_node: string, option: string) =>
      `¿te olvidaste el valor de '${option}'? Si empieza con "-", escribilo pegado: ` +
      `${option}=-XYZ`,
  },
  notWholeNumber: {
    en: (flag: string, min: number, max: number) =>
      `${flag} must be a whole number from ${min} to ${max}`,
    es: (flag: string, min: number, max: number) =>
      `${flag} tiene que ser un número entero de ${min} a ${max}`,
  },
  portInUse: {
    en: (port: number, host: string) =>
      `port ${port} is already in use on ${host}: stop the other server, or pick another port ` +
      "with --port",
    es: (port: number, host: string) =>
      `el puerto ${port} ya está en uso en ${host}: pará el otro servidor, o elegí otro puerto ` +
      "con --port",
  },
  noPermission: {
    en: (address: string) =>
      `no permission to listen on ${address}: run with --allow-net=${address}`,
    es: (address: string) =>
      `no hay permiso para escuchar en ${address}: corré con --allow-net=${address}`,
  },
  lowPort: {
    en: (port: number) =>
      `port ${port} needs administrator rights (ports below 1024 do): pick one above 1024, such ` +
      "as 21042",
    es: (port: number) =>
      `el puerto ${port} pide permisos de administrador (los menores que 1024 los piden): ` +
      "elegí uno mayor que 1024, como 21042",
  },
  cannotListen: {
    en: (address: string, why: string) => `cannot listen on ${address}: ${why}`,
    es: (address: string, why: string) => `no se puede escuchar en ${address}: ${why}`,
  },
  // The trace's words; the calls around them are in the code, the same in both languages.
  fusesAllThree: { en: "fuses all three", es: "hace los tres" },
  untilAllSent: { en: "until all is sent", es: "hasta mandar todo" },
  endOfStream: { en: "null: end of stream", es: "null: fin de los datos" },
};

if (import.meta.main) await main();
