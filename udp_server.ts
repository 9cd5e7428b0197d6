// udp_server.ts: a UDP echo server, the lesson's "Creando un Server Socket" with datagrams.
//
// Run the two ends in two terminals (in this folder, deno.json adds --unstable-net for you):
//   terminal 1:  deno run --unstable-net --allow-net udp_server.ts       prints "listening on ..."
//   terminal 2:  deno run --unstable-net --allow-net udp_client.ts hola  prints "hola" and its time
//
// Every datagram that arrives is logged and goes back, byte for byte, to the address it came from.
// UDP has no connections: no listen(), no close() per client, and in place of accept() each
// recvfrom() says who sent the datagram, so one socket serves everyone. TCP and UDP ports are
// separate: server.ts can use 21042 at the same time. --drop ignores datagrams on purpose, to show
// that UDP may lose them and never says so. Comments give the lesson's step numbers; --explain
// prints each step as it happens.

// Step 1, "import socket": Deno's sockets are built in; we import only a flag parser.
import { parseArgs } from "node:util";

async function main() {
  const options = parseFlags(); // plumbing, defined below the divider
  // Step 3: the port, from --port (default 21042); the lesson picks one above 1024.
  const { host, port, drop } = options;
  // Steps 4 and 5 in one call: Deno.listenDatagram creates a datagram socket (SOCK_DGRAM) and
  // binds it to host and port. Always give the hostname: its default is not the same everywhere.
  let socket: Deno.DatagramConn;
  try {
    socket = Deno.listenDatagram({ transport: "udp", hostname: host, port });
  } catch (error) {
    cannotListen(error as Error, host, port); // one clear line, and exit 1
  }
  catchSignals(socket); // from now on Ctrl-C stops us cleanly, even right after the next line
  const address = showAddress(socket.addr as Deno.NetAddr);
  ownPort = (socket.addr as Deno.NetAddr).port; // for the echo loop guard
  console.log(`listening on ${address}`);
  const family = host.includes(":") ? "AF_INET6" : "AF_INET";
  explain?.(
    "steps 4-5",
    `python: socket(${family}, SOCK_DGRAM) + bind(("${host}", ${port}))  deno: ` +
      `Deno.listenDatagram({ transport: "udp", hostname: "${host}", port: ${port} }) -> ` +
      `bound to ${address}, and no listen() (step 6): UDP has no connections to wait for`,
  );

  // Step 7, in place of accept(): recvfrom() gives the bytes and who sent them, all we know of a
  // "client". Nothing one sender does (empty, the largest or random bytes, vanishing) stops us
  // serving the others. One buffer serves every datagram (receive() would allocate 64 KiB each):
  // safe, as we send each reply before receiving again. The largest payload is 65,527 bytes on
  // IPv6 (65,535 less the 8-byte UDP header), 65,507 on IPv4 (less its 20-byte IP header too).
  const buffer = new Uint8Array(host.includes(":") ? 65535 : 65507);
  const random = randomFrom(options.seed);
  while (!stopping) {
    const got = await socket.receive(buffer).catch(cannotReceive); // undefined if it failed
    if (got === undefined) continue;
    const [data, from] = got as [Uint8Array, Deno.NetAddr]; // at most buffer.length bytes
    if (loopGuard(from, data)) continue; // never answer another server: plumbing, below
    const sender = log || explain ? showAddress(from) : ""; // text only if something prints it
    const size = `${data.length} bytes`;
    const what = `socket.receive() -> got ${size} from ${sender}`;
    explain?.("step 7", `python: data, addr = recvfrom(${buffer.length})  deno: ${what}`);
    // Step 8, sendto(): the same bytes, back to where they came from (unless --drop ignores them).
    if (drop > 0 && random() < drop) {
      log?.(`dropped ${size} from ${sender}: ${preview(data)} (--drop ${options.dropText})`);
      const never = `dropped on purpose: ${sender} is never told`;
      explain?.("step 8", `python: (no sendto)  deno: (no socket.send) -> ${never}`);
      continue;
    }
    try {
      const sent = `socket.send(data, addr) -> ${size} back`; // said as the call is made
      explain?.("step 8", `python: sendto(data, addr)  deno: ${sent}`);
      await socket.send(data, from);
      log?.(`echoed ${size} to ${sender}: ${preview(data)}`);
    } catch (error) {
      // Deno checks permission for each address we send to: --allow-net=0.0.0.0:21042 cannot reply.
      const why = (error as Error).message;
      if (!stopping) printError(`udp_server.ts: cannot reply to ${showAddress(from)}: ${why}`);
    }
  }
}

// A short printable view of a datagram: its first 40 bytes as text, where anything but letters,
// digits, punctuation, symbols and spaces (control characters, bytes not UTF-8) shows as ".".
function preview(data: Uint8Array): string {
  const text = new TextDecoder().decode(data.subarray(0, 40));
  const shown = text.replace(/[^\p{L}\p{N}\p{P}\p{S} ]|\uFFFD/gu, ".");
  return `"${shown}"${data.length > 40 ? "..." : ""}`;
}

// --seed: Math.random cannot be seeded, so use the classic "linear congruential" generator instead.
function randomFrom(seed: number | undefined): () => number {
  if (seed === undefined) return Math.random;
  let state = seed;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

// ---------------------------------------------------------------------------------------------
// Plumbing: flags, messages, limits, signals and the --explain trace. None of it is the lesson.

const USAGE =
  `usage: deno run --unstable-net --allow-net udp_server.ts [--host H] [--port P] [--drop P]
           [--seed N] [--max-rate N] [--quiet] [--explain] [--timestamps] [--help]
  --host H        address to listen on (default 0.0.0.0: every interface, the lesson's "")
  --port P        port to listen on, 0 picks a free one (default 21042)
  --drop P        fraction of datagrams to ignore on purpose, from 0 to 1 (default 0)
  --seed N        make the drops repeatable: the same seed drops the same datagrams
  --max-rate N    datagrams a second answered per sender, in bursts of up to 2 x N (default
                  2000); the rest are ignored, and so are a sender's copies of our replies
                  after 50 in a row, so that no echo loop lasts (0: no limit, no check)
  --quiet         do not log each datagram
  --explain       print each of the lesson's steps as it happens
  --timestamps    start each line after the first with @ and the time (ms since 1970)`;

// log?.(...) writes the event log, explain?.(...) the trace: each is undefined when its flag is
// off, and then ?. skips the call without even building its text.
let log: ((line: string) => void) | undefined;
let explain: ((step: string, what: string) => void) | undefined;
let stamp = () => ""; // --timestamps: "@1767340800123.456 "
// Each flag, and whether it takes a value ("string") or is on or off ("boolean").
const TEXTS = ["host", "port", "drop", "seed", "max-rate"];
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
  // The lesson's "" (every interface) is 0.0.0.0 here; an IPv6 address may come as [::1] or ::1.
  const host = `${flags.host || "0.0.0.0"}`.replace(/^\[(.*)\]$/, "$1");
  const port = whole("port", 21042, 0, 65535);
  const dropText = `${flags.drop ?? "0"}`;
  const drop = Number(dropText);
  if (!/^(\d+\.?\d*|\.\d+)$/.test(dropText) || drop > 1) {
    usageError("--drop must be a number from 0 to 1, like 0.5");
  }
  const seed = flags.seed === undefined ? undefined : whole("seed", 0, 0, 2 ** 32 - 1);
  maxRate = whole("max-rate", maxRate, 0, 1e9);
  return { host, port, drop, dropText, seed };
}

function parseWholeNumber(text: string, flag: string, min: number, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    usageError(`${flag} must be a whole number from ${min} to ${max}`);
  }
  return Number(text);
}

function usageError(message: string): never {
  console.error(`udp_server.ts: ${message}\n${USAGE}`);
  Deno.exit(2);
}

function fail(message: string): never {
  console.error(`udp_server.ts: ${message}`);
  Deno.exit(1);
}

function showAddress({ hostname, port }: Deno.NetAddr): string {
  return hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`;
}

function cannotListen(error: Error, host: string, port: number): never {
  // Deno.listenDatagram exists only with --unstable-net (or "unstable": ["net"] in deno.json).
  const unstable =
    "UDP needs --unstable-net: run deno run --unstable-net --allow-net udp_server.ts";
  if (typeof Deno.listenDatagram !== "function") fail(unstable);
  const other = "stop the other server, or use --port";
  if (error instanceof Deno.errors.AddrInUse) {
    fail(`UDP port ${port} is in use on ${host}: ${other}`);
  }
  const allow = `(--allow-net=${host}:${port},127.0.0.1 only answers this machine)`;
  const no = `no permission to listen on ${host}:${port}: run with --allow-net ${allow}`;
  if (error instanceof Deno.errors.NotCapable) fail(no);
  if (error instanceof Deno.errors.PermissionDenied && port < 1024) {
    fail(`port ${port} needs administrator rights (ports below 1024 do): ${ABOVE_1024}`);
  }
  fail(`cannot listen on ${host}:${port}: ${error.message}`);
}

const ABOVE_1024 = "pick one above 1024, such as 21042";

// On Windows, a reply sent to a client that has gone (its port closed) makes the next receive()
// fail with ConnectionReset (WSAECONNRESET, os error 10054): it is about that one client, and
// every student whose client closes before its reply causes one. So we go on at once and say
// nothing: a pause or a line for each would let a few departures stall the server for everyone
// (tests/udp_server_faults_test.ts makes the error with --preload, as Linux never reports it).
// Any other failure is our own trouble: said, then we wait a little, so as not to spin on it.
async function cannotReceive(error: Error): Promise<undefined> {
  if (stopping || error instanceof Deno.errors.ConnectionReset) return;
  printError(`udp_server.ts: receive failed (${error.message}); going on`);
  await new Promise((resolve) => setTimeout(resolve, 100));
}

// The echo loop guard. An echo server that answers another echo server starts a loop that never
// ends; inetd's built-in echo refuses datagrams from ports below 1024 (where services live) and
// from its own port. Two kit servers on other ports can still bounce a datagram, so:
// - each sender is answered at most --max-rate times a second, in bursts of 2 x --max-rate (a
//   token bucket): a fast loop runs dry and ends;
// - a loop slower than that (a slow link, or one datagram in flight) is found by what it sends: a
//   datagram that is one of our last REPLIES replies to that sender, coming back. After BOUNCES of
//   those in a row, we stop answering that sender's copies of our replies for MUTE_MS, and the
//   loop ends at once, whatever its speed. Its new datagrams are still answered. A client that
//   retries sends a copy too, but a few times (udp_client.ts: 4 tries), and a file piped through
//   udp_client.ts would need 50 identical lines in a row.
// The log says so once an episode (again after 5 s of not ignoring that sender). --max-rate 0
// turns both off (a load generator that sends the same datagram again and again, the bench's).
const BOUNCES = 50;
const REPLIES = 8; // several datagrams bouncing at once are caught too
const MUTE_MS = 2000;
let ownPort = 0;
let maxRate = 2000;
interface Sender {
  tokens: number; // the bucket
  at: number; // when it was last filled (performance.now())
  ignoredAt: number; // when a datagram of it was last ignored
  replies: number[]; // fingerprints of the last REPLIES replies to it
  bounces: number; // its datagrams in a row that were copies of our replies
  mutedUntil: number; // until when its copies of our replies are ignored
}
const senders = new Map<string, Sender>();
function loopGuard(from: Deno.NetAddr, data: Uint8Array): boolean {
  const serverPort = from.port < 1024 || from.port === ownPort;
  if (!serverPort && maxRate === 0) return false;
  const key = showAddress(from);
  const now = performance.now();
  if (senders.size >= 10_000) senders.clear(); // bounded: a forged sender costs one entry
  const sender = senders.get(key) ??
    { tokens: 2 * maxRate, at: now, ignoredAt: -Infinity, replies: [], bounces: 0, mutedUntil: 0 };
  senders.set(key, sender);
  sender.tokens = Math.min(2 * maxRate, sender.tokens + (now - sender.at) * maxRate / 1000);
  sender.at = now;
  let why = serverPort ? "a server port" : `over ${maxRate} a second, --max-rate`;
  if (!serverPort && sender.tokens >= 1) {
    sender.tokens--;
    const print = fingerprint(data);
    const copy = sender.replies.includes(print);
    if (!(copy && now < sender.mutedUntil)) {
      sender.bounces = copy ? sender.bounces + 1 : 0;
      if (sender.bounces <= BOUNCES) {
        sender.replies.push(print); // we answer it: one more reply to look for
        if (sender.replies.length > REPLIES) sender.replies.shift();
        return false;
      }
      sender.bounces = 0;
      sender.mutedUntil = now + MUTE_MS;
    }
    why = `its own replies came back ${BOUNCES} times in a row`;
  }
  if (now - sender.ignoredAt >= 5000) {
    log?.(`ignored datagram from ${key}: ${why} (echo loop guard)`);
  }
  sender.ignoredAt = now;
  return true;
}

// A datagram's fingerprint (32-bit FNV-1a) of its length and of at most 768 of its bytes: all of
// a short one; of a long one the first and last 256 and 256 spread between. A copy has the same
// fingerprint; two different datagrams alike in all of those bytes are not told apart, which
// costs at most one pause in answering their copies.
function fingerprint(data: Uint8Array): number {
  let hash = Math.imul(2166136261 ^ data.length, 16777619);
  const add = (byte: number) => hash = Math.imul(hash ^ byte, 16777619);
  if (data.length <= 768) data.forEach(add);
  else {
    for (let i = 0; i < 256; i++) add(data[i]);
    const step = (data.length - 512) / 256;
    for (let i = 0; i < 256; i++) add(data[256 + Math.floor(i * step)]);
    for (let i = data.length - 256; i < data.length; i++) add(data[i]);
  }
  return hash >>> 0;
}

// Ctrl-C (SIGINT) and SIGTERM call stop(): it closes the one socket (step 9, once), gives the
// output at most 1 s to be written (stuck output must not keep us running), and exits 0.
let stopping = false;
function catchSignals(socket: Deno.DatagramConn) {
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const stop = async () => {
    if (stopping) return; // a second Ctrl-C: already stopping
    stopping = true;
    socket.close();
    const closed = "closed the one socket that served every client";
    explain?.("step 9", `python: close()  deno: socket.close() -> ${closed}`);
    const printed = Promise.all([stdout.printing, stderr.printing]);
    await Promise.race([printed, new Promise((resolve) => setTimeout(resolve, 1000))]);
    Deno.exit(0);
  };
  for (const signal of signals) Deno.addSignalListener(signal, stop);
}

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
