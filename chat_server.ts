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
  // (the lesson's listen(n)) is how many connections the system holds until accept() takes them.
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
    print(`${stamp()}this machine is ${machine}`);
    explain?.("step 2", `python: socket.gethostname()  deno: Deno.hostname() -> "${machine}"`);
  }

  // Step 7, accept(): take each client as it comes and serve it without waiting for the others.
  // serve() catches its own errors: one uncaught error would end the whole server.
  while (!stopping) {
    const conn = await listener.accept().then(accepted, cannotAccept); // undefined if it failed
    // Ctrl-C may come just as accept() returns: stop() has then closed every client but this one.
    if (stopping) conn?.close();
    if (stopping || conn === undefined) continue;
    const member = newMember(conn); // its number (#1, #2, ...) names it in the trace
    const got = `${member.peer} (#${member.id})`;
    explain?.("step 7", `python: conn, addr = s.accept()  deno: await listener.accept() -> ${got}`);
    serve(member);
  }
}

// Step 8: serve one member, from accept() to close(): pass each line it sends on to the others.
// A client over a limit is told which, and closed.
async function serve(member: Member) {
  const { conn, id, peer } = member;
  let ending = "closed";
  try {
    const over = await admit(member); // plumbing: it may wait a moment, or make room
    if (over) {
      ending = `refused (${over.flag})`;
      return await refuse(conn, id, over.why);
    }
    log?.(`connection from ${peer} (#${id})`);
    joinChat(member);
    ending = await readLines(member);
  } catch (error) {
    ending = member.dropped ?? `closed after an error (${(error as Error).name})`;
  } finally {
    leaveChat(member, "left");
    closeOnce(conn);
    const { lines, bytes } = member;
    const count = `${lines} ${lines === 1 ? "line" : "lines"}, ${bytes} bytes`;
    if (!stopping) log?.(`${ending} ${peer} (#${id}): ${count}`);
  }
}

// Step 9, close(). A member leaving, being dropped, or Ctrl-C closes a connection; closing it
// twice would throw.
function closeOnce(conn: Deno.TcpConn) {
  const member = members.get(conn);
  if (!member) return;
  members.delete(conn);
  explain?.(`step 9 #${member.id}`, `python: conn.close()  deno: conn.close() -> ${member.peer}`);
  conn.close();
}

// The room. Each member has a queue of what the others said that is not yet written to it, so
// that passing a line on never waits for a socket: tellOthers() adds the lines of one read to every
// other member's queue (one copy, shared) and flush() writes each queue out. The one who sends too
// much is the one slowed: while more than SENDER_BUDGET bytes of its lines wait in the others'
// queues, we stop reading it (roomFor(), below the divider), so the room goes at the pace of its
// slowest reader for the flooder only, and an occasional line from anyone else goes straight
// through. A reader is judged by progress, what its socket takes: one that takes none, or far too
// little, of what waits for it is dropped (dropStalled()); one that reads steadily never is.
interface Member {
  conn: Deno.TcpConn;
  id: number; // #1, #2, ... in the log and the trace
  peer: string; // its address, as text
  name: string; // its address until it sends "/name NAME"
  queue: Piece[]; // what the others said, not yet written to it
  queued: number; // bytes in the queue and being written
  lagSince: number; // when lines began waiting for it (Date.now())
  movedAt: number; // when its socket last took bytes
  watchedAt: number; // when dropStalled()'s current window began
  owed: number; // bytes that waited for it then
  took: number; // bytes its socket has taken since
  writing?: Promise<void>; // the write flush() is waiting for
  inRoom: number; // bytes of its own lines still waiting in the others' queues
  wake?: () => void; // its read loop, waiting for its lines to go out (roomFor())
  heldMs: number; // the flood penalty (slowDown()): how long roomFor() held it since the last look,
  slowUntil: number; // until when its lines are paced (0: they are not),
  paceAt: number; // and when its next piece may go
  dropped?: string; // why the room dropped it
  lines: number; // lines and bytes it sent, for the log
  bytes: number;
  hostname: string; // for admit(), with heardAt (Date.now()) and readingSince (performance.now())
  heardAt: number; // when its last byte came, or when it connected: for admit() and takeName()
  readingSince: number; // when the read under way began, or 0
}
const members = new Map<Deno.TcpConn, Member>(); // every open connection, for stop() to close
const room = new Set<Member>(); // the members that joined and have not left
const names = new Map<string, Member>(); // who has each name, by nameKey()
let lastId = 0;

function newMember(conn: Deno.TcpConn): Member {
  lastId++;
  const peer = showAddress(conn.remoteAddr);
  // Keepalive probes: a peer that vanished (no FIN, no RST) is found in time, the system says when.
  try {
    conn.setKeepAlive(true);
  } catch { /* it reset already: the first read says so */ }
  const flow = { queued: 0, inRoom: 0, lagSince: 0, movedAt: 0, watchedAt: 0, owed: 0, took: 0 };
  const penalty = { heldMs: 0, slowUntil: 0, paceAt: 0 };
  const counts = { lines: 0, bytes: 0, ...flow, ...penalty };
  const admission = { hostname: conn.remoteAddr.hostname, heardAt: Date.now(), readingSince: 0 };
  const member: Member = { conn, id: lastId, peer, name: peer, queue: [], ...counts, ...admission };
  members.set(conn, member);
  return member;
}

function joinChat(member: Member) {
  room.add(member);
  if (!names.has(nameKey(member.name))) names.set(nameKey(member.name), member); // its address
  const hint = 'send "/name NAME" to pick a name';
  queueFor(
    member,
    encoder.encode(`welcome to the chat, ${member.name}: ${room.size} online; ${hint}\n`),
  );
  tellRoom(member, "joined");
}

function leaveChat(member: Member, why: string) {
  leave(member); // its place under the limits is free again
  if (!room.delete(member)) return; // already gone
  forgetName(member);
  forgetQueue(member); // what waited for it no longer holds back its senders
  member.wake?.(); // its read loop, if it waits for the room, ends
  if (!stopping) tellRoom(member, why);
}

// Dropping a member closes its connection, which ends its read loop in serve().
function drop(member: Member, why: string, told = `${member.queued} bytes it has not read`) {
  if (!room.has(member)) return;
  log?.(`dropping ${member.name} (#${member.id}): ${told}`);
  member.dropped = `dropped (${why})`;
  leaveChat(member, `was disconnected: ${why}`);
  // What was queued is thrown away; an error line goes out after the write under way, if that
  // one finishes within 2 s, and then we close.
  const { conn, id } = member;
  const last = () => writeAll(conn, encoder.encode(`error: ${why}, closing\n`), id);
  const grace = setTimeout(() => closeOnce(conn), 2000);
  (member.writing ?? Promise.resolve()).then(last).catch(() => {}).finally(() => {
    clearTimeout(grace);
    closeOnce(conn);
  });
}

// Joins and leaves are announced together, at most every NEWS_MS: in a storm of joins each member
// gets one notice per NEWS_MS, not one per join. A member's lines wait for the news before them.
const NEWS_MS = 100;
const news: { member: Member; what: string }[] = []; // not yet announced
let newsTimer: ReturnType<typeof setTimeout> | undefined;
let lastNews = 0; // Date.now() of the last notice
function tellRoom(member: Member, what: string) {
  news.push({ member, what: `${member.name} ${what}` });
  newsTimer ??= setTimeout(announce, Math.max(0, lastNews + NEWS_MS - Date.now()));
}
function announce() { // never called from queueFor(): a drop it causes is announced next time
  clearTimeout(newsTimer);
  newsTimer = undefined;
  lastNews = Date.now();
  const told = news.splice(0);
  if (told.length === 0 || stopping) return;
  const more = told.length > 3 ? `; ${told.length - 3} more joined or left` : "";
  const what = told.slice(0, 3).map((item) => item.what).join("; ");
  const bytes = encoder.encode(`* ${what}${more} (${room.size} online)\n`);
  // A member alone in the news is not told of itself; in a batch, each must hear of the others.
  const alone = told.length === 1 ? told[0].member : undefined;
  for (const other of room) if (other !== alone) queueFor(other, bytes);
}

// Each line goes to the others as "NAME: line"; a line "/name NAME" renames the sender. Control,
// format and invisible characters (zero-width, variation selectors) are taken out: no terminal
// escape codes, no text shown reversed. A run of spaces becomes one. The room's notices start
// with "* ": so that no line can wrap into what looks like one, at any terminal width, a star
// (or a look-alike) in a member's line is never followed by a space: "a * b" is shown "a *b".
// The lines of one read go out in pieces of about PIECE bytes, each after roomFor() lets the
// sender on (too much of what it said waits, or it is slowed for flooding: it waits): one read of
// many short lines never lands on the others all at once.
const decoder = new TextDecoder();
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}]/gu;
const STAR_SPACE = /([*\u066D\u204E\u2055\u2217\u2731\u2732\uFE61\uFF0A]) /gu;
const clean = (text: string) =>
  text.replace(INVISIBLE, "").replace(/[\p{Z}\u2800]+/gu, " ").replace(STAR_SPACE, "$1");
async function relayLines(member: Member, lines: Uint8Array) {
  let out = ""; // lines ready to go, not yet passed on
  const pass = () => {
    if (out !== "") tellOthers(member, out);
    spent(member, out.length);
    out = "";
  };
  for (const line of decoder.decode(lines).replace(/\n$/, "").split("\n")) {
    if (out === "" && (heldBack(member) || member.slowUntil > 0)) await roomFor(member);
    if (!room.has(member)) return; // dropped while it waited
    if (news.length > 0) { // joins and leaves first, in the order they happened
      pass();
      announce();
    }
    const text = clean(line);
    const rename = text.match(/^\/name\s+(\S.*)$/);
    if (rename) {
      pass();
      takeName(member, rename[1]);
    } else out += `${member.name}: ${text}\n`;
    if (out.length >= PIECE) pass();
  }
  pass();
}

// A name is letters and digits, with "_", "-" or "." between them (no spaces, no punctuation:
// no name can extend a notice such as "* Ana left (2 online)", fake a line "Ana: ..." or take an
// address, the name of each member that has not picked one), in one alphabet (no Latin mixed
// with Cyrillic or Greek). It is unique in the room after folding what looks alike (nameKey():
// case, NFKC forms such as "Ａna", marks such as "Aná", and Cyrillic or Greek look-alikes such as
// "Апа"). A student whose connection vanished gets the name back from the same address
// (handOver(), below the divider).
const nameKey = (name: string) => skeleton(name);
function takeName(member: Member, wanted: string) {
  const whole = wanted.normalize("NFKC").replace(/^[^\p{L}\p{N}]+/u, "").trim();
  const name = [...whole].slice(0, 32).join("").trim(); // at most 32 characters
  const holder = names.get(nameKey(name));
  let refusal = nameProblem(whole);
  let hint = ""; // a second line, for a student coming back (handOver())
  if (refusal === "" && holder !== undefined && holder !== member) {
    const kept = handOver(holder, member, name);
    if (kept !== undefined) [refusal, hint] = ["is taken", kept];
  }
  if (refusal !== "") {
    const text = `* name "${wanted}" ${refusal}; you are still ${member.name}\n${hint}`;
    return queueFor(member, encoder.encode(text), member);
  }
  if (name !== whole) {
    queueFor(member, encoder.encode(`* your name was cut to 32 characters: ${name}\n`), member);
  }
  tellOthers(member, `* ${member.name} is now ${name}\n`);
  forgetName(member);
  names.set(nameKey(name), member);
  member.name = name;
}
function forgetName(member: Member) {
  if (names.get(nameKey(member.name)) === member) names.delete(nameKey(member.name));
}

// What one member says goes into every other member's queue as one piece, shared.
function tellOthers(from: Member, text: string) {
  const piece: Piece = { bytes: encoder.encode(text), from, waiting: 0 };
  for (const other of room) if (other !== from) queuePiece(other, piece);
  countIn(piece);
}
function queueFor(member: Member, bytes: Uint8Array, from?: Member) {
  const piece: Piece = { bytes, from, waiting: 0 };
  queuePiece(member, piece);
  countIn(piece);
}
function queuePiece(member: Member, piece: Piece) {
  piece.waiting++;
  member.queue.push(piece);
  member.queued += piece.bytes.length;
  if (member.queued === piece.bytes.length) {
    // It was idle: its lines start waiting now, and what else this turn adds (the rest of the
    // notices, say) goes in the same write.
    waitsFor(member);
    queueMicrotask(() => flush(member));
  }
}

async function flush(member: Member) {
  let writing: Piece[] = [];
  try {
    while (member.queue.length > 0 && room.has(member)) {
      writing = nextWrite(member.queue); // one piece as it is, or several joined
      const bytes = writing.length === 1 ? writing[0].bytes : joined(writing);
      member.writing = writeAll(member.conn, bytes, member.id, member);
      await member.writing;
      member.queued -= bytes.length;
      for (const piece of writing) written(piece);
      writing = [];
    }
  } catch {
    for (const piece of writing) written(piece);
    closeOnce(member.conn); // it is gone: its read loop ends too, and it leaves
  }
}

// conn.write() may send only part of the buffer (like Python's send()), so loop until all of it
// is written: this is Python's sendall(). Its trace line comes as the call is made.
const encoder = new TextEncoder();
async function writeAll(conn: Deno.Conn, bytes: Uint8Array, id: number, to?: Member) {
  if (bytes.length === 0) return;
  const sent = `deno: conn.write() until all is sent -> ${bytes.length} bytes`;
  explain?.(`step 8 #${id}`, `python: conn.sendall(data)  ${sent}`);
  let written = 0;
  while (written < bytes.length) {
    const count = await conn.write(bytes.subarray(written));
    written += count;
    if (to) [to.took, to.movedAt] = [to.took + count, Date.now()]; // it reads (dropStalled())
  }
}

// TCP is a stream of bytes, not of messages: one read may hold half a line, or several. So
// readLines() passes on everything up to the last "\n" it has and keeps the unfinished line for
// the next read, until the client closes its side (or sends too long a line); it says how it ended.
// The buffer starts small, so that idle clients cost little memory, and doubles while the client
// keeps it full, up to 64 KiB (128 KiB while it holds a 64 KiB line waiting for its "\n"); when no
// unfinished line is kept, it is small again. What the buffers grew by is MAX_HELD bytes at most.
// As in server.ts, a buffer that grew is a resizable ArrayBuffer: resize(0) gives its memory back
// at once (a plain one waits for the garbage collector, which an idle server does not run).
const MAX_LINE = 64 * 1024; // longest line we keep in memory while waiting for its "\n"
const MAX_HELD = 64 * 1024 * 1024;
const SMALL = 1024; // the buffer's size while no unfinished line is kept
const NEWLINE = 10; // the byte value of "\n"
let held = 0; // bytes the buffers grew by, in all
async function readLines(member: Member): Promise<string> {
  const { conn, id } = member;
  let buffer = new Uint8Array(SMALL);
  let memory: ArrayBuffer | undefined; // once it grows: resizable, so resize(0) frees it at once
  let kept = 0; // buffer[0, kept) is the start of a line whose "\n" has not arrived yet
  let lineStart = 0; // when the first byte of that line came (Date.now())
  const end = async (why: string, reading?: Promise<number | null>) => {
    leaveChat(member, "left");
    // The error line goes after the room's write under way, never into the middle of it (as in
    // drop()); if that write does not end within 2 s, we close without the line.
    const under = (member.writing ?? Promise.resolve()).catch(() => {});
    if (await orLate(under, 2000) === "late") closeOnce(conn);
    else await refuse(conn, id, why, reading);
    return `closed (${why})`;
  };
  try {
    while (true) {
      // An unfinished line must end within --line-timeout seconds of its first byte, or we close.
      const reading = conn.read(buffer.subarray(kept)); // recv(): null when the client is done
      member.readingSince = performance.now(); // for admit(): a read that waits is an open client
      const left = Math.max(0, lineStart + limits.lineTimeout * 1000 - Date.now());
      const count = kept === 0 ? await reading : await orLate(reading, left);
      member.readingSince = 0;
      if (count === "late") {
        return await end(`line unfinished for ${limits.lineTimeout} s (--line-timeout)`, reading);
      }
      const got = count ?? "null: end of stream";
      const recv = `python: conn.recv(${buffer.length - kept})  deno: conn.read()`;
      explain?.(`recv #${id}`, `${recv} -> ${got}`);
      if (count === null) break;
      member.bytes += count;
      member.heardAt = Date.now(); // for admit(): the longest idle makes room first
      const received = buffer.subarray(kept, kept + count);
      // Every line must fit in MAX_LINE bytes, not only the first: one read may hold several.
      let start = -kept; // where the line being measured starts, counted from received[0]
      let lastEnd = -1;
      for (let at = received.indexOf(NEWLINE); true; at = received.indexOf(NEWLINE, at + 1)) {
        if ((at === -1 ? count : at) - start > MAX_LINE) {
          return await end(`line longer than ${MAX_LINE} bytes`);
        }
        if (at === -1) break;
        member.lines++;
        start = at + 1;
        lastEnd = at;
      }
      const full = kept + count === buffer.length;
      if (lastEnd === -1) {
        if (kept === 0) lineStart = Date.now();
        kept += count;
      } else {
        const lineEnd = kept + lastEnd + 1; // buffer[0, lineEnd) holds complete lines
        await relayLines(member, buffer.subarray(0, lineEnd));
        buffer.copyWithin(0, lineEnd, kept + count); // the unfinished rest moves to the front
        kept = kept + count - lineEnd;
        lineStart = Date.now(); // that rest is a line that began in this read
      }
      if (kept === 0 && memory) {
        held -= buffer.length - SMALL; // no unfinished line: its memory goes back
        memory.resize(0);
        memory = undefined;
        buffer = new Uint8Array(SMALL);
      } else if (full && (buffer.length < MAX_LINE || kept === buffer.length)) {
        // Full: double it, if all the buffers together stay under MAX_HELD. If not, only a line
        // that fills its whole buffer is refused; a buffer with room in it reads on at its size.
        if (held + buffer.length > MAX_HELD) {
          if (kept < buffer.length) continue;
          return await end("the server is holding too many unfinished lines");
        }
        held += buffer.length;
        if (memory) memory.resize(buffer.length * 2); // the view on it grows too
        else {
          memory = new ArrayBuffer(buffer.length * 2, { maxByteLength: 2 * MAX_LINE });
          new Uint8Array(memory).set(buffer.subarray(0, kept));
          buffer = new Uint8Array(memory);
        }
      }
    }
    if (kept > 0) await relayLines(member, buffer.subarray(0, kept)); // a last piece without "\n"
    return "closed";
  } finally {
    held -= buffer.length - SMALL;
    memory?.resize(0); // its memory is given back, for the others and at once
  }
}

// Say why we close, then let the client finish sending before we close: closing a socket with
// unread data resets the connection, and the client could lose our error line. One that neither
// reads nor closes gets 2 s.
const discarded = new Uint8Array(16 * 1024); // what the refused clients still send, unread
async function refuse(conn: Deno.TcpConn, id: number, why: string, reading?: Promise<unknown>) {
  const grace = setTimeout(() => closeOnce(conn), 2000);
  try {
    await writeAll(conn, encoder.encode(`error: ${why}, closing\n`), id);
    conn.closeWrite();
    await reading;
    let total = 0;
    while (total < 2 ** 20) {
      const count = await conn.read(discarded);
      if (count === null) break;
      total += count;
    }
  } catch {
    /* the client is gone already */
  } finally {
    clearTimeout(grace);
    closeOnce(conn);
  }
}

// ---------------------------------------------------------------------------------------------
// Plumbing: flags, messages, limits, signals and the --explain trace. None of it is the lesson.

const USAGE = `usage: deno run --allow-net chat_server.ts [--host H] [--port P] [--backlog N]
         [--max-clients N] [--max-per-address N] [--line-timeout S] [--quiet] [--explain]
         [--timestamps] [--help]
  --host H             address to listen on (default 0.0.0.0: every interface, the lesson's "")
  --port P             port to listen on, 0 picks a free one (default 21042)
  --backlog N          connections the system may queue before we accept them (default 511)
  --max-clients N      members at most; one more is told so and closed (default 1000)
  --max-per-address N  members from one address at most, 127.0.0.1 too (default 50)
  --line-timeout S     close a client that leaves a line unfinished S s after its first byte
                       (default 30; client.ts sends whole lines, so a person typing never is)
  --quiet              do not log each connection and each drop
  --explain            print each of the lesson's steps as it happens
  --timestamps         start each line after "listening on" with @ and the time (ms since 1970)`;

// log?.(...) writes the event log, explain?.(...) the trace: each is undefined when its flag is
// off, and then ?. skips the call without even building its text.
let log: ((line: string) => void) | undefined;
let explain: ((step: string, what: string) => void) | undefined;
let stamp = () => ""; // --timestamps: "@1767340800123.456 "
const limits = { clients: 1000, perAddress: 50, lineTimeout: 30 }; // README, "Flags", says why

// Each flag, and whether it takes a value ("string") or is on or off ("boolean").
const TEXTS = ["host", "port", "backlog", "max-clients", "max-per-address", "line-timeout"];
const SWITCHES = ["quiet", "explain", "timestamps", "help"];
function parseFlags() {
  const options: Record<string, { type: "string" | "boolean" }> = {};
  for (const flag of TEXTS) options[flag] = { type: "string" };
  for (const flag of SWITCHES) options[flag] = { type: "boolean" };
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
  const now = () => (performance.timeOrigin + performance.now()).toFixed(3);
  if (flags.timestamps) stamp = () => `@${now()} `;
  if (!flags.quiet) log = (line) => print(stamp() + line);
  if (flags.explain) explain = (step, what) => print(`${stamp()}[${step}] ${what}`);
  const whole = (flag: string, fallback: number, min: number, max: number) =>
    parseWholeNumber(`${flags[flag] ?? fallback}`, `--${flag}`, min, max);
  limits.clients = whole("max-clients", limits.clients, 1, 1e6);
  limits.perAddress = whole("max-per-address", limits.perAddress, 1, 1e6);
  limits.lineTimeout = whole("line-timeout", limits.lineTimeout, 1, 86400);
  // The lesson's "" (every interface) is 0.0.0.0 here; an IPv6 address may come as [::1] or ::1.
  const host = `${flags.host || "0.0.0.0"}`.replace(/^\[(.*)\]$/, "$1");
  return { host, port: whole("port", 21042, 0, 65535), backlog: whole("backlog", 511, 0, 65535) };
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
  const { AddrInUse, NotCapable, PermissionDenied } = Deno.errors;
  const other = "stop the other server, or pick another port with --port";
  if (error instanceof AddrInUse) fail(`port ${port} is already in use on ${host}: ${other}`);
  const allow = `run with --allow-net=${host}:${port}`;
  if (error instanceof NotCapable) fail(`no permission to listen on ${host}:${port}: ${allow}`);
  if (error instanceof PermissionDenied && port < 1024) {
    fail(`port ${port} needs administrator rights (ports below 1024 do): ${ABOVE_1024}`);
  }
  fail(`cannot listen on ${host}:${port}: ${error.message}`);
}
const ABOVE_1024 = "pick one above 1024, such as 21042";

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
    print(`chat_server.ts: cannot accept (${error.message}); retrying`, stderr);
    acceptFailing = true;
  }
  lastAcceptFailure = Date.now();
  await new Promise((resolve) => setTimeout(resolve, 100));
}
function accepted(conn: Deno.TcpConn) {
  if (acceptFailing) print("chat_server.ts: accepting again", stderr);
  acceptFailing = false;
  return conn;
}

// Admission: --max-clients and --max-per-address (docs/limits.md says why, rule by rule).
// - Only open connections count. One whose client closed counts until its read returns the end:
//   a storm of connect-and-close made an honest newcomer look like one too many. So before
//   refusing, admit() waits (SETTLE_MS at most) until a read of each connection it counts has
//   waited through three timers in a row, set after the read began, and none left during the
//   last: the second (of 1 ms at least) fires only after Deno has asked the system for news of
//   the sockets (a timer may fire late, with an older one, but not two in a row), by the third
//   the reads have it.
// - One person cannot fill the room: when it is full, the address holding the most connections
//   gives up its longest idle one (no byte received for longest, or since it connected), told
//   why, and the newcomer is served; only if that address holds at least two more than the
//   newcomer's, so that it gets fairer (a full room of one per address still refuses). Nobody is
//   closed to make room while there is room.
const SETTLE_MS = 1000;
const fromAddress = new Map<string, Set<Member>>(); // the admitted members of each address
let admitted = 0; // admitted members in all
let leaves = 0; // how many have left, ever
type Refusal = { flag: string; why: string };
async function admit(member: Member): Promise<Refusal | undefined> {
  const giveUp = performance.now() + SETTLE_MS;
  const timers: number[] = []; // when each timer we waited for was set
  let left = leaves;
  while (true) {
    const over = overLimit(member.hostname);
    if (over === undefined) break;
    const idle = over.flag === "--max-clients" ? idlest(member.hostname) : undefined;
    if (idle) {
      makeRoom(idle, over.why);
      continue;
    }
    const mine = [fromAddress.get(member.hostname)!];
    const counted = over.flag === "--max-clients" ? fromAddress.values() : mine;
    const open = timers.length >= 3 && left === leaves && allOpen(counted, timers.at(-3)!);
    if (stopping || open || performance.now() > giveUp) return over;
    left = leaves;
    const ms = [0, 1, 0][timers.length] ?? Math.min(2 ** timers.length, 100); // 1: see above
    timers.push(performance.now());
    await new Promise((resolve) => setTimeout(resolve, ms));
  }
  admitted++;
  fromAddress.set(member.hostname, (fromAddress.get(member.hostname) ?? new Set()).add(member));
}
// Its place under the limits is free again (a member that was never admitted had none).
function leave(member: Member) {
  const mine = fromAddress.get(member.hostname);
  if (!mine?.delete(member)) return;
  admitted--;
  leaves++;
  if (mine.size === 0) fromAddress.delete(member.hostname); // no address outlives its members
}
// Which limit a newcomer from this address is over, if any, and the line that tells it so.
function overLimit(hostname: string): Refusal | undefined {
  if ((fromAddress.get(hostname)?.size ?? 0) >= limits.perAddress) {
    const why = `too many connections from ${hostname} (--max-per-address ${limits.perAddress})`;
    return { flag: "--max-per-address", why };
  }
  if (admitted >= limits.clients) {
    return { flag: "--max-clients", why: `too many clients (--max-clients ${limits.clients})` };
  }
}
// Whether a read of each of these members has been waiting since before `since`.
function allOpen(groups: Iterable<Set<Member>>, since: number): boolean {
  const open = (member: Member) => member.readingSince > 0 && member.readingSince < since;
  return [...groups].every((group) => [...group].every(open));
}
// The longest idle member of the address holding the most, if that holds at least two more than
// the newcomer's address (see the rule above); the first such address if several hold as many.
function idlest(newcomer: string): Member | undefined {
  let most: Set<Member> | undefined;
  for (const group of fromAddress.values()) if (!most || group.size > most.size) most = group;
  if (!most || most.size < (fromAddress.get(newcomer)?.size ?? 0) + 2) return;
  let idle: Member | undefined;
  for (const member of most) if (!idle || member.heardAt < idle.heardAt) idle = member;
  return idle;
}
// Close a member to make room (`full` names the limit): its place is free at once; drop() tells
// it why and closes.
function makeRoom(member: Member, full: string) {
  const from = `the ${fromAddress.get(member.hostname)!.size} connections from ${member.hostname}`;
  const why =
    `${full}: made room for a newcomer by closing the longest idle of ${from} (the most ` +
    "from one address)";
  leave(member);
  if (room.has(member)) drop(member, why);
  else closeOnce(member.conn);
}

// The promise's value, or "late" if it takes longer than ms.
async function orLate<T>(promise: Promise<T>, ms: number): Promise<T | "late"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(resolve, ms, "late");
  });
  return await Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

// The room's mechanism, for the lesson path above: flood, stalled members, names, coming back
// (docs/chat.md says each rule and why).

// Flood. What one member says goes out as pieces, each shared by the queues of the members it goes
// to; `waiting` counts those queues. A sender's pieces that still wait somewhere count in its
// inRoom: past SENDER_BUDGET, roomFor() stops reading it until the room has taken them (a budget
// per sender, as backpressure). All senders' waiting bytes stay near ROOM_BUDGET: past it, only a
// sender with nothing waiting goes on, so one line from anyone always goes out.
interface Piece {
  bytes: Uint8Array;
  from?: Member; // who said it; the room's own notices have no sender
  waiting: number; // queues that hold it, or are writing it
}
const SENDER_BUDGET = 256 * 1024;
const ROOM_BUDGET = 32 * 1024 * 1024;
const PIECE = 16 * 1024; // the lines of one read go out in pieces of about this many bytes
const WRITE_MAX = 64 * 1024; // pieces joined into one write, at most (a longer piece goes alone)
let waitingInRoom = 0; // bytes of every sender's pieces that wait somewhere

const heldSenders = new Set<Member>(); // senders roomFor() held back since dropStalled() looked
const heldBack = (member: Member) =>
  member.inRoom > SENDER_BUDGET || (member.inRoom > 0 && waitingInRoom > ROOM_BUDGET);
async function roomFor(member: Member) {
  while (room.has(member) && heldBack(member)) {
    const started = Date.now();
    heldSenders.add(member);
    await orLate(new Promise<void>((resolve) => member.wake = resolve), 1000);
    member.wake = undefined;
    member.heldMs += Date.now() - started;
  }
  if (member.slowUntil > 0) await paced(member, Date.now());
}

// Flood penalty. The backpressure above holds a flooder to its slowest reader's pace, but by then
// that reader's socket buffers (megabytes, in the system, which Deno cannot shrink) are full of the
// flood, and an honest line waits seconds behind them. So a sender held back FLOOD_MS or more in a
// second while a reader who is reading has its lines waiting (dropStalled() looks each second) is
// slowed, as IRC servers do: its lines go out at SLOW_RATE bytes a second, for as long as it sends
// faster than that and SLOW_MS more, and the readers' buffers drain. A paste, or a busy room whose
// readers keep up, never comes near it; a hold by a member that reads nothing ends when that
// member is dropped (and counts for nothing here).
const FLOOD_MS = 500;
const SLOW_RATE = 64 * 1024;
const SLOW_MS = 30_000;
function slowDown(member: Member, now: number) {
  if (member.slowUntil > 0 || !room.has(member)) return;
  member.slowUntil = now + SLOW_MS;
  member.paceAt = now;
  log?.(`slowing ${member.name} (#${member.id}): its readers could not keep up`);
  const rate = `${SLOW_RATE / 1024} KiB/s`;
  const text = `* you send more than the room can read: your lines now go out at ${rate}\n`;
  queueFor(member, encoder.encode(text), member);
}
async function paced(member: Member, now: number) {
  if (member.paceAt > now) {
    member.slowUntil = Math.max(member.slowUntil, member.paceAt + SLOW_MS);
    await new Promise((resolve) => setTimeout(resolve, member.paceAt - now));
  } else if (now > member.slowUntil) member.slowUntil = 0; // it calmed down
}
function spent(member: Member, bytes: number) {
  if (member.slowUntil > 0) {
    member.paceAt = Math.max(member.paceAt, Date.now()) + bytes * 1000 / SLOW_RATE;
  }
}
function countIn(piece: Piece) {
  if (piece.from === undefined || piece.waiting === 0) return;
  piece.from.inRoom += piece.bytes.length;
  waitingInRoom += piece.bytes.length;
}
// A queue wrote the piece, or threw it away: once no queue holds it, its sender may go on.
function written(piece: Piece) {
  piece.waiting--;
  if (piece.waiting > 0 || piece.from === undefined) return;
  piece.from.inRoom -= piece.bytes.length;
  waitingInRoom -= piece.bytes.length;
  if (piece.from.inRoom <= SENDER_BUDGET) piece.from.wake?.();
}
function nextWrite(queue: Piece[]): Piece[] {
  let count = 1, size = queue[0].bytes.length;
  while (count < queue.length && size + queue[count].bytes.length <= WRITE_MAX) {
    size += queue[count++].bytes.length;
  }
  return queue.splice(0, count);
}
function joined(pieces: Piece[]): Uint8Array {
  const all = new Uint8Array(pieces.reduce((sum, piece) => sum + piece.bytes.length, 0));
  let at = 0;
  for (const piece of pieces) {
    all.set(piece.bytes, at);
    at += piece.bytes.length;
  }
  return all;
}
function forgetQueue(member: Member) {
  for (const piece of member.queue) {
    member.queued -= piece.bytes.length;
    written(piece);
  }
  member.queue.length = 0;
}

// Stalled members. "Still reading" is judged by progress while lines wait for a member: its
// socket must take some byte every STALL_MS, and in each window of STALL_MS what waited at the
// window's start, or STALL_BYTES of it (about 13 KB/s), or it is dropped as too far behind. One
// that takes nothing is gone or stuck; one that reads slower than that would never catch up; a
// reader at any speed a person's machine has keeps its place, however much a flooder sends.
const STALL_MS = 5000;
const STALL_BYTES = 64 * 1024;
let stallCheck: ReturnType<typeof setTimeout> | undefined; // runs while someone lags
function waitsFor(member: Member) {
  member.lagSince = Date.now();
  watch(member, member.lagSince);
  if (stallCheck !== undefined) return;
  forgetHolds(); // holds from before nobody lagged are old news
  stallCheck = setTimeout(dropStalled, 1000);
}
function forgetHolds() {
  for (const sender of heldSenders) sender.heldMs = 0;
  heldSenders.clear();
}
function watch(member: Member, now: number) {
  member.watchedAt = now;
  member.owed = member.queued;
  member.took = 0;
}
function dropStalled() {
  stallCheck = undefined;
  const now = Date.now();
  const outpacing = new Set<Member>(); // senders held back while a reader who reads waits
  let lags = false; // someone still has lines waiting: look again in a second
  for (const member of room) {
    if (member.queued === 0) continue;
    lags = true;
    if (now - member.movedAt < 1000) {
      for (const { from } of member.queue) if (from && from.heldMs >= FLOOD_MS) outpacing.add(from);
    }
    if (now - Math.max(member.movedAt, member.lagSince) >= STALL_MS) {
      drop(member, "too far behind"); // it took nothing for STALL_MS
    } else if (now - member.watchedAt < STALL_MS) continue;
    else if (member.took < Math.min(member.owed, STALL_BYTES)) drop(member, "too far behind");
    else watch(member, now);
  }
  for (const sender of outpacing) slowDown(sender, now);
  forgetHolds();
  if (lags) stallCheck = setTimeout(dropStalled, 1000);
}

// Names. NAME: letters and digits (each with at most 3 marks), "_", "-" and "."; COLON: ":" and
// its look-alikes, letters among them (refused with their own line, as ":" fakes "Ana: ...").
const NAME = /^(?:[\p{L}\p{N}]\p{M}{0,3}|[_.-])+$/u;
const COLON = /[:\u02D0\u02F8\u0589\u05C3\u2236\uA4FD\uA789\uFE13\uFE55\uFF1A]/u;
function nameProblem(whole: string): string {
  if (whole === "") return "must start with a letter or a digit";
  if (COLON.test(whole)) return 'may not contain ":"';
  if (!NAME.test(whole)) return "may hold only letters, digits and _ - . (no spaces)";
  const scripts = alphabetsOf(whole);
  const together = JAPANESE.isSupersetOf(scripts) || KOREAN.isSupersetOf(scripts);
  if (scripts.size > 1 && !together) {
    const named = [...SCRIPTS.map(({ script }) => script), "another alphabet"];
    const two = named.filter((script) => scripts.has(script)).slice(0, 2);
    return `mixes alphabets (${two.join(" and ")})`;
  }
  return "";
}
// One alphabet (a Unicode script) per name, as UTS #39's "highly restrictive" level: Japanese may
// mix Han, Hiragana and Katakana, Korean Han and Hangul. Digits and joiners belong to none.
const SCRIPTS = ("Latin Greek Cyrillic Armenian Georgian Hebrew Arabic Devanagari Bengali Tamil " +
  "Thai Ethiopic Hangul Hiragana Katakana Han").split(" ")
  .map((script) => ({ script, test: new RegExp(`\\p{Script=${script}}`, "u") }));
const JAPANESE = new Set(["Han", "Hiragana", "Katakana"]);
const KOREAN = new Set(["Han", "Hangul"]);
function alphabetsOf(name: string): Set<string> {
  const found = new Set<string>();
  for (const char of name) {
    if (!/\p{L}/u.test(char)) continue;
    found.add(SCRIPTS.find(({ test }) => test.test(char))?.script ?? "another alphabet");
  }
  return found;
}
// nameKey(): what a name looks like, for comparing (UTS #39's "skeleton", with a small table). NFKC
// ("Ａna" is "Ana"), marks off ("Aná"), each Cyrillic or Greek letter that looks like a Latin one
// replaced by it ("Апа", "Αηα"), then I and 1 as l, 0 as O, lower case, "rn" as "m", and "_-."
// dropped ("A.na" is "Ana").
const LOOK_ALIKE: Record<string, string> = Object.fromEntries(
  (
    "АA ВB ЕE КK МM НH ОO РP СC ТT ХX УY ҮY ЅS Іl ЈJ ԚQ ԜW Ӏl З3 аa еe оo рp сc уy хx ѕs іi јj " +
    "һh ԁd ԛq ԝw ӏl пn гr ΑA ΒB ΕE ΖZ ΗH Ιl ΚK ΜM ΝN ΟO ΡP ΤT ΥY ΧX ϹC ͿJ αa γy ηn ιi κk νv οo " +
    "ρp υu χx ϲc ϳj ıi Il 1l 0O"
  ).split(" ").map((pair) => [...pair] as [string, string]),
);
function skeleton(name: string): string {
  let folded = "";
  for (const char of name.normalize("NFKC").normalize("NFD").replace(/\p{M}/gu, "")) {
    folded += LOOK_ALIKE[char] ?? char;
  }
  return folded.toLowerCase().replaceAll("rn", "m").replace(/[_.-]/g, "");
}

// Coming back. A student whose Wi-Fi dropped reconnects as a new member while the old connection,
// which the server cannot tell from an idle one, still holds the name (TCP keepalive finds it only
// after the system's 2 h). The rule: the name goes to a new connection from the holder's address
// once the holder has sent nothing for SILENT_MS; the old one gets one error line and is closed.
// Same address: the one thing a reconnecting laptop keeps (a classmate elsewhere can never take
// a name). Silent: a person still at that connection who talks keeps the name against a second
// window, or a prankster behind the same NAT; 15 s is less than it takes to notice, restart and
// retype, and within the minute a student may wait. A line after the refusal says how long is left.
const SILENT_MS = 15_000;
function handOver(holder: Member, member: Member, name: string): string | undefined {
  if (holder.conn.remoteAddr.hostname !== member.conn.remoteAddr.hostname) return "";
  const wait = holder.heardAt + SILENT_MS - Date.now();
  if (wait > 0) {
    const again = `if it was yours, ask again in ${Math.ceil(wait / 1000)} s`;
    return `* "${name}" is held by another connection from your address: ${again}\n`;
  }
  const silent = Math.round((Date.now() - holder.heardAt) / 1000);
  drop(
    holder,
    "reconnected from the same address",
    `silent ${silent} s, its name to #${member.id}`,
  );
  if (news.length > 0) announce(); // its leaving comes before the new member's "is now"
}

// Ctrl-C (SIGINT) and SIGTERM call stop(): it closes the listener and every connection (step 9 for
// everyone), gives the output at most 1 s to be written, and exits 0. Under load Deno may run
// these listeners late (README, What it survives), so an idle worker thread hears the signals too
// and sets a number in shared memory that a timer here (timers do run) looks at.
let stopping = false;
function catchSignals(listener: Deno.Listener) {
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const seen = new Int32Array(new SharedArrayBuffer(4)); // the worker sets it to 1 on a signal
  const stop = async () => {
    if (stopping) return; // a second Ctrl-C: already stopping
    stopping = true;
    listener.close();
    for (const conn of members.keys()) closeOnce(conn);
    const printed = Promise.all([stdout.printing, stderr.printing]);
    await Promise.race([printed, new Promise((resolve) => setTimeout(resolve, 1000))]);
    Deno.exit(0);
  };
  for (const signal of signals) Deno.addSignalListener(signal, stop);
  setInterval(() => {
    if (Atomics.load(seen, 0) === 1) stop();
  }, 50);
  setTimeout(() => { // the worker starts after the "listening on" line, so as not to delay it
    const url = `data:text/javascript,${encodeURIComponent(WATCHER)}`;
    const worker = new Worker(url, { type: "module" });
    worker.onerror = (event) => event.preventDefault(); // the listeners above still work
    worker.postMessage({ signals, seen });
  });
}
const WATCHER = "onmessage = ({ data }) => data.signals.forEach((signal) => " +
  "Deno.addSignalListener(signal, () => Atomics.store(data.seen, 0, 1)));";

// print(line): every line a server prints after "listening on" goes through here, and so does
// every line for stderr (print(line, stderr)). console.log and console.error would stop the whole
// server while the terminal is paused or a pipe is full; here at most one write waits on each
// stream, lines queue up to 64 KiB behind it, and past that they are dropped and counted, and the
// count is printed as soon as output moves again.
interface Output {
  stream: { write(bytes: Uint8Array): Promise<number> };
  queue: string[];
  queued: number; // characters in queue
  dropped: number; // lines dropped since output last moved
  printing?: Promise<void>; // printAll() at work
}
const stdout: Output = { stream: Deno.stdout, queue: [], queued: 0, dropped: 0 };
const stderr: Output = { stream: Deno.stderr, queue: [], queued: 0, dropped: 0 };
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
      const count = `${stamp()}(${output.dropped} lines not printed: output was not being read)`;
      if (output.dropped > 0) output.queue.push(count);
      output.dropped = 0;
    }
  } catch {
    // nobody reads our output any more (closed pipe): serving matters more
  } finally {
    output.printing = undefined; // at once, not a tick later: a line printed meanwhile would wait
  }
}

if (import.meta.main) await main();
