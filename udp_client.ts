// udp_client.ts: a UDP client for udp_server.ts, the lesson's "Creando un Client Socket" in UDP.
//
// Run the two ends in two terminals (in this folder, deno.json already adds --unstable-net):
//   terminal 1:  deno run --unstable-net --allow-net udp_server.ts
//                prints "listening on 0.0.0.0:21042"
//   terminal 2:  deno run --unstable-net --allow-net udp_client.ts hola
//                prints "hola  (reply in 0.4 ms, 1 try)"
// With no messages, each line you type is one datagram (end with Ctrl-D; Ctrl-Z Enter on Windows).
// UDP may lose a datagram and never say so: we wait up to --timeout ms and send again, up to
// --retries times. Only the server's reply goes to stdout; any other datagram is reported on
// stderr and ignored. Comments give the lesson's step numbers (1-6).

// Step 1, "import socket": Deno's sockets are built in; we import a flag parser, and the system's
// name lookup to learn the addresses of a server given by name.
import { parseArgs } from "node:util";
import { lookup } from "node:dns/promises";

async function main() {
  const options = parseFlags();
  const { host, server } = options;
  // Datagram sockets need --unstable-net in Deno 2 (README, "Requirement"): say so in one line.
  if (typeof Deno.listenDatagram !== "function") {
    fail("UDP needs --unstable-net: run deno run --unstable-net --allow-net udp_client.ts");
  }
  // Step 3, socket(): Deno creates and binds a datagram socket in one call, so we bind to port 0
  // (any free one), as Python does by itself at the first sendto(). It must be of the server's
  // family (IPv6 for an address with ":"), and for this machine, on its loopback address.
  let local = host.includes(":") ? "::" : "0.0.0.0";
  if (host === "127.0.0.1" || host === "::1") local = host;
  const bound = showAddress({ transport: "udp", hostname: local, port: 0 });
  const allow = `--allow-net=${bound},${options.named ? host : server}`; // a name: any port
  let socket: Deno.DatagramConn;
  try {
    socket = Deno.listenDatagram({ transport: "udp", hostname: local, port: 0 });
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) {
      fail(`no permission to use ${bound}: run with ${allow}`);
    }
    fail(`cannot open a UDP socket on ${bound}: ${error}`);
  }
  const python = `socket(${local.includes(":") ? "AF_INET6" : "AF_INET"}, SOCK_DGRAM)`;
  const deno = `Deno.listenDatagram({ transport: "udp", hostname: "${local}", port: 0 })`;
  explain?.("step 3", `python: ${python}  deno: ${deno} -> bound`);
  // Step 4: UDP has no connection, and Deno no connected datagram socket: every datagram names the
  // server, and we check the sender of every datagram that arrives (as a DNS resolver does).
  const senders = await serverAddresses(options, allow);
  const names = `UDP has no connection: each sendto() names ${server}`;
  explain?.("step 4", `python: (no connect)  deno: (no connect) -> ${names}`);
  // Step 5: the messages given, or else standard input line by line as it comes.
  const talk: Talk = { socket, options, senders, allow, pending: undefined, stale: 0, refused: 0 };
  for (const message of options.messages) await exchange(talk, message);
  if (options.messages.length === 0) {
    for await (const line of readLines()) await exchange(talk, line);
  }
  // Step 6, close(): the socket is closed and we exit, which also ends a receive() still waiting.
  socket.close();
  explain?.("step 6", `python: close()  deno: socket.close() -> done`);
  Deno.exit(0);
}

// The addresses the server's replies may come from: its own (a name may have several). A server
// on 0.0.0.0 or :: (as it prints itself) answers a datagram sent there from loopback.
async function serverAddresses(options: Options, allow: string): Promise<string[]> {
  let addresses = [options.host];
  if (options.named) {
    try {
      const found = await lookup(options.host, { all: true });
      addresses = found.map((address) => address.address);
    } catch (error) {
      failToSend(error, options, allow);
    }
  }
  if (addresses.includes("0.0.0.0") || addresses.includes("::")) {
    addresses.push("127.0.0.1", "::1");
  }
  return addresses;
}

// The lesson's send and receive: sendto() the message, then recvfrom() until the server's reply
// comes (the same bytes, from its address and port); after --timeout ms of silence, send it
// again. After the last try, give up: exit 1, about timeout × tries after the first.
async function exchange(talk: Talk, message: Uint8Array) {
  const { socket, options } = talk;
  const started = performance.now();
  talk.refused = 0;
  for (let tried = 1; tried <= options.tries; tried++) {
    const sendto = `socket.send(data, addr) -> try ${tried} of ${options.tries}`;
    explain?.("step 5", `python: sendto(data, addr)  deno: ${sendto}`);
    try {
      await socket.send(message, { transport: "udp", hostname: options.host, port: options.port });
    } catch (error) {
      failToSend(error, options, talk.allow);
    }
    const deadline = performance.now() + options.timeout;
    let received = await receiveBefore(talk, deadline);
    while (received !== undefined) {
      const [reply, from] = received;
      const got = `python: recvfrom(65507)  deno: socket.receive() -> got ${reply.length} bytes`;
      const fromServer = from.port === options.port && talk.senders.includes(from.hostname);
      const text = quote(decoder.decode(reply.subarray(0, 40)));
      if (!fromServer) {
        const sender = showAddress(from);
        explain?.("step 5", `${got} from ${sender}, not ${options.server}: a stranger's, ignored`);
        console.error(`udp_client.ts: stranger's datagram from ${sender} ignored: ${text}`);
      } else if (!sameBytes(reply, message)) {
        talk.stale += 1;
        explain?.("step 5", `${got}, other bytes than this message: a stale reply, ignored`);
        console.error(`udp_client.ts: stale reply ${talk.stale} ignored: ${text}`);
      } else {
        explain?.("step 5", got);
        const time = (performance.now() - started).toFixed(1);
        await writeOut(onScreen(reply));
        await writeOut(encoder.encode(`  (reply in ${time} ms, ${showTries(tried)})\n`));
        return;
      }
      received = await receiveBefore(talk, deadline);
    }
    const race = `Promise.race() with a timer -> no reply in ${options.timeout} ms`;
    explain?.("step 5", `python: recvfrom() timed out  deno: ${race}`);
  }
  const tell = talk.refused > 0
    ? "its system answered that nothing listens on that port (ConnectionReset): is udp_server.ts " +
      "running, and on that port?"
    : "is udp_server.ts running? UDP itself never tells you";
  fail(`no reply from ${options.server} after ${showTries(options.tries)}: ${tell}`);
}

// What exchange() works with: the socket, the flags, who may reply, and what lasts from one wait
// to the next: the receive() still pending, how many stale replies were seen, and how many tries
// of this message the system answered with a "nothing listens there" (Windows only).
type Talk = {
  socket: Deno.DatagramConn;
  options: Options;
  senders: string[];
  allow: string;
  pending: Promise<[Uint8Array, Deno.Addr] | null> | undefined;
  stale: number;
  refused: number;
};

// recvfrom() until the deadline: the datagram and its sender, or undefined once time is up.
// receive() cannot be cancelled, so at most one is pending, kept in talk from one wait to the
// next: a reply that arrives after a timeout is not lost, the next wait reads it.
async function receiveBefore(talk: Talk, deadline: number) {
  while (true) {
    if (talk.pending === undefined) {
      talk.pending = talk.socket.receive().catch((error) => {
        // Windows reports the "port unreachable" answer to a datagram we sent (nothing listens
        // there) as an error on the next receive: no reply, but no reason to stop waiting.
        if (error instanceof Deno.errors.ConnectionReset) return null;
        failToSend(error, talk.options, talk.allow);
      });
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeUp = new Promise<undefined>((resolve) => {
      const left = Math.max(0, deadline - performance.now()); // a deadline passed: at once
      timer = setTimeout(() => resolve(undefined), left);
    });
    const received = await Promise.race([talk.pending, timeUp]);
    clearTimeout(timer);
    if (received === undefined) return undefined; // time is up, the receive() stays pending
    talk.pending = undefined;
    if (received !== null) return received as [Uint8Array, Deno.NetAddr];
    talk.refused += 1; // a "connection reset": wait on, until the deadline
    const reset = "ConnectionReset: its system says nothing listens there; waiting on";
    explain?.("step 5", `python: recvfrom() failed  deno: socket.receive() -> ${reset}`);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, at) => byte === b[at]);
}

// Standard input, line by line, as raw bytes without the "\n". A line is refused as soon as it
// outgrows a datagram, so memory stays bounded whatever comes in (even /dev/zero).
async function* readLines() {
  const line = new Uint8Array(MAX_DATAGRAM + 1); // room for one "\r" more, dropped at the end
  const buffer = new Uint8Array(64 * 1024);
  let length = 0;
  while (true) {
    let count: number | null;
    try {
      count = await Deno.stdin.read(buffer);
    } catch (error) {
      fail(`cannot read standard input: ${(error as Error).message}`); // a folder, say
    }
    if (count === null) break;
    const chunk = buffer.subarray(0, count);
    let start = 0;
    while (true) {
      const newline = chunk.indexOf(NEWLINE, start);
      const piece = chunk.subarray(start, newline === -1 ? count : newline);
      if (length + piece.length > line.length) tooLong(`a line is more than ${line.length}`);
      line.set(piece, length);
      length += piece.length;
      if (newline === -1) break;
      yield lineBytes(line, length, "a line");
      length = 0;
      start = newline + 1;
    }
  }
  if (length > 0) yield lineBytes(line, length, "the last line");
}

// A copy of the line's bytes, without a "\r" at its end (Windows ends a line with "\r\n").
function lineBytes(line: Uint8Array, length: number, which: string): Uint8Array {
  const end = length > 0 && line[length - 1] === RETURN ? length - 1 : length;
  return datagramOrExit(line.slice(0, end), which);
}

// What the server sent, as bytes; on a terminal, control characters other than "\n" and "\t" are
// made visible (ESC as ^[), so that no server can drive the terminal.
function onScreen(bytes: Uint8Array): Uint8Array {
  if (!Deno.stdout.isTerminal()) return bytes;
  return encoder.encode(visible(decoder.decode(bytes)));
}

// ---------------------------------------------------------------------------------------------
// Plumbing: flags, standard input and output, messages and the --explain trace.
const USAGE =
  `usage: deno run --unstable-net --allow-net udp_client.ts [--host H] [--port P] [--timeout MS]
         [--retries N] [--explain] [--timestamps] [--help] [message ...]
  --host H       server to send to (default 127.0.0.1): an address (for IPv6, such as ::1) or a
                 host name, which needs --allow-net for that name, to learn its addresses
  --port P       server's port (default 21042)
  --timeout MS   how long to wait for each reply, in milliseconds (default 1000)
  --retries N    how many times to send again when no reply comes (default 3)
  --explain      print each of the lesson's steps on stderr as it happens
  --timestamps   with --explain, start each trace line with @ and the time (for tools/demo.ts)
  message        datagrams to send; with none, send standard input line by line, as bytes
Only the server's replies go to stdout; other datagrams are reported on stderr.`;
const MAX_DATAGRAM = 65507; // 65,535, less 8 for the UDP header and 20 for the IPv4 header
const NEWLINE = 10; // "\n"
const RETURN = 13; // "\r"
const encoder = new TextEncoder();
const decoder = new TextDecoder();
let explain: ((step: string, what: string) => void) | undefined; // set by --explain
type Options = ReturnType<typeof parseFlags>;

function parseFlags() {
  const text = { type: "string" } as const;
  const yes = { type: "boolean", default: false } as const;
  const flags = { host: text, port: text, timeout: text, retries: text };
  let parsed;
  try {
    const switches = { explain: yes, timestamps: yes, help: yes };
    parsed = parseArgs({ allowPositionals: true, options: { ...flags, ...switches } });
  } catch (error) {
    // Node's text for an unknown option goes on about positionals: the first sentence is enough.
    usageError((error as Error).message.replace(/\. To specify a positional argument.*$/s, ""));
  }
  const options = parsed.values;
  if (options.help) {
    console.log(USAGE);
    Deno.exit(0);
  }
  const host = parseHost(options.host ?? "127.0.0.1");
  const port = parseWholeNumber(options.port ?? "21042", "--port", 1, 65535);
  const timeout = parseWholeNumber(options.timeout ?? "1000", "--timeout", 1, 600_000);
  const tries = 1 + parseWholeNumber(options.retries ?? "3", "--retries", 0, 100);
  // The trace goes to stderr, as in client.ts, so that stdout holds only the replies.
  // --timestamps starts each trace line with the time, so that tools/demo.ts can merge both ends.
  const time = () => `@${(performance.timeOrigin + performance.now()).toFixed(3)} `;
  if (options.explain) {
    explain = (step, what) => console.error(`${options.timestamps ? time() : ""}[${step}] ${what}`);
  }
  const server = showAddress({ transport: "udp", hostname: host, port });
  const named = !/^[\d.]+$/.test(host) && !host.includes(":"); // not an IPv4 or IPv6 address
  // All the messages are checked before any is sent.
  const messages = parsed.positionals.map((message, index) =>
    datagramOrExit(encoder.encode(message), `message ${index + 1}`)
  );
  return { host, port, server, named, timeout, tries, messages };
}

// --host: an address or a host name. "localhost" may mean ::1 first (macOS, some Linux), where a
// server on 0.0.0.0 does not listen: we take it as 127.0.0.1. An IPv6 address may come as [::1].
function parseHost(text: string): string {
  if (text === "localhost") return "127.0.0.1";
  const host = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  const bad = `--host must be an address or a host name, with no port (see --port): ${quote(text)}`;
  if (host === "" || /[\s[\]/]/.test(host)) usageError(bad);
  try {
    // The URL parser writes an address as the system reads it: 127.1 is 127.0.0.1, 0:0::1 is ::1.
    const url = new URL(host.includes(":") ? `http://[${host}]` : `http://${host}`);
    return url.hostname.replace(/^\[(.*)\]$/, "$1");
  } catch {
    if (host.includes(":")) usageError(bad);
    return host; // not an address: a name, for the system to look up
  }
}

function parseWholeNumber(text: string, flag: string, min: number, max: number): number {
  if (!/^\d+$/.test(text) || +text < min || +text > max) {
    usageError(`${flag} must be a whole number from ${min} to ${max}`);
  }
  return Number(text);
}

function datagramOrExit(bytes: Uint8Array, which: string): Uint8Array {
  if (bytes.length > MAX_DATAGRAM) tooLong(`${which} is ${bytes.length}`);
  return bytes;
}

function tooLong(what: string): never {
  console.error(`udp_client.ts: ${what} bytes: a UDP datagram holds at most 65,507`);
  Deno.exit(2);
}

function showAddress({ hostname, port }: Deno.NetAddr): string {
  return hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`;
}

function showTries(count: number): string {
  return count === 1 ? "1 try" : `${count} tries`;
}

// One line for each failure a send meets, naming the server as it was given. The error's kind
// first (Deno.errors), then, where Deno has none, the number the system gives it.
function failToSend(error: unknown, { server, host }: Options, allow: string): never {
  const where = "is the address right, and is that computer on the same network and switched on?";
  if (error instanceof Deno.errors.NotCapable || String(error).includes("EPERM")) {
    fail(`no permission to send to ${server}: run with ${allow}`);
  }
  const why = networkError(error);
  if (why === "no route") fail(`no route to ${server}: ${where}`);
  if (why === "unreachable") {
    fail(`network unreachable for ${server}: is this computer connected to a network?`);
  }
  if (why === "unknown name") {
    fail(`unknown host name "${host}" (for ${server}): is it spelled right?`);
  }
  fail(`cannot talk to ${server}: ${(error as Error).message}`);
}

// The system's numbers for the failures Deno gives no kind of its own ("(os error N)" in the
// message): no route to the host, network unreachable, timed out, and (Windows) unknown name.
const OS_ERRORS: Record<string, Record<number, NetworkError>> = {
  linux: { 113: "no route", 101: "unreachable", 110: "timed out" },
  darwin: { 65: "no route", 51: "unreachable", 60: "timed out" },
  windows: { 10065: "no route", 10051: "unreachable", 10060: "timed out", 11001: "unknown name" },
};
type NetworkError = "no route" | "unreachable" | "timed out" | "unknown name";

export function networkError(error: unknown, os: string = Deno.build.os): NetworkError | undefined {
  if (error instanceof Deno.errors.NetworkUnreachable) return "unreachable";
  if (error instanceof Deno.errors.TimedOut) return "timed out";
  const text = String(error);
  const number = Number(text.match(/\(os error (\d+)\)/)?.[1]);
  if (OS_ERRORS[os]?.[number]) return OS_ERRORS[os][number];
  if (/failed to lookup address|ENOTFOUND/.test(text)) return "unknown name"; // node:dns too
  return undefined;
}

// All of the bytes to stdout (write() may take only part). When nobody reads any more (as after
// "| head -1"), we stop quietly with exit 0, as cat does.
async function writeOut(bytes: Uint8Array) {
  try {
    let written = 0;
    while (written < bytes.length) written += await Deno.stdout.write(bytes.subarray(written));
  } catch (error) {
    if (error instanceof Deno.errors.BrokenPipe) Deno.exit(0);
    fail(`cannot write to standard output: ${(error as Error).message}`);
  }
}

// Control characters other than "\n" and "\t" made visible as "cat -v" shows them: ESC as ^[,
// DEL as ^?, a C1 code such as U+009B as M-^[. No server can then drive the terminal.
// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;
function visible(text: string): string {
  return text.replace(CONTROL, (char) => caret(char.charCodeAt(0)));
}
function caret(code: number): string {
  if (code >= 128) return "M-" + caret(code - 128);
  return "^" + String.fromCharCode(code ^ 64);
}

// Text from the network in a message on stderr: in quotes, control characters made visible.
function quote(text: string): string {
  return JSON.stringify(visible(text));
}

function usageError(message: string): never {
  console.error(`udp_client.ts: ${message}\n${USAGE}`);
  Deno.exit(2);
}

function fail(message: string): never {
  console.error(`udp_client.ts: ${message}`);
  Deno.exit(1);
}

if (import.meta.main) await main();
