// server.ts: a TCP echo server, the lesson's "Creando un Server Socket" written with Deno.
//
// Run the two ends in two terminals:
//   terminal 1:  deno run --allow-net server.ts        prints "listening on 0.0.0.0:21042"
//   terminal 2:  deno run --allow-net client.ts hola   prints the greeting, then "hola" sent back
//
// Every line a client sends (bytes up to "\n") comes back to it byte for byte. Comments give the
// lesson's step numbers; --explain prints each step as it happens. The chat room is chat_server.ts.

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
    if (conn === undefined) continue;
    const client = newClient(conn); // its number (#1, #2, ...) names it in the trace
    const got = `${client.peer} (#${client.id})`;
    explain?.("step 7", `python: conn, addr = s.accept()  deno: await listener.accept() -> ${got}`);
    serve(conn, client);
  }
}

// Step 8: serve one client, from accept() to close(): greet it, then send back each line it sends.
// A client over a limit (--max-clients, --max-per-address) gets one line saying which, and goes.
async function serve(conn: Deno.TcpConn, client: Client) {
  let ending = (await admit(client))?.why; // plumbing: it may wait a moment, or make room
  if (ending) log?.(`refused ${client.peer}: ${ending}`);
  else log?.(`connection from ${client.peer}`);
  try {
    if (ending) return await refuse(conn, client.id, ending);
    await writeAll(conn, WELCOME, client.id);
    ending = await readLines(conn, client); // the echo
  } catch (error) {
    ending = client.ending || `closed after an error (${(error as Error).name})`;
  } finally {
    const { peer, lines, bytes } = client;
    const count = `${lines} ${lines === 1 ? "line" : "lines"}, ${bytes} bytes`;
    if (!stopping && client.admitted) log?.(`${ending} ${peer}: ${count}`);
    closeOnce(conn);
  }
}

// Step 9, close(). The client's end or Ctrl-C closes a connection; closing twice would throw.
function closeOnce(conn: Deno.TcpConn) {
  const client = clients.get(conn);
  if (!client) return;
  clients.delete(conn);
  explain?.(`step 9 #${client.id}`, `python: conn.close()  deno: conn.close() -> ${client.peer}`);
  conn.close();
  leave(client); // its place under the limits is free again
}

// conn.write() may send only part of the buffer (like Python's send()), so loop until all of it
// is written: this is Python's sendall(). Its trace line comes as the call is made.
const encoder = new TextEncoder();
const WELCOME = encoder.encode("welcome: every line you send comes back to you\n"); // one for all
async function writeAll(conn: Deno.TcpConn, bytes: Uint8Array, id: number) {
  if (bytes.length === 0) return;
  const sent = `deno: conn.write() until all is sent -> ${bytes.length} bytes`;
  explain?.(`step 8 #${id}`, `python: conn.sendall(data)  ${sent}`);
  const client = clients.get(conn); // for --line-timeout, while a write waits
  let written = 0;
  while (written < bytes.length) {
    if (client) client.writing = Date.now();
    written += await conn.write(bytes.subarray(written));
    if (client) client.writing = 0;
  }
}

// TCP is a stream of bytes, not of messages: one read may hold half a line, or several. So
// readLines() sends back everything up to the last "\n" it has and keeps the unfinished line for
// the next read, until the client closes its side (or sends too long a line); it says how it ended.
// The buffer starts small and doubles while full (README, "What it survives", says how far).
const MAX_LINE = 64 * 1024; // longest line we keep in memory while waiting for its "\n"
const FIRST_SIZE = 256; // the buffer's size while a client is idle
const NEWLINE = 10; // the byte value of "\n"
async function readLines(conn: Deno.TcpConn, client: Client): Promise<string> {
  let buffer = new Uint8Array(FIRST_SIZE);
  let memory: ArrayBuffer | undefined; // once it grows: resizable, so resize(0) frees it at once
  let kept = 0; // buffer[0, kept) is the start of a line whose "\n" has not arrived yet
  try {
    while (true) {
      client.held = kept; // for --line-timeout, which counts from the line's first byte (since)
      client.readingSince = performance.now(); // for admit(): a read that waits is an open client
      // New bytes go after the unfinished line, which is never copied (README, What it survives).
      const count = await conn.read(kept === 0 ? buffer : buffer.subarray(kept)); // recv()
      client.held = client.readingSince = 0;
      const got = `deno: conn.read() -> ${count ?? "null: end of stream"}`;
      explain?.(`recv #${client.id}`, `python: conn.recv(${buffer.length - kept})  ${got}`);
      if (count === null) break; // the client is done
      client.bytes += count;
      client.heardAt = Date.now(); // for admit(): the longest idle makes room first
      const received = buffer.subarray(kept, kept + count);
      const firstEnd = received.indexOf(NEWLINE);
      const tooLong = kept + count > MAX_LINE ? longLineAt(buffer.subarray(0, kept + count)) : -1;
      if (tooLong !== -1) {
        await writeAll(conn, buffer.subarray(0, tooLong), client.id); // the lines before it
        await refuse(conn, client.id, `line longer than ${MAX_LINE} bytes`);
        return "closed (line too long)";
      }
      const full = kept + count === buffer.length;
      const lastEnd = received.lastIndexOf(NEWLINE);
      if (lastEnd !== -1 || kept === 0) client.since = Date.now(); // a new line starts in here
      if (lastEnd === -1) kept += count;
      else {
        const end = kept + lastEnd + 1; // buffer[0, end) holds complete lines
        await writeAll(conn, buffer.subarray(0, end), client.id);
        // Counting lines costs a search per line, as much as the echo: only for the log line.
        for (let at = firstEnd; log && at !== -1; at = received.indexOf(NEWLINE, at + 1)) {
          client.lines++;
        }
        buffer.copyWithin(0, end, kept + count); // the unfinished rest moves to the front
        kept = kept + count - end;
      }
      if (memory && kept === 0 && !full) {
        // No unfinished line, and the client paused (the read left room): the grown buffer goes
        // back to the small one, so that only unfinished lines hold memory (and count below).
        buffered -= buffer.length - FIRST_SIZE;
        memory.resize(0);
        memory = undefined;
        buffer = new Uint8Array(FIRST_SIZE);
      }
      if (full && (buffer.length < MAX_LINE || kept === buffer.length)) {
        // Full: double it, if all the buffers together stay under MAX_BUFFERED; if not, a line
        // that needs more room ends the connection.
        if (buffered + buffer.length > MAX_BUFFERED) {
          if (kept < buffer.length) continue;
          await refuse(conn, client.id, "the server is holding too many unfinished lines");
          return "closed (server holding too many unfinished lines)";
        }
        buffered += buffer.length;
        if (memory) memory.resize(buffer.length * 2); // the view on it grows too
        else {
          memory = new ArrayBuffer(buffer.length * 2, { maxByteLength: 2 * MAX_LINE });
          new Uint8Array(memory).set(buffer.subarray(0, kept));
          buffer = new Uint8Array(memory);
        }
      }
    }
    if (kept > 0) await writeAll(conn, buffer.subarray(0, kept), client.id); // a last piece
    return "closed";
  } finally {
    buffered -= buffer.length - FIRST_SIZE; // its memory is given back, for the others and at once
    memory?.resize(0);
  }
}

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

// Say why we close, then let the client finish sending before we close (at most 1 MiB or 2 s):
// closing a socket with unread data resets the connection, and the client could lose our line.
const DISCARDED = new Uint8Array(16 * 1024); // one buffer for all: what it holds is never read
async function refuse(conn: Deno.TcpConn, id: number, why: string) {
  await writeAll(conn, encoder.encode(`error: ${why}, closing\n`), id);
  conn.closeWrite();
  const timer = setTimeout(() => closeOnce(conn), 2000);
  let discarded = 0;
  while (discarded < 1024 * 1024) {
    const count = await conn.read(DISCARDED).catch(() => null);
    if (count === null) break;
    discarded += count;
  }
  clearTimeout(timer);
}

// ---------------------------------------------------------------------------------------------
// Plumbing: flags, messages, limits, signals and the --explain trace. None of it is the lesson.

const USAGE = `usage: deno run --allow-net server.ts [--host H] [--port P] [--backlog N] [--quiet]
         [--explain] [--timestamps] [--max-clients N] [--max-per-address N] [--line-timeout S]
         [--help]
  --host H             address to listen on (default 0.0.0.0: every interface, the lesson's "")
  --port P             port to listen on, 0 picks a free one (default 21042)
  --backlog N          connections the system may queue before we accept them (default 511)
  --quiet              do not log each connection
  --explain            print each of the lesson's steps as it happens
  --timestamps         start each line after the first with @ and the time (ms since 1970)
  --max-clients N      clients served at once, one more is told so and closed (default 1000)
  --max-per-address N  clients served at once from one address, loopback too (default 50)
  --line-timeout S     close a client that leaves a line unfinished S s after its first byte,
                       or does not read what we send for S s (default 30)`;

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
  console.error(`server.ts: ${message}\n${USAGE}`);
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
    printError(`server.ts: cannot accept (${error.message}); retrying`);
    acceptFailing = true;
  }
  lastAcceptFailure = Date.now();
  await new Promise((resolve) => setTimeout(resolve, 100));
}
function accepted(conn: Deno.TcpConn) {
  if (acceptFailing) printError("server.ts: accepting again");
  acceptFailing = false;
  // Keepalive probes: a peer that vanished (no FIN, no RST) is found in time, the system says when.
  try {
    conn.setKeepAlive(true);
  } catch { /* it reset already: the first read says so */ }
  return conn;
}

// Every open connection, for stop() to close and for the limits (README, "Flags", says why
// loopback counts too). All the clients' buffers together stay under MAX_BUFFERED bytes.
type Client = ReturnType<typeof newClient>;
const clients = new Map<Deno.TcpConn, Client>();
const MAX_BUFFERED = 64 * 1024 * 1024;
let buffered = 0; // bytes the buffers grew by, in all
let lastId = 0;
function newClient(conn: Deno.TcpConn) {
  lastId++;
  const peer = showAddress(conn.remoteAddr);
  const { hostname } = conn.remoteAddr;
  // held, since and writing (when the waiting write began, or 0) are for --line-timeout;
  // heardAt (the last byte's Date.now()) and readingSince (performance.now()) for admit()
  const counts = { lines: 0, bytes: 0, held: 0, since: 0, writing: 0, readingSince: 0 };
  const admission = { admitted: false, heardAt: Date.now() };
  const client = { id: lastId, conn, peer, hostname, ending: "", ...admission, ...counts };
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
const SETTLE_MS = 1000;
const fromAddress = new Map<string, Set<Client>>(); // the admitted clients of each address
let admitted = 0; // admitted clients in all
let leaves = 0; // how many have left, ever
type Refusal = { flag: string; why: string };
async function admit(client: Client): Promise<Refusal | undefined> {
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
    const open = timers.length >= 3 && left === leaves && allOpen(counted, timers.at(-3)!);
    if (stopping || open || performance.now() > giveUp) return over;
    left = leaves;
    const ms = [0, 1, 0][timers.length] ?? Math.min(2 ** timers.length, 100); // 1: see above
    timers.push(performance.now());
    await new Promise((resolve) => setTimeout(resolve, ms));
  }
  admitted++;
  client.admitted = true;
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
  if ((fromAddress.get(hostname)?.size ?? 0) >= limits.perAddress) {
    const why = `too many connections from ${hostname} (--max-per-address ${limits.perAddress})`;
    return { flag: "--max-per-address", why };
  }
  if (admitted >= limits.clients) {
    return { flag: "--max-clients", why: `too many clients (--max-clients ${limits.clients})` };
  }
}
// Whether a read of each of these clients has been waiting since before `since`.
function allOpen(groups: Iterable<Set<Client>>, since: number): boolean {
  const open = (client: Client) => client.readingSince > 0 && client.readingSince < since;
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
  const from = `the ${fromAddress.get(client.hostname)!.size} connections from ${client.hostname}`;
  const why =
    `${full}: made room for a newcomer by closing the longest idle of ${from} (the most ` +
    "from one address)";
  leave(client);
  client.ending = `closed (made room, --max-clients ${limits.clients})`;
  const { conn, id } = client;
  const grace = setTimeout(() => closeOnce(conn), 2000);
  const line = encoder.encode(`error: ${why}, closing\n`);
  const told = client.writing === 0 ? writeAll(conn, line, id) : Promise.resolve();
  told.catch(() => {}).finally(() => {
    clearTimeout(grace);
    closeOnce(conn);
  });
}

// --line-timeout: once a second, end each connection whose unfinished line is not finished in
// time, or whose write has waited that long (its client does not read what we send back).
function endStalledLines() {
  const { lineTimeout } = limits;
  for (const [conn, client] of clients) {
    if (client.writing !== 0 && Date.now() - client.writing >= lineTimeout * 1000) {
      client.ending = `closed (not reading, --line-timeout ${lineTimeout})`;
      closeOnce(conn); // the waiting write fails, and serve() logs the ending
      continue;
    }
    if (client.held === 0 || Date.now() - client.since < lineTimeout * 1000) continue;
    client.held = 0;
    client.ending = `closed (unfinished line, --line-timeout ${lineTimeout})`;
    const why = `error: line unfinished for ${lineTimeout} s (--line-timeout), closing\n`;
    writeAll(conn, encoder.encode(why), client.id).catch(() => {}).finally(() => closeOnce(conn));
  }
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
      const count = `${stamp()}(${output.dropped} lines not printed: output was not being read)`;
      if (output.dropped > 0) output.queue.push(count);
      output.dropped = 0;
    }
  } catch {
    // nobody reads this output any more (closed pipe): serving matters more
  } finally {
    output.printing = undefined; // at once, not a tick later: a line meanwhile would wait forever
  }
}

if (import.meta.main) await main();
