// chat_server.ts: a TCP chat room, the lesson's WhatsApp, written with Deno.
//
// Run the room and two clients in three terminals:
//   terminal 1:  deno run --allow-net chat_server.ts        prints "listening on 0.0.0.0:21042"
//   terminal 2:  deno run --allow-net client.ts --name Ana   type a line: Bo sees "Ana: ..."
//   terminal 3:  deno run --allow-net client.ts --name Bo
//
// Each line a client sends goes to every other client after the sender's name, which is the
// client's address until it sends "/name Ana". It is server.ts, relaying lines instead of echoing.
// It speaks Spanish where the system does, English elsewhere (--lang es|en chooses).
//
// Map: above the divider, the lesson: main() (flags, listen, the accept loop), serve() (join the
// room, then relay each line to the others), closeOnce() (close), flush() and writeAll() (sendall,
// from each member's queue). Below it, the mechanism: the line reader (buffers, their memory
// budget), refusals and --line-timeout, the room (members, the welcome, leaving and drops,
// notices, relay, names, queues), flags and error lines, accept() failures, admission
// (--max-clients, --max-per-address), flood budgets and penalty, stalled members, names' rules,
// coming back, signals, the print queue, the language, and last the MESSAGES table (every line
// for a person, es and en).

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
    const member = newMember(conn); // its number (#1, #2, ...) names it in the trace
    const got = `${member.peer} (#${member.id})`;
    explain?.("step 7", "conn, addr = s.accept()", "await listener.accept()", got);
    serve(conn, member);
  }
}

// Step 8: serve one member, from accept() to close(): it joins the room, and each line it sends
// goes to the others. A client over a limit (--max-clients, say) is told which, and closed.
async function serve(conn: Deno.TcpConn, member: Member) {
  const refusal = await admit(member); // it may wait a moment, or make room (below the divider)
  const lines = new LineReader(conn, member); // TCP is a stream of bytes: this finds the lines
  let ending = refusal ? text.refusedEnding(refusal.flag) : text.closed;
  try {
    if (refusal) return await refuse(conn, member, refusal.why);
    log?.(text.connectionFrom(`${member.peer} (#${member.id})`));
    enterRoom(member); // its welcome, then every line the room says from now on
    while (true) {
      const complete = await lines.next(); // recv() until "\n": every complete line so far
      if (complete === null) break; // the client is done, or went past a limit
      await relayLines(member, complete); // to every other member, each after the sender's name
    }
    if (lines.limit) ending = await tellLimit(member, lines.limit); // a line too long, say
  } catch (error) {
    ending = member.ending ?? text.closedAfterError((error as Error).name);
  } finally {
    lines.release(); // its memory back at once, for the other members
    leaveChat(member); // out of the room for good, and the room is told
    closeOnce(conn);
    if (!stopping) log?.(text.closedLog(ending, `${member.peer} (#${member.id})`, member));
  }
}

// Step 9, close(). A member leaving, being dropped, or Ctrl-C closes a connection; closing it
// twice would throw.
function closeOnce(conn: Deno.TcpConn) {
  const member = members.get(conn);
  if (!member) return;
  members.delete(conn);
  explain?.(`step 9 #${member.id}`, "conn.close()", "conn.close()", member.peer);
  conn.close();
}

// Sending: each member has a queue of what the others said, not yet written to it, so that
// passing a line on never waits for a socket; flush() writes a member's queue out, one write at a
// time (the queues and the budgets that slow a flooder, not its readers, are below the divider).
async function flush(member: Member) {
  let writing: Piece[] = [];
  try {
    while (member.queue.length > 0 && room.has(member)) {
      writing = nextWrite(member.queue); // one piece as it is, or several joined
      const bytes = writing.length === 1 ? writing[0].bytes : joined(writing);
      member.writing = writeAll(member.conn, bytes, member); // sendall()
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
async function writeAll(conn: Deno.TcpConn, bytes: Uint8Array, member: Member) {
  if (bytes.length === 0) return;
  const deno = `conn.write() ${text.untilAllSent}`;
  explain?.(`step 8 #${member.id}`, "conn.sendall(data)", deno, `${bytes.length} bytes`);
  let written = 0;
  while (written < bytes.length) {
    const count = await conn.write(bytes.subarray(written));
    written += count;
    [member.took, member.movedAt] = [member.took + count, Date.now()]; // it reads (dropStalled())
  }
}

// ---------------------------------------------------------------------------------------------
// The mechanism: what keeps the lesson's path short and the room safe. None of it is the lesson.

// TCP is a stream of bytes, not of messages: one read may hold half a line, or several. A
// LineReader's next() reads until it has complete lines and hands back all it has, up to the last
// "\n", in one piece; the unfinished rest stays at the front of the buffer, and the next read goes
// in after it (it is never copied). At the end of the stream, an unfinished last piece is handed
// back as it is. A line longer than MAX_LINE, one that needs more room than the budget below
// leaves, or one unfinished past --line-timeout ends the connection: next() returns null, and
// `limit` says what to tell the member. It is server.ts's reader.
const MAX_LINE = 64 * 1024; // longest line we keep in memory while waiting for its "\n"
const FIRST_SIZE = 1024; // a reader's buffer size while it holds no unfinished line
const NEWLINE = 10; // the byte value of "\n"
const encoder = new TextEncoder();
class LineReader {
  buffer = new Uint8Array(FIRST_SIZE);
  memory?: ArrayBuffer; // once it grows: resizable, so resize(0) frees it at once
  kept = 0; // buffer[0, kept): bytes held, ending with the start of a line whose "\n" is to come
  handedOut = 0; // buffer[0, handedOut): the complete lines the last next() handed out
  lineStartAt = 0; // Date.now() when the unfinished line's first byte came
  full = false; // the last read filled the buffer
  done = false; // the stream ended, or a limit was passed
  limit?: string; // the limit passed, as the member is told it
  constructor(readonly conn: Deno.TcpConn, readonly member: Member) {}

  // The complete lines that have come (one or more), or null at the end: the client closed its
  // side, or went past a limit (then `limit` says which).
  async next(): Promise<Uint8Array | null> {
    while (!this.done) {
      this.settle(); // the lines handed out last time are passed on: room for more
      if (this.done) break;
      const { buffer, kept, member } = this;
      const count = await this.read();
      explain?.(
        `recv #${member.id}`,
        `conn.recv(${buffer.length - kept})`,
        "conn.read()",
        `${count ?? text.endOfStream}`,
      );
      if (member.timedOut) return this.stop(text.lineUnfinished(limits.lineTimeout)); // told
      if (count === null) return this.finish();
      const lines = this.take(count);
      if (lines) return lines;
    }
    return null;
  }

  // recv(): the next read, null when the client is done.
  async read(): Promise<number | null> {
    const { buffer, kept, member } = this;
    member.lineStartAt = kept > 0 ? this.lineStartAt : 0; // for --line-timeout
    member.readingAt = performance.now(); // for admit(): a read that waits is an open client
    const count = await this.conn.read(kept === 0 ? buffer : buffer.subarray(kept));
    member.lineStartAt = member.readingAt = 0;
    return count;
  }

  // The new bytes are in: hand back the complete lines among them, if any.
  take(count: number): Uint8Array | undefined {
    const { buffer, kept, member } = this;
    member.bytes += count;
    member.heardAt = Date.now(); // for admit(): the longest idle makes room first
    const tooLong = kept + count > MAX_LINE ? longLineAt(buffer.subarray(0, kept + count)) : -1;
    if (tooLong !== -1) {
      this.stop(text.lineTooLong(MAX_LINE));
      if (tooLong === 0) return; // no complete line before it
      if (log) member.lines += countLines(buffer.subarray(0, tooLong));
      return buffer.subarray(0, tooLong); // the lines before it go on
    }
    const received = buffer.subarray(kept, kept + count);
    const lastEnd = received.lastIndexOf(NEWLINE);
    if (lastEnd !== -1 || kept === 0) this.lineStartAt = Date.now(); // a new line starts in here
    this.full = kept + count === buffer.length;
    this.kept += count;
    if (lastEnd === -1) return;
    if (log) member.lines += countLines(received); // a search per line: only for the log line
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
      return this.stop(text.heldTooMuch);
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

  // The end of the stream: what is left (an unfinished line) goes on as it is, then null.
  finish(): Uint8Array | null {
    this.done = true;
    return this.kept > 0 ? this.buffer.subarray(0, this.kept) : null;
  }

  stop(limit: string): null {
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

// How many lines end in these bytes: a search per line, as costly as the relay itself.
function countLines(bytes: Uint8Array): number {
  let lines = 0;
  for (let at = bytes.indexOf(NEWLINE); at !== -1; at = bytes.indexOf(NEWLINE, at + 1)) lines++;
  return lines;
}

// A member past a limit: out of the room at once (serve() tells the room), then its error line,
// after the room's write under way and never into the middle of it (as in drop()); if that write
// does not end within 2 s, we close without the line. One that timed out was told already (that
// line is the write under way): only what it still sends is taken. It says how the connection
// ended, for the log.
async function tellLimit(member: Member, why: string) {
  leaveRoom(member, text.left(member.name));
  const under = (member.writing ?? Promise.resolve()).catch(() => {});
  if (await orLate(under, 2000) === "late") closeOnce(member.conn);
  else await refuse(member.conn, member, why, member.timedOut);
  return text.closedWhy(why);
}

// --line-timeout: once a second, end each member whose unfinished line is not finished in time.
// Its read still waits (one read at a time): the member leaves the room and is told now, and its
// line reader stops when that read returns; serve() then takes what it still sends, and closes.
function endStalledLines() {
  const { lineTimeout } = limits;
  for (const member of members.values()) {
    const { lineStartAt } = member;
    if (lineStartAt === 0 || Date.now() - lineStartAt < lineTimeout * 1000) continue;
    member.lineStartAt = 0;
    member.timedOut = true;
    const why = text.lineUnfinished(lineTimeout);
    member.ending = text.closedWhy(why); // for one that sends nothing more: closed within 2 s
    leaveRoom(member, text.left(member.name)); // serve() tells the room
    sayWhileReading(member, why);
  }
}

// Say why we close, then let the client finish sending before we close: closing a socket with
// unread data resets the connection, and the client could lose our error line. One that neither
// reads nor closes gets 2 s.
const DISCARDED = new Uint8Array(16 * 1024); // what the refused clients still send, unread
async function refuse(conn: Deno.TcpConn, member: Member, why: string, told = false) {
  const grace = setTimeout(() => closeOnce(conn), 2000);
  try {
    if (!told) await writeAll(conn, errorLine(why), member);
    if (!told) conn.closeWrite();
    let total = 0;
    while (total < 2 ** 20) {
      const count = await conn.read(DISCARDED);
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

// The line that tells a member why we close: "error: " in every language (tools key on it).
function errorLine(why: string): Uint8Array {
  return encoder.encode(`error: ${text.closing(why)}\n`);
}

// The room. Each member has a queue of what the others said that is not yet written to it, so
// that passing a line on never waits for a socket: tellOthers() adds the lines of one read to every
// other member's queue (one copy, shared) and flush() writes each queue out. The one who sends too
// much is the one slowed: while more than SENDER_BUDGET bytes of its lines wait in the others'
// queues, we stop reading it (roomFor()), so the room goes at the pace of its
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
  lagAt: number; // when lines began waiting for it (Date.now())
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
  ending?: string; // how the mechanism ended it (dropped, made room), for the log
  askedName: boolean; // it sent a "/name" line: it needs no hint (hintName())
  hintTimer?: ReturnType<typeof setTimeout>; // until then: cleared when it leaves
  lines: number; // lines and bytes it sent, for the log
  bytes: number;
  hostname: string; // for admit(), with heardAt (Date.now()) and readingAt (performance.now())
  heardAt: number; // when its last byte came, or when it connected: for admit() and handOver()
  readingAt: number; // when the read under way began, or 0
  lineStartAt: number; // while a read waits: when its unfinished line began, or 0 (--line-timeout)
  timedOut: boolean; // its unfinished line's time is up: it was told (endStalledLines())
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
  const flow = { queued: 0, inRoom: 0, lagAt: 0, movedAt: 0, watchedAt: 0, owed: 0, took: 0 };
  const penalty = { heldMs: 0, slowUntil: 0, paceAt: 0 };
  const counts = { lines: 0, bytes: 0, ...flow, ...penalty };
  const admission = { hostname: conn.remoteAddr.hostname, heardAt: Date.now(), readingAt: 0 };
  const fresh = { conn, id: lastId, peer, name: peer, queue: [], askedName: false };
  const member: Member = { ...fresh, ...counts, ...admission, lineStartAt: 0, timedOut: false };
  members.set(conn, member);
  return member;
}

// A member joins the room as soon as it is admitted: its welcome first, then every line the room
// says. One that has not sent "/name" HINT_MS later is told how to pick a name; client.ts --name
// sends it as soon as it connects, and its student is never told (a slow laptop or a Wi-Fi link
// may take many milliseconds to send it, never a second).
const HINT_MS = 1000;
function enterRoom(member: Member) {
  room.add(member);
  const { name } = member;
  if (!names.has(nameKey(name))) names.set(nameKey(name), member); // its address
  queueFor(member, encoder.encode(`${text.welcome(name, room.size)}\n`));
  tellRoom(member, text.joined(name));
  member.hintTimer = setTimeout(hintName, HINT_MS, member);
}
function hintName(member: Member) {
  if (member.askedName || !room.has(member) || stopping) return;
  queueFor(member, encoder.encode(`* ${text.pickName}\n`));
}

// Leaving the room ends in serve(): a member taken out earlier (dropped, or past a limit) left its
// notice in `news`, and serve() makes sure it goes (within NEWS_MS; a line relayed meanwhile may
// take it along first). So leaving never calls back into delivery (announce(), queueFor()).
function leaveChat(member: Member) {
  leaveRoom(member, text.left(member.name));
  if (news.length > 0 && !stopping) newsSoon();
}

// Out of the room at once: its place under the limits, its name, and what waited for it (which
// no longer holds back its senders) are free. `farewell` is the others' notice, recorded in
// `news`: "Ana left", or why it was disconnected.
function leaveRoom(member: Member, farewell: string) {
  leave(member); // its place under the limits is free again
  if (!room.delete(member)) return; // already gone
  clearTimeout(member.hintTimer); // nothing of it waits in a timer
  forgetName(member);
  forgetQueue(member);
  member.wake?.(); // its read loop, if it waits for the room, ends
  if (!stopping) news.push({ member, what: farewell });
}

// Dropping a member closes its connection, which ends its read loop in serve().
function drop(member: Member, why: string, told = text.notRead(member.queued)) {
  if (!room.has(member)) return;
  log?.(text.dropping(`${member.name} (#${member.id})`, told));
  member.ending = text.droppedEnding(why);
  leaveRoom(member, text.disconnected(member.name, why));
  sayAndClose(member, why); // what was queued is thrown away
}

// The error line goes out after the room's write under way, never into the middle of it, and then
// we close; if that takes more than 2 s (a member that reads nothing), we close without it.
function sayAndClose(member: Member, why: string) {
  const { conn } = member;
  const last = () => writeAll(conn, errorLine(why), member);
  const grace = setTimeout(() => closeOnce(conn), 2000);
  (member.writing ?? Promise.resolve()).then(last).catch(() => {}).finally(() => {
    clearTimeout(grace);
    closeOnce(conn);
  });
}

// The same while the member's read still waits (one read at a time): after its line only our side
// is closed; that read, when it returns, ends the line reader, and serve() takes what the member
// still sends before it closes (tellLimit()). Within 2 s in any case.
function sayWhileReading(member: Member, why: string) {
  const { conn } = member;
  setTimeout(() => closeOnce(conn), 2000);
  const last = () => writeAll(conn, errorLine(why), member);
  const said = (member.writing ?? Promise.resolve()).then(last);
  member.writing = said.then(() => conn.closeWrite()).catch(() => closeOnce(conn)); // tellLimit()
}

// Joins and leaves are announced together, at most every NEWS_MS: in a storm of joins each member
// gets one notice per NEWS_MS, not one per join. A member's lines wait for the news before them.
const NEWS_MS = 100;
const news: { member: Member; what: string }[] = []; // not yet announced
let newsTimer: ReturnType<typeof setTimeout> | undefined;
let lastNews = 0; // Date.now() of the last notice
function tellRoom(member: Member, what: string) {
  news.push({ member, what });
  newsSoon();
}
function newsSoon() {
  newsTimer ??= setTimeout(announce, Math.max(0, lastNews + NEWS_MS - Date.now()));
}
function announce() { // never called from queueFor(): delivery never calls back into notices
  clearTimeout(newsTimer);
  newsTimer = undefined;
  lastNews = Date.now();
  const told = news.splice(0);
  if (told.length === 0 || stopping) return;
  const more = told.length > 3 ? `; ${text.moreJoinedOrLeft(told.length - 3)}` : "";
  const what = told.slice(0, 3).map((item) => item.what).join("; ");
  const bytes = encoder.encode(`* ${what}${more} (${text.online(room.size)})\n`);
  // A member alone in the news is not told of itself; in a batch, each must hear of the others.
  const alone = told.length === 1 ? told[0].member : undefined;
  for (const other of room) if (other !== alone) queueFor(other, bytes);
}

// Each line goes to the others as "NAME: line"; a line "/name NAME" renames the sender. Control,
// format and invisible characters (zero-width, variation selectors) are taken out: no terminal
// escape codes, no text shown reversed. A tab is a space, and a run of spaces becomes one (so
// "/name<TAB>Ana" renames too). The room's notices start
// with "* ": so that no line can wrap into what looks like one, at any terminal width, a star
// (or a look-alike) in a member's line is never followed by a space: "a * b" is shown "a *b".
// The lines of one read go out in pieces of about PIECE bytes, each after roomFor() lets the
// sender on (too much of what it said waits, or it is slowed for flooding: it waits): one read of
// many short lines never lands on the others all at once.
const decoder = new TextDecoder();
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}]/gu;
const STAR_SPACE = /([*\u066D\u204E\u2055\u2217\u2731\u2732\uFE61\uFF0A]) /gu;
const clean = (line: string) =>
  line.replace(/\t/g, " ").replace(INVISIBLE, "").replace(/[\p{Z}\u2800]+/gu, " ").replace(
    STAR_SPACE,
    "$1",
  );
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
    const said = clean(line);
    const rename = said.match(/^\/name\s+(\S.*)$/);
    if (rename) {
      pass();
      member.askedName = true; // it knows how: no hint (hintName())
      takeName(member, rename[1]);
    } else out += `${member.name}: ${said}\n`;
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
// (handOver(), further down).
const nameKey = (name: string) => skeleton(name);
function takeName(member: Member, wanted: string) {
  const whole = wanted.normalize("NFKC").replace(/^[^\p{L}\p{N}]+/u, "").trim();
  const name = [...whole].slice(0, 32).join("").trim(); // at most 32 characters
  const holder = names.get(nameKey(name));
  let refusal = nameProblem(whole);
  let hint = ""; // a second line, for a student coming back (handOver())
  if (refusal === "" && holder !== undefined && holder !== member) {
    const kept = handOver(holder, member, name);
    if (kept !== undefined) [refusal, hint] = [text.isTaken, kept];
  }
  if (refusal !== "") {
    const told = `* ${text.nameRefused(wanted, refusal, member.name)}\n${hint}`;
    return queueFor(member, encoder.encode(told), member);
  }
  if (name !== whole) queueFor(member, encoder.encode(`* ${text.nameCut(name)}\n`), member);
  tellOthers(member, `* ${text.isNow(member.name, name)}\n`);
  forgetName(member);
  names.set(nameKey(name), member);
  member.name = name;
}
function forgetName(member: Member) {
  if (names.get(nameKey(member.name)) === member) names.delete(nameKey(member.name));
}

// What one member says goes into every other member's queue as one piece, shared.
function tellOthers(from: Member, said: string) {
  const piece: Piece = { bytes: encoder.encode(said), from, waiting: 0 };
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
  enqueue(member, piece);
}
function enqueue(member: Member, piece: Piece) {
  member.queue.push(piece);
  member.queued += piece.bytes.length;
  if (member.queued === piece.bytes.length) {
    // It was idle: its lines start waiting now, and what else this turn adds (the rest of the
    // notices, say) goes in the same write.
    waitsFor(member);
    queueMicrotask(() => flush(member));
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
  console.error(`chat_server.ts: ${message}\n${text.usage}`);
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
  if (error instanceof AddrInUse) fail(text.portInUse(port, host));
  if (error instanceof NotCapable) fail(text.noPermission(`${host}:${port}`));
  if (error instanceof PermissionDenied && port < 1024) fail(text.lowPort(port));
  fail(text.cannotListen(`${host}:${port}`, error.message));
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
    printError(`chat_server.ts: ${text.cannotAccept(error.message)}`);
    acceptFailing = true;
  }
  lastAcceptFailure = Date.now();
  await new Promise((resolve) => setTimeout(resolve, 100));
}
function accepted(conn: Deno.TcpConn): Deno.TcpConn | undefined {
  if (stopping) { // Ctrl-C came just as accept() returned: stop() closed every member but this one
    conn.close();
    return undefined;
  }
  if (acceptFailing) printError(`chat_server.ts: ${text.acceptingAgain}`);
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
const SETTLE_MS = 3000; // at most: a busy machine may need seconds to read a storm's ends
const MIN_SETTLE_MS = 50; // at least: some turns of the event loop, for ends already on their way
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
    const waited = timers.length >= 3 && performance.now() - timers[0] >= MIN_SETTLE_MS;
    const open = waited && left === leaves && allOpen(counted, timers.at(-3)!);
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
  const { perAddress, clients } = limits;
  if ((fromAddress.get(hostname)?.size ?? 0) >= perAddress) {
    return { flag: "--max-per-address", why: text.tooManyFrom(hostname, perAddress) };
  }
  if (admitted >= clients) return { flag: "--max-clients", why: text.tooManyClients(clients) };
}
// Whether a read of each of these members has been waiting since before `since`.
function allOpen(groups: Iterable<Set<Member>>, since: number): boolean {
  const open = (member: Member) => member.readingAt > 0 && member.readingAt < since;
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
  const { hostname } = member;
  const why = text.madeRoom(full, fromAddress.get(hostname)!.size, hostname);
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
  log?.(text.slowing(`${member.name} (#${member.id})`));
  const told = `* ${text.slowed(`${SLOW_RATE / 1024} KiB/s`)}\n`;
  queueFor(member, encoder.encode(told), member);
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
  member.lagAt = Date.now();
  watch(member, member.lagAt);
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
    if (now - Math.max(member.movedAt, member.lagAt) >= STALL_MS) {
      drop(member, text.tooFarBehind); // it took nothing for STALL_MS
    } else if (now - member.watchedAt < STALL_MS) continue;
    else if (member.took < Math.min(member.owed, STALL_BYTES)) drop(member, text.tooFarBehind);
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
  if (whole === "") return text.nameStart;
  if (COLON.test(whole)) return text.nameColon;
  if (!NAME.test(whole)) return text.nameCharacters;
  const scripts = alphabetsOf(whole);
  const together = JAPANESE.isSupersetOf(scripts) || KOREAN.isSupersetOf(scripts);
  if (scripts.size > 1 && !together) {
    const named = [...SCRIPTS.map(({ script }) => script), ANOTHER];
    const two = named.filter((script) => scripts.has(script)).slice(0, 2);
    return text.mixesAlphabets(two.map((script) => script === ANOTHER ? text.another : script));
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
const ANOTHER = "another alphabet"; // a letter of none of SCRIPTS
function alphabetsOf(name: string): Set<string> {
  const found = new Set<string>();
  for (const char of name) {
    if (!/\p{L}/u.test(char)) continue;
    found.add(SCRIPTS.find(({ test }) => test.test(char))?.script ?? ANOTHER);
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
    return `* ${text.heldElsewhere(name, Math.ceil(wait / 1000))}\n`;
  }
  const silent = Math.round((Date.now() - holder.heardAt) / 1000);
  drop(holder, text.reconnected, text.handedOver(silent, `#${member.id}`));
  if (news.length > 0) announce(); // its leaving comes before the new member's "is now"
}

// Ctrl-C (SIGINT) and SIGTERM call stop(): it closes the listener and every connection (step 9 for
// everyone), gives the output at most 1 s to be written, and exits 0. Under load Deno may run
// these listeners late (docs/stress.md), so an idle worker thread hears the signals too
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

// print(line): every line a server prints after "listening on" goes through here, and so does
// every line for stderr (printError(line)). console.log and console.error would stop the whole
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
    // nobody reads our output any more (closed pipe): serving matters more
  } finally {
    output.printing = undefined; // at once, not a tick later: a line printed meanwhile would wait
  }
}

// The language of every line for a person: --lang es|en, found before the flags are parsed (a
// usage error must already be in it), or else the system's: navigator.language "es-AR", or any
// "es", is Spanish; anything else, "und" included, English. A bad --lang is told in English.
type Language = "en" | "es";
let language: Language = "en";
let text: Texts<typeof MESSAGES>;
function setLanguage(args: string[]) {
  const flags = args.includes("--") ? args.slice(0, args.indexOf("--")) : args;
  const at = flags.findLastIndex((arg) => arg === "--lang" || arg.startsWith("--lang="));
  const given = at === -1 ? undefined : flags[at] === "--lang" ? flags[at + 1] : flags[at].slice(7);
  const system = navigator.language.toLowerCase().startsWith("es") ? "es" : "en";
  language = given === undefined ? system : isLanguage(given) ? given : "en";
  text = pickTexts(MESSAGES, language);
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
// refusal, the "/name" command, the trace's tags and calls, and the names of flags, calls, errors
// and alphabets.
type Counts = { lines: number; bytes: number }; // for the log line
export const MESSAGES = {
  usage: {
    en: `usage: deno run --allow-net chat_server.ts [--host H] [--port P] [--backlog N]
         [--max-clients N] [--max-per-address N] [--line-timeout S] [--quiet] [--explain]
         [--timestamps] [--lang L] [--help]
  --host H             address to listen on (default 0.0.0.0: every interface, the lesson's "")
  --port P             port to listen on, 0 picks a free one (default 21042)
  --backlog N          connections the system may queue before we accept them (default 511)
  --max-clients N      members at most; one more is told so and closed (default 1000)
  --max-per-address N  members from one address at most, 127.0.0.1 too (default 50)
  --line-timeout S     close a client that leaves a line unfinished S s after its first byte
                       (default 30; client.ts sends whole lines, so a person typing never is)
  --quiet              do not log each connection and each drop
  --explain            print each of the lesson's steps as it happens
  --timestamps         start each line after "listening on" with @ and the time (ms since 1970)
  --lang L             the language of the messages: es or en (default: the system's)`,
    es: `uso: deno run --allow-net chat_server.ts [--host H] [--port P] [--backlog N]
         [--max-clients N] [--max-per-address N] [--line-timeout S] [--quiet] [--explain]
         [--timestamps] [--lang L] [--help]
  --host H             dirección donde escuchar (si no, 0.0.0.0: todas, el "" de la lección)
  --port P             puerto donde escuchar, 0 elige uno libre (si no, 21042)
  --backlog N          conexiones que el sistema guarda hasta que las aceptamos (si no, 511)
  --max-clients N      miembros como máximo; al que sobra se le avisa y se lo cierra
                       (si no, 1000)
  --max-per-address N  miembros desde una dirección como máximo, 127.0.0.1 también (si no, 50)
  --line-timeout S     cerrar a un cliente que deja una línea sin terminar S s después de su
                       primer byte (si no, 30; client.ts manda líneas enteras, así que a una
                       persona que escribe nunca le pasa)
  --quiet              no anotar cada conexión ni a quién se echa
  --explain            mostrar cada paso de la lección mientras pasa
  --timestamps         empezar cada línea después de "listening on" con @ y la hora
                       (ms desde 1970)
  --lang L             el idioma de los mensajes: es o en (si no, el del sistema)`,
  },
  // What a member reads: the welcome and the room's notices (after "* ").
  welcome: {
    en: (name: string, count: number) => `welcome to the chat, ${name}: ${count} online`,
    es: (name: string, count: number) => `bienvenido al chat, ${name}: ${count} en línea`,
  },
  pickName: { // to a member that has not sent "/name" a second after joining
    en: `send "/name NAME" to pick a name`,
    es: `mandá "/name NOMBRE" para elegir un nombre`,
  },
  joined: { en: (name: string) => `${name} joined`, es: (name: string) => `${name} entró` },
  left: { en: (name: string) => `${name} left`, es: (name: string) => `${name} se fue` },
  disconnected: {
    en: (name: string, why: string) => `${name} was disconnected: ${why}`,
    es: (name: string, why: string) => `${name} quedó afuera: ${why}`,
  },
  moreJoinedOrLeft: {
    en: (count: number) => `${count} more joined or left`,
    es: (count: number) => `${count} más entraron o se fueron`,
  },
  online: { en: (count: number) => `${count} online`, es: (count: number) => `${count} en línea` },
  isNow: {
    en: (old: string, name: string) => `${old} is now ${name}`,
    es: (old: string, name: string) => `${old} ahora se llama ${name}`,
  },
  nameCut: {
    en: (name: string) => `your name was cut to 32 characters: ${name}`,
    es: (name: string) => `tu nombre quedó cortado en 32 caracteres: ${name}`,
  },
  nameRefused: {
    en: (wanted: string, refusal: string, name: string) =>
      `name "${wanted}" ${refusal}; you are still ${name}`,
    es: (wanted: string, refusal: string, name: string) =>
      `el nombre "${wanted}" ${refusal}; seguís siendo ${name}`,
  },
  isTaken: { en: "is taken", es: "ya lo tiene otro" },
  nameStart: {
    en: "must start with a letter or a digit",
    es: "tiene que empezar con una letra o un número",
  },
  nameColon: { en: 'may not contain ":"', es: 'no puede tener ":"' },
  nameCharacters: {
    en: "may hold only letters, digits and _ - . (no spaces)",
    es: "solo puede tener letras, números y _ - . (sin espacios)",
  },
  mixesAlphabets: {
    en: (two: string[]) => `mixes alphabets (${two.join(" and ")})`,
    es: (two: string[]) => `mezcla alfabetos (${two.join(" y ")})`,
  },
  another: { en: "another alphabet", es: "otro alfabeto" },
  heldElsewhere: {
    en: (name: string, seconds: number) =>
      `"${name}" is held by another connection from your address: if it was yours, ask again ` +
      `in ${seconds} s`,
    es: (name: string, seconds: number) =>
      `"${name}" lo tiene otra conexión desde tu dirección: si era tuya, pedilo de nuevo ` +
      `en ${seconds} s`,
  },
  slowed: {
    en: (rate: string) => `you send more than the room can read: your lines now go out at ${rate}`,
    es: (rate: string) =>
      `mandás más de lo que la sala puede leer: ahora tus líneas salen a ${rate}`,
  },
  // What a member is told, after "error: ", and why the others heard it was disconnected.
  closing: {
    en: (why: string) => `${why}, closing`,
    es: (why: string) => `${why}, cierro la conexión`,
  },
  tooFarBehind: { en: "too far behind", es: "se atrasó demasiado leyendo" },
  reconnected: {
    en: "reconnected from the same address",
    es: "volvió a conectarse desde la misma dirección",
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
  // The log.
  connectionFrom: {
    en: (who: string) => `connection from ${who}`,
    es: (who: string) => `conexión de ${who}`,
  },
  closedLog: {
    en: (ending: string, who: string, { lines, bytes }: Counts) =>
      `${ending} ${who}: ${lines} ${lines === 1 ? "line" : "lines"}, ${bytes} bytes`,
    es: (ending: string, who: string, { lines, bytes }: Counts) =>
      `${ending} ${who}: ${lines} ${lines === 1 ? "línea" : "líneas"}, ${bytes} bytes`,
  },
  closed: { en: "closed", es: "cerrada" },
  closedWhy: { en: (why: string) => `closed (${why})`, es: (why: string) => `cerrada (${why})` },
  closedAfterError: {
    en: (name: string) => `closed after an error (${name})`,
    es: (name: string) => `cerrada tras un error (${name})`,
  },
  refusedEnding: {
    en: (flag: string) => `refused (${flag})`,
    es: (flag: string) => `rechazada (${flag})`,
  },
  droppedEnding: {
    en: (why: string) => `dropped (${why})`,
    es: (why: string) => `desconectada (${why})`,
  },
  dropping: {
    en: (who: string, told: string) => `dropping ${who}: ${told}`,
    es: (who: string, told: string) => `desconecto a ${who}: ${told}`,
  },
  notRead: {
    en: (bytes: number) => `${bytes} bytes it has not read`,
    es: (bytes: number) => `${bytes} bytes que no leyó`,
  },
  handedOver: {
    en: (silent: number, to: string) => `silent ${silent} s, its name to ${to}`,
    es: (silent: number, to: string) => `callado hace ${silent} s, su nombre pasa a ${to}`,
  },
  slowing: {
    en: (who: string) => `slowing ${who}: its readers could not keep up`,
    es: (who: string) => `freno a ${who}: los que leen no daban abasto`,
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
  // Starting: the flags, and listening.
  badLang: { en: "--lang must be es or en", es: "--lang tiene que ser es o en" },
  unknownOption: {
    en: (node: string, _option: string) => node,
    es: (_node: string, option: string) => `no existe la opción '${option}'`,
  },
  unexpectedArgument: {
    en: (node: string, _argument: string) => node,
    es: (_node: string, argument: string) =>
      `sobra '${argument}': chat_server.ts no lleva argumentos, solo opciones`,
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
