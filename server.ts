// server.ts: a TCP echo server, the lesson's "Creando un Server Socket" written with Deno.
//
// Run the two ends in two terminals:
//   terminal 1:  deno run --allow-net server.ts        prints "listening on 0.0.0.0:21042",
//                                                       then a line as each client comes and goes
//   terminal 2:  deno run --allow-net client.ts hola   prints the greeting, then "hola" sent back
//
// Every line a client sends (bytes up to "\n") comes back to it byte for byte. Comments give the
// lesson's step numbers (1-9); --explain prints each step as it happens. Add --allow-sys=hostname to
// also see the machine's name (step 2).
//
// With --chat it is a chat room instead (the lesson's WhatsApp): each line goes to every other
// client, after the sender's name. The name is the client's address until it sends a line
// "/name Ana" (client.ts --name Ana does that for you).

// Step 1, "import socket": Deno's sockets are built in; we import only a flag parser.
import { parseArgs } from "node:util";

const USAGE =
  `usage: deno run --allow-net server.ts [--host H] [--port P] [--backlog N] [--chat] [--quiet] [--explain] [--help]
  --host H     address to listen on (default 0.0.0.0: every interface, the lesson's "")
  --port P     port to listen on, 0 picks a free one (default 21042)
  --backlog N  connections the system may queue before we accept them (default 511)
  --chat       be a chat room: each line goes to all the other clients
  --quiet      do not log each connection
  --explain    print each of the lesson's steps as it happens`;
const MAX_LINE = 64 * 1024; // longest line we keep in memory while waiting for its "\n"
const CHAT_MAX_BEHIND = 256 * 1024; // bytes a chat client may have waiting before we drop it
const NEWLINE = 10; // the byte value of "\n"

function usageError(message: string): never {
  console.error(`server.ts: ${message}\n${USAGE}`);
  Deno.exit(2);
}

function parseWholeNumber(text: string, flag: string, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) > max) {
    usageError(`${flag} must be a whole number from 0 to ${max}`);
  }
  return Number(text);
}

function parseFlags() {
  try {
    return parseArgs({
      options: {
        host: { type: "string", default: "0.0.0.0" },
        port: { type: "string", default: "21042" },
        backlog: { type: "string" },
        chat: { type: "boolean", default: false },
        quiet: { type: "boolean", default: false },
        explain: { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
    });
  } catch (error) {
    usageError((error as Error).message);
  }
}
const options = parseFlags().values;
if (options.help) {
  console.log(USAGE);
  Deno.exit(0);
}
// Step 3: the lesson picks a port above 1024, since lower ones need administrator rights.
const port = parseWholeNumber(options.port, "--port", 65535);
// The lesson's "" (every interface) is 0.0.0.0 here; an IPv6 address may come as [::1] or ::1.
const host = options.host === "" ? "0.0.0.0" : options.host.replace(/^\[(.*)\]$/, "$1");
const backlog = options.backlog === undefined
  ? 511
  : parseWholeNumber(options.backlog, "--backlog", 65535);
const log = options.quiet ? () => {} : console.log;
// explain?.(`...`) prints a step when --explain is on; when it is off, explain is undefined and
// the ?. skips the call without even building its text, so the echo pays nothing for it.
const explain = options.explain
  ? (step: string, what: string) => console.log(`[${step}] ${what}`)
  : undefined;
const encoder = new TextEncoder();

function showAddress(addr: Deno.NetAddr): string {
  return addr.hostname.includes(":")
    ? `[${addr.hostname}]:${addr.port}`
    : `${addr.hostname}:${addr.port}`;
}

// Steps 4, 5 and 6 in one call: Deno.listen creates the socket, binds it to host and port, and
// listens. The backlog (the lesson's listen(n)) is not how many clients we serve at once: it is the
// queue of connections the system has accepted for us but we have not yet taken with accept().
// Keep it large: with a backlog of 5, a burst of 40 clients waits seconds for SYN retries.
let listener: Deno.Listener;
try {
  listener = Deno.listen({ hostname: host, port, tcpBacklog: backlog });
} catch (error) {
  if (error instanceof Deno.errors.AddrInUse) {
    console.error(
      `server.ts: port ${port} is already in use on ${host}: stop the other server, or pick another port with --port`,
    );
  } else if (error instanceof Deno.errors.NotCapable) {
    console.error(
      `server.ts: no permission to listen on ${host}:${port}: run with --allow-net=${host}:${port}`,
    );
  } else {
    console.error(`server.ts: cannot listen on ${host}:${port}: ${(error as Error).message}`);
  }
  Deno.exit(1);
}
// Ctrl-C (SIGINT) and SIGTERM call stop(). They are handled before we say we are listening, so
// that a signal sent as soon as that line appears already stops the server cleanly.
const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"]; // Windows has no SIGTERM
for (const signal of signals) Deno.addSignalListener(signal, stop);
// stop() ends the second ear (below), closes the listener and every connection (step 9); with nothing
// left open, the program ends (exit 0). It uses signalCheck and signalWatcher from below: no signal can
// call it before they exist, as nothing between here and there waits (no await).
const openConnections = new Set<Deno.Conn>();
let stopping = false;
function stop() {
  if (stopping) return; // a second Ctrl-C: already stopping
  stopping = true;
  clearInterval(signalCheck);
  signalWatcher.terminate();
  listener.close(); // no more accept()
  for (const conn of openConnections) closeOnce(conn); // step 9 for everyone still connected
}

console.log(`listening on ${showAddress(listener.addr as Deno.NetAddr)}`);
explain?.(
  "steps 4-6",
  `python: s = socket.socket(); s.bind(("${host}", ${port})); s.listen(${backlog})  ` +
    `deno: Deno.listen({ hostname: "${host}", port: ${port}, tcpBacklog: ${backlog} }) fuses all three -> ${
      showAddress(listener.addr as Deno.NetAddr)
    }`,
);
// Step 2 (optional): the machine's name, only if --allow-sys=hostname was given (never prompts).
if (Deno.permissions.querySync({ name: "sys", kind: "hostname" }).state === "granted") {
  console.log(`this machine is ${Deno.hostname()}`);
  explain?.(
    "step 2",
    `python: socket.gethostname()  deno: Deno.hostname() -> "${Deno.hostname()}"`,
  );
}

// A second ear for the same signals. While every connection keeps the server busy, Deno 2.9 can
// run the signal listeners above only once the load stops (README, "What it survives"). A worker is
// a thread with its own event loop and nothing else to do, so it hears a signal at once: it sets a
// number in memory that we share with it, and a timer here, which does run under load, looks at it.
// (It starts after the "listening on" line because starting a worker takes Deno about 25 ms.)
const signalSeen = new Int32Array(new SharedArrayBuffer(4)); // becomes 1 when a signal comes
const watcherCode = `onmessage = ({ data }) => {
  for (const signal of data.signals) Deno.addSignalListener(signal, () => Atomics.store(data.seen, 0, 1));
};`;
const signalWatcher = new Worker(`data:text/javascript,${encodeURIComponent(watcherCode)}`, {
  type: "module",
});
signalWatcher.onerror = (event) => event.preventDefault(); // if it ever fails, the listeners above still work
signalWatcher.postMessage({ signals, seen: signalSeen });
const signalCheck = setInterval(() => {
  if (Atomics.load(signalSeen, 0) === 1) stop();
}, 50);

// A connection can be closed from several places (its own end, Ctrl-C, the chat dropping a slow
// client); closing it a second time would throw, so every close goes through here.
function closeOnce(conn: Deno.Conn) {
  if (!openConnections.delete(conn)) return;
  conn.close(); // step 9
  explain?.(
    "step 9",
    `python: conn.close()  deno: conn.close() -> ${showAddress(conn.remoteAddr as Deno.NetAddr)}`,
  );
}

// conn.write() may send only part of the buffer (like Python's send()), so loop until all of it
// is written: this is Python's sendall().
async function writeAll(conn: Deno.Conn, bytes: Uint8Array) {
  if (bytes.length === 0) return;
  let written = 0;
  while (written < bytes.length) written += await conn.write(bytes.subarray(written));
  explain?.(
    "step 8",
    `python: conn.sendall(data)  deno: conn.write() until all is sent -> ${bytes.length} bytes`,
  );
}

// One client, from accept() to close(): echo mode sends its lines back, chat mode passes them on.
async function serve(conn: Deno.Conn) {
  const peer = showAddress(conn.remoteAddr as Deno.NetAddr);
  log(`connection from ${peer}`);
  const counts = { lines: 0, bytes: 0 };
  let ending = "closed";
  const member = options.chat ? joinChat(conn, peer) : undefined;
  try {
    if (member) {
      ending = await readLines(conn, counts, (lines) => sayToOthers(member, lines));
    } else {
      await writeAll(conn, encoder.encode("welcome: every line you send comes back to you\n")); // step 8
      ending = await readLines(conn, counts, (lines) => writeAll(conn, lines)); // step 8 again: the echo
    }
  } catch (error) {
    const dropped = member && !room.has(member);
    ending = dropped
      ? "dropped (too far behind)"
      : `closed after an error (${(error as Error).name})`;
  } finally {
    if (member) leaveChat(member, "left");
    const lines = `${counts.lines} ${counts.lines === 1 ? "line" : "lines"}`;
    if (!stopping) log(`${ending} ${peer}: ${lines}, ${counts.bytes} bytes`);
    closeOnce(conn);
  }
}

// TCP is a stream of bytes, not of messages: one read may hold half a line, or several lines. So
// readLines() passes on everything up to the last "\n" it has, and keeps the unfinished line for
// the next read. It ends when the client closes its side (or sends a line that is too long), and
// says how it ended.
type PassOn = (lines: Uint8Array) => unknown;
async function readLines(
  conn: Deno.Conn,
  counts: { lines: number; bytes: number },
  passOn: PassOn,
) {
  // The read buffer starts small, so that idle clients cost little memory, and doubles while the
  // client keeps it full, up to 64 KiB (128 KiB while it holds a 64 KiB line waiting for its "\n").
  let buffer = new Uint8Array(1024);
  let kept = 0; // buffer[0, kept) is the start of a line whose "\n" has not arrived yet
  while (true) {
    // New bytes are read in after the unfinished line, so that it never has to be copied: a fresh
    // copy per read is garbage that V8 frees late (it counts such buffers outside its heap), and
    // the server's memory grew by about 60 MiB under one fast client sending long lines.
    const count = await conn.read(buffer.subarray(kept)); // recv(): null means the client closed its side
    explain?.(
      "recv",
      `python: conn.recv(${buffer.length - kept})  deno: conn.read(buffer) -> ${
        count ?? "null: end of stream"
      }`,
    );
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
    if (lastEnd === -1) {
      kept += count;
    } else {
      const end = kept + lastEnd + 1; // buffer[0, end) holds complete lines
      await passOn(buffer.subarray(0, end));
      // Counting lines costs a search per line, as much as the echo itself on a busy connection,
      // and the count is only for the log line: with --quiet, skip it.
      if (!options.quiet) {
        for (let at = firstEnd; at !== -1; at = received.indexOf(NEWLINE, at + 1)) counts.lines++;
      }
      buffer.copyWithin(0, end, kept + count); // the unfinished rest moves to the front
      kept = kept + count - end;
    }
    // A full buffer doubles while it is under 64 KiB, or when one unfinished line fills it.
    if (full && (buffer.length < 64 * 1024 || kept === buffer.length)) {
      const bigger = new Uint8Array(buffer.length * 2);
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
  let discarded = 0;
  while (discarded < 1024 * 1024) {
    const count = await conn.read(buffer);
    if (count === null) break;
    discarded += count;
  }
}

// The chat room. Each member has an outbox: what others said that is not yet written to it.
// One slow reader must not stall the room, so relaying never waits for a member's socket: it adds
// to the outbox, and flush() writes the outbox out. A member whose outbox grows past
// CHAT_MAX_BEHIND is not reading: we drop it rather than keep its messages without limit.
interface ChatMember {
  conn: Deno.Conn;
  name: string;
  outbox: Uint8Array[];
  waiting: number; // bytes in the outbox
  flushing: boolean; // flush() is writing the outbox out
}
const room = new Set<ChatMember>();

function joinChat(conn: Deno.Conn, peer: string): ChatMember {
  const member: ChatMember = { conn, name: peer, outbox: [], waiting: 0, flushing: false };
  room.add(member);
  post(
    member,
    encoder.encode(
      `welcome to the chat, ${peer}: ${room.size} online; send "/name NAME" to pick a name\n`,
    ),
  );
  announce(member, `* ${peer} joined (${room.size} online)\n`);
  return member;
}

function leaveChat(member: ChatMember, why: string) {
  if (!room.delete(member)) return; // already gone
  closeOnce(member.conn);
  if (!stopping) announce(member, `* ${member.name} ${why} (${room.size} online)\n`);
}

function announce(from: ChatMember, text: string) {
  const bytes = encoder.encode(text);
  for (const other of room) if (other !== from) post(other, bytes);
}

function post(member: ChatMember, bytes: Uint8Array) {
  if (member.waiting + bytes.length > CHAT_MAX_BEHIND) {
    log(`dropping ${member.name}: ${member.waiting} bytes it has not read`);
    leaveChat(member, "was disconnected: too far behind");
    return;
  }
  member.outbox.push(bytes);
  member.waiting += bytes.length;
  if (!member.flushing) flush(member);
}

async function flush(member: ChatMember) {
  member.flushing = true;
  try {
    while (member.outbox.length > 0 && room.has(member)) {
      const next = member.outbox.shift()!;
      await writeAll(member.conn, next);
      member.waiting -= next.length;
    }
  } catch {
    leaveChat(member, "left"); // its connection broke: its read loop ends too
  } finally {
    member.flushing = false;
  }
}

// Relay each line to the others as "NAME: line"; a line "/name NAME" renames the sender. Control
// characters are taken out, so nobody can send terminal escape codes to the others' screens.
const decoder = new TextDecoder();
function sayToOthers(member: ChatMember, lines: Uint8Array) {
  for (const line of decoder.decode(lines).replace(/\n$/, "").split("\n")) {
    const text = line.replace(/\p{Cc}/gu, "");
    const rename = text.match(/^\/name\s+(\S.*)$/);
    if (rename) {
      const newName = [...rename[1].trim()].slice(0, 32).join(""); // at most 32 characters
      announce(member, `* ${member.name} is now ${newName}\n`);
      member.name = newName;
    } else {
      announce(member, `${member.name}: ${text}\n`);
    }
  }
}

// Step 7, accept(): take each client as it comes and serve it without waiting for the others.
// serve() catches its own errors: one uncaught error would end the whole server.
let acceptFailing = false;
let lastAcceptFailure = 0; // when accept() last failed (Date.now())
while (!stopping) {
  let conn: Deno.Conn;
  try {
    conn = await listener.accept();
  } catch (error) {
    if (stopping) break;
    // For example, out of file descriptors: say it once, wait a little, and try again. While they
    // are scarce, accept() works each time one frees up, then fails again: a failure within a
    // second of the last one is the same trouble, so it is not said again.
    if (!acceptFailing && Date.now() - lastAcceptFailure > 1000) {
      console.error(`server.ts: cannot accept (${(error as Error).message}); retrying`);
      acceptFailing = true;
    }
    lastAcceptFailure = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 100));
    continue;
  }
  // Ctrl-C may come just as accept() gives us a client: stop() has then closed the others but not
  // this one, which would keep the server running as long as that client stays connected.
  if (stopping) {
    conn.close();
    break;
  }
  if (acceptFailing) console.error("server.ts: accepting again");
  acceptFailing = false;
  openConnections.add(conn);
  explain?.(
    "step 7",
    `python: conn, addr = s.accept()  deno: await listener.accept() -> ${
      showAddress(conn.remoteAddr as Deno.NetAddr)
    }`,
  );
  serve(conn);
}
