// chat_server.ts: a TCP chat room, the lesson's WhatsApp, written with Deno.
//
// Run the room and two clients in three terminals:
//   terminal 1:  deno run --allow-net chat_server.ts        prints "listening on 0.0.0.0:21042"
//   terminal 2:  deno run --allow-net client.ts --name Ana   type a line: Bo sees "Ana: ..."
//   terminal 3:  deno run --allow-net client.ts --name Bo
//
// Each line a client sends goes to every other client after the sender's name, which is the
// client's address until it sends "/name Ana". It is server.ts, relaying lines instead of echoing.

// Step 1, "import socket": Deno's sockets are built in; we import only a flag parser.
import { parseArgs } from "node:util";

async function main() {
  const options = parseFlags(); // plumbing, defined below the divider
  // Step 2 (optional), gethostname(): only if --allow-sys=hostname was given (we ask: no prompt).
  const sys = Deno.permissions.querySync({ name: "sys", kind: "hostname" });
  const machine = sys.state === "granted" ? Deno.hostname() : undefined;
  // Step 3: the port, from --port (default 21042); the lesson picks one above 1024.
  const { host, port, backlog } = options;
  // Steps 4, 5 and 6 in one call: Deno.listen creates the socket, binds it and listens. The backlog
  // (the lesson's listen(n)) is not how many clients we serve at once, but how many connections
  // the system may hold for us until accept() takes them: with a small one, a burst waits seconds.
  let listener: Deno.TcpListener;
  try {
    listener = Deno.listen({ hostname: host, port, tcpBacklog: backlog });
  } catch (error) {
    cannotListen(error as Error, host, port); // one clear line, and exit 1
  }
  catchSignals(listener); // from now on Ctrl-C stops us cleanly, even right after the next line
  const address = showAddress(listener.addr);
  console.log(`listening on ${address}`);
  explain?.(
    "steps 4-6",
    `python: s = socket.socket(); s.bind(("${host}", ${port})); s.listen(${backlog})  deno: ` +
      `Deno.listen({ hostname: "${host}", port: ${port}, tcpBacklog: ${backlog} }) ` +
      `fuses all three -> ${address}`,
  );
  if (machine !== undefined) {
    console.log(`this machine is ${machine}`);
    explain?.("step 2", `python: socket.gethostname()  deno: Deno.hostname() -> "${machine}"`);
  }

  // Step 7, accept(): take each client as it comes and serve it without waiting for the others.
  // serve() catches its own errors: one uncaught error would end the whole server.
  while (!stopping) {
    const conn = await listener.accept().then(accepted, cannotAccept); // undefined if it failed
    // Ctrl-C may come just as accept() returns: stop() has then closed every client but this one.
    if (stopping) conn?.close();
    if (stopping || conn === undefined) continue;
    openConnections.add(conn); // for stop() to close
    const peer = showAddress(conn.remoteAddr);
    explain?.(
      "step 7",
      `python: conn, addr = s.accept()  deno: await listener.accept() -> ${peer}`,
    );
    serve(conn, peer);
  }
}

// Step 8: serve one member, from accept() to close(): pass each line it sends on to the others.
async function serve(conn: Deno.TcpConn, peer: string) {
  log?.(`connection from ${peer}`);
  const counts = { lines: 0, bytes: 0 };
  let ending = "closed";
  const member = joinChat(conn, peer);
  try {
    ending = await readLines(conn, counts, (lines) => relayLines(member, lines));
  } catch (error) {
    ending = room.has(member) // queueFor() takes out a member that was too far behind
      ? `closed after an error (${(error as Error).name})`
      : "dropped (too far behind)";
  } finally {
    leaveChat(member, "left"); // closes the connection too
    const lines = `${counts.lines} ${counts.lines === 1 ? "line" : "lines"}`;
    if (!stopping) log?.(`${ending} ${peer}: ${lines}, ${counts.bytes} bytes`);
  }
}

// Step 9, close(). A member leaving, being dropped, or Ctrl-C closes a connection; closing it
// twice would throw.
function closeOnce(conn: Deno.TcpConn) {
  if (!openConnections.delete(conn)) return;
  conn.close();
  explain?.(
    "step 9",
    `python: conn.close()  deno: conn.close() -> ${showAddress(conn.remoteAddr)}`,
  );
}

// The room. Each member has a queue of what the others said that is not yet written to it. One
// slow reader must not stall the room, so passing a line on never waits for a socket: queueFor()
// adds to the queue, and flush() writes it out. A member with more than MAX_BEHIND bytes queued
// is not reading: we drop it rather than keep its messages without limit.
const MAX_BEHIND = 256 * 1024;
interface Member {
  conn: Deno.TcpConn;
  name: string;
  queue: Uint8Array[];
  queued: number; // bytes in the queue
  flushing: boolean; // flush() is writing the queue out
}
const room = new Set<Member>();

function joinChat(conn: Deno.TcpConn, peer: string): Member {
  const member: Member = { conn, name: peer, queue: [], queued: 0, flushing: false };
  room.add(member);
  const hint = 'send "/name NAME" to pick a name';
  queueFor(member, encoder.encode(`welcome to the chat, ${peer}: ${room.size} online; ${hint}\n`));
  tellOthers(member, `* ${peer} joined (${room.size} online)\n`);
  return member;
}

function leaveChat(member: Member, why: string) {
  if (!room.delete(member)) return; // already gone
  closeOnce(member.conn);
  if (!stopping) tellOthers(member, `* ${member.name} ${why} (${room.size} online)\n`);
}

// Each line goes to the others as "NAME: line"; a line "/name NAME" renames the sender. Control
// characters are taken out, so nobody can send terminal escape codes to the others' screens.
const decoder = new TextDecoder();
function relayLines(member: Member, lines: Uint8Array) {
  for (const line of decoder.decode(lines).replace(/\n$/, "").split("\n")) {
    const text = line.replace(/\p{Cc}/gu, "");
    const rename = text.match(/^\/name\s+(\S.*)$/);
    if (rename) {
      const newName = [...rename[1].trim()].slice(0, 32).join(""); // at most 32 characters
      tellOthers(member, `* ${member.name} is now ${newName}\n`);
      member.name = newName;
    } else {
      tellOthers(member, `${member.name}: ${text}\n`);
    }
  }
}

function tellOthers(from: Member, text: string) {
  const bytes = encoder.encode(text);
  for (const other of room) if (other !== from) queueFor(other, bytes);
}

function queueFor(member: Member, bytes: Uint8Array) {
  if (member.queued + bytes.length > MAX_BEHIND) {
    log?.(`dropping ${member.name}: ${member.queued} bytes it has not read`);
    leaveChat(member, "was disconnected: too far behind");
    return;
  }
  member.queue.push(bytes);
  member.queued += bytes.length;
  if (!member.flushing) flush(member);
}

async function flush(member: Member) {
  member.flushing = true;
  try {
    while (member.queue.length > 0 && room.has(member)) {
      const next = member.queue.shift()!;
      await writeAll(member.conn, next);
      member.queued -= next.length;
    }
  } catch {
    leaveChat(member, "left"); // its connection broke: its read loop ends too
  } finally {
    member.flushing = false;
  }
}

// conn.write() may send only part of the buffer (like Python's send()), so loop until all of it
// is written: this is Python's sendall().
const encoder = new TextEncoder();
async function writeAll(conn: Deno.Conn, bytes: Uint8Array) {
  if (bytes.length === 0) return;
  let written = 0;
  while (written < bytes.length) written += await conn.write(bytes.subarray(written));
  const sent = `${bytes.length} bytes`;
  explain?.(
    "step 8",
    `python: conn.sendall(data)  deno: conn.write() until all is sent -> ${sent}`,
  );
}

// TCP is a stream of bytes, not of messages: one read may hold half a line, or several. So
// readLines() passes on everything up to the last "\n" it has and keeps the unfinished line for
// the next read, until the client closes its side (or sends too long a line); it says how it ended.
const MAX_LINE = 64 * 1024; // longest line we keep in memory while waiting for its "\n"
const NEWLINE = 10; // the byte value of "\n"
type Counts = { lines: number; bytes: number };
async function readLines(conn: Deno.Conn, counts: Counts, passOn: (lines: Uint8Array) => unknown) {
  // The buffer starts small, so that idle clients cost little memory, and doubles while the client
  // keeps it full, up to 64 KiB (128 KiB while it holds a 64 KiB line waiting for its "\n").
  let buffer = new Uint8Array(1024);
  let kept = 0; // buffer[0, kept) is the start of a line whose "\n" has not arrived yet
  while (true) {
    // New bytes go after the unfinished line, which is never copied: copies are garbage that V8
    // frees late, and memory grows under a fast client (README, What it survives).
    const count = await conn.read(buffer.subarray(kept)); // recv(): null when the client is done
    const got = count ?? "null: end of stream";
    explain?.("recv", `python: conn.recv(${buffer.length - kept})  deno: conn.read() -> ${got}`);
    if (count === null) break;
    counts.bytes += count;
    const received = buffer.subarray(kept, kept + count);
    const firstEnd = received.indexOf(NEWLINE);
    if (kept + (firstEnd === -1 ? count : firstEnd) > MAX_LINE) {
      await refuseLongLine(conn, buffer);
      return "closed (line too long)";
    }
    const full = kept + count === buffer.length;
    const lastEnd = received.lastIndexOf(NEWLINE);
    if (lastEnd === -1) kept += count;
    else {
      const end = kept + lastEnd + 1; // buffer[0, end) holds complete lines
      await passOn(buffer.subarray(0, end));
      // Counting lines costs a search per line, as much as the echo itself, and the count is only
      // for the log line: with --quiet (no log), skip it.
      for (let at = firstEnd; log && at !== -1; at = received.indexOf(NEWLINE, at + 1)) {
        counts.lines++;
      }
      buffer.copyWithin(0, end, kept + count); // the unfinished rest moves to the front
      kept = kept + count - end;
    }
    if (full && (buffer.length < 64 * 1024 || kept === buffer.length)) {
      const bigger = new Uint8Array(buffer.length * 2); // full: double it, as said above
      bigger.set(buffer.subarray(0, kept));
      buffer = bigger;
    }
  }
  if (kept > 0) await passOn(buffer.subarray(0, kept)); // a last piece without "\n" counts too
  return "closed";
}

// Say why we close, then let the client finish sending before we close: closing a socket with
// unread data resets the connection, and the client could lose our error line.
async function refuseLongLine(conn: Deno.Conn, buffer: Uint8Array) {
  await writeAll(conn, encoder.encode(`error: line longer than ${MAX_LINE} bytes, closing\n`));
  conn.closeWrite();
  for (let discarded = 0, count; discarded < 1024 * 1024; discarded += count) {
    count = await conn.read(buffer);
    if (count === null) break;
  }
}

// ---------------------------------------------------------------------------------------------
// Plumbing: flags, messages, signals and the --explain trace. None of it is part of the lesson.

const USAGE =
  `usage: deno run --allow-net chat_server.ts [--host H] [--port P] [--backlog N] [--quiet]
                                          [--explain] [--help]
  --host H     address to listen on (default 0.0.0.0: every interface, the lesson's "")
  --port P     port to listen on, 0 picks a free one (default 21042)
  --backlog N  connections the system may queue before we accept them (default 511)
  --quiet      do not log each connection and each drop
  --explain    print each of the lesson's steps as it happens`;

// log?.(...) writes the event log, explain?.(...) the trace. Each is undefined when its flag
// turns it off, and then the ?. skips the call without even building its text.
let log: ((line: string) => void) | undefined;
let explain: ((step: string, what: string) => void) | undefined;

function parseFlags() {
  const [text, yes] = [{ type: "string" }, { type: "boolean" }] as const;
  const options = { host: text, port: text, backlog: text, quiet: yes, explain: yes, help: yes };
  let flags;
  try {
    flags = parseArgs({ options }).values;
  } catch (error) {
    usageError((error as Error).message);
  }
  if (flags.help) {
    console.log(USAGE);
    Deno.exit(0);
  }
  if (!flags.quiet) log = (line) => console.log(line);
  if (flags.explain) explain = (step, what) => console.log(`[${step}] ${what}`);
  // The lesson's "" (every interface) is 0.0.0.0 here; an IPv6 address may come as [::1] or ::1.
  const host = (flags.host || "0.0.0.0").replace(/^\[(.*)\]$/, "$1");
  const port = parseWholeNumber(flags.port ?? "21042", "--port", 0, 65535);
  return { host, port, backlog: parseWholeNumber(flags.backlog ?? "511", "--backlog", 0, 65535) };
}

function parseWholeNumber(text: string, flag: string, min: number, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    usageError(`${flag} must be a whole number from ${min} to ${max}`);
  }
  return Number(text);
}

function usageError(message: string): never {
  console.error(`chat_server.ts: ${message}\n${USAGE}`);
  Deno.exit(2);
}

function fail(message: string): never {
  console.error(`chat_server.ts: ${message}`);
  Deno.exit(1);
}

function showAddress({ hostname, port }: Deno.NetAddr): string {
  return hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`;
}

function cannotListen(error: Error, host: string, port: number): never {
  const other = "stop the other server, or pick another port with --port";
  if (error instanceof Deno.errors.AddrInUse) {
    fail(`port ${port} is already in use on ${host}: ${other}`);
  }
  const allow = `--allow-net=${host}:${port}`;
  if (error instanceof Deno.errors.NotCapable) {
    fail(`no permission to listen on ${host}:${port}: run with ${allow}`);
  }
  if (error instanceof Deno.errors.PermissionDenied && port < 1024) {
    fail(
      `port ${port} needs administrator rights (ports below 1024 do): ` +
        "pick one above 1024, such as 21042",
    );
  }
  fail(`cannot listen on ${host}:${port}: ${error.message}`);
}

// accept() can fail, for example out of file descriptors: say so once, wait a little, try again.
// While they are scarce, accept() works each time one frees up, then fails again: a failure
// within a second of the last one is the same trouble, so it is not said again.
let acceptFailing = false;
let lastAcceptFailure = 0; // when accept() last failed (Date.now())
async function cannotAccept(error: Error): Promise<undefined> {
  if (stopping) return;
  if (!acceptFailing && Date.now() - lastAcceptFailure > 1000) {
    console.error(`chat_server.ts: cannot accept (${error.message}); retrying`);
    acceptFailing = true;
  }
  lastAcceptFailure = Date.now();
  await new Promise((resolve) => setTimeout(resolve, 100));
}
function accepted(conn: Deno.TcpConn) {
  if (acceptFailing) console.error("chat_server.ts: accepting again");
  acceptFailing = false;
  return conn;
}

// Ctrl-C (SIGINT) and SIGTERM call stop(): it closes the listener, so that accept() ends, and
// every connection (step 9 for everyone); with nothing left open, we exit 0. Under load, Deno may
// run these listeners late (README, What it survives), so a worker thread, which is idle, hears
// the signals too and sets a number in shared memory that a timer here (timers do run) looks at.
const openConnections = new Set<Deno.TcpConn>();
let stopping = false;
function catchSignals(listener: Deno.Listener) {
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const seen = new Int32Array(new SharedArrayBuffer(4)); // the worker sets it to 1 on a signal
  let worker: Worker | undefined;
  const check = setInterval(() => Atomics.load(seen, 0) === 1 && stop(), 50);
  const stop = () => {
    if (stopping) return; // a second Ctrl-C: already stopping
    stopping = true;
    clearInterval(check);
    worker?.terminate();
    listener.close();
    for (const conn of openConnections) closeOnce(conn);
  };
  for (const signal of signals) Deno.addSignalListener(signal, stop);
  setTimeout(() => { // the worker starts after the "listening on" line, so as not to delay it
    if (stopping) return;
    worker = new Worker(`data:text/javascript,${encodeURIComponent(WATCHER)}`, { type: "module" });
    worker.onerror = (event) => event.preventDefault(); // the listeners above still work
    worker.postMessage({ signals, seen });
  });
}
const WATCHER = `onmessage = ({ data }) => {
  for (const s of data.signals) Deno.addSignalListener(s, () => Atomics.store(data.seen, 0, 1));
};`;

if (import.meta.main) await main();
