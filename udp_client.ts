// udp_client.ts: a UDP client for udp_server.ts, the lesson's "Creando un Client Socket" in UDP.
//
// Run the two ends in two terminals (in this folder, deno.json already adds --unstable-net):
//   terminal 1:  deno run --unstable-net --allow-net udp_server.ts
//                prints "listening on 0.0.0.0:21042"
//   terminal 2:  deno run --unstable-net --allow-net udp_client.ts hola
//                prints "hola  (reply in 0.4 ms, 1 try)"
// With no messages, each line you type is one datagram (end with Ctrl-D; Ctrl-Z Enter on Windows).
// UDP may lose a datagram and never say so: we wait up to --timeout ms and send again, up to
// --retries times. The reply comes from the server's address and port with the message's bytes;
// any other datagram (a stranger's, or a stale reply) is reported and ignored. Steps: 1-6.

// Step 1, "import socket": Deno's sockets are built in; we import a flag parser, and the system's
// name lookup to learn the addresses of a server given by name.
import { parseArgs } from "node:util";
import { lookup } from "node:dns/promises";

async function main() {
  const { host, port, server, named, messages, ...options } = parseFlags();
  // Deno 2.9 has Deno.listenDatagram only with --unstable-net (or "unstable": ["net"], deno.json).
  if (typeof Deno.listenDatagram !== "function") {
    fail("UDP needs --unstable-net: run deno run --unstable-net --allow-net udp_client.ts");
  }
  // Step 3, socket(): Deno creates and binds a datagram socket in one call, so we bind to port 0
  // (any free one), as Python does by itself at the first sendto(). It must be of the server's
  // family (IPv6 for an address with ":"), and for this machine, on its loopback address.
  const ipv6 = host.includes(":");
  const local = ["127.0.0.1", "::1"].includes(host) ? host : ipv6 ? "::" : "0.0.0.0";
  const allow = `--allow-net=${local}:0,${named ? host : server}`; // a name: looked up, any port
  let socket: Deno.DatagramConn;
  try {
    socket = Deno.listenDatagram({ transport: "udp", hostname: local, port: 0 });
  } catch (error) {
    const refused = error instanceof Deno.errors.NotCapable;
    fail(
      refused
        ? `no permission to use ${local}:0: run with ${allow}`
        : `cannot open a UDP socket on ${local}: ${error}`,
    );
  }
  const python = `socket(${ipv6 ? "AF_INET6" : "AF_INET"}, SOCK_DGRAM)`;
  const deno = `Deno.listenDatagram({ transport: "udp", hostname: "${local}", port: 0 }) -> bound`;
  explain?.("step 3", `python: ${python}  deno: ${deno}`);
  // Step 4: UDP has no connection, and Deno no connected datagram socket: every datagram names the
  // server, and we check the sender of every datagram that arrives (as a DNS resolver does).
  const found = named
    ? await lookup(host, { all: true }).catch((e) => failToSend(e, host, allow))
    : [];
  const addresses = named ? found.map((address) => address.address) : [host];
  const fromServer = ({ hostname, port: from }: Deno.NetAddr) =>
    from === port && addresses.includes(hostname);
  const names = `UDP has no connection: each sendto() names ${server}`;
  explain?.("step 4", `python: (no connect)  deno: (no connect) -> ${names}`);
  // Step 5: the messages given, or else standard input line by line as it comes.
  const talk = { socket, host, port, server, fromServer, ...options };
  try {
    for (const message of messages) await exchange(talk, message);
    if (messages.length === 0) { for await (const line of readLines()) await exchange(talk, line); }
  } catch (error) {
    failToSend(error, host, allow);
  }
  socket.close(); // step 6
  explain?.("step 6", `python: close()  deno: socket.close() -> done`);
  Deno.exit(0); // also ends a receive() still pending for a reply that never came
}

// Step 5, send and receive: sendto() the message, wait for the server's datagram with the same
// bytes, and on silence send it again. After the last try, give up: exit 1, timeout × tries later.
async function exchange(talk: Talk, message: Uint8Array) {
  const { socket, host, port, server, timeout, tries } = talk, started = performance.now();
  for (let tried = 1; tried <= tries; tried++) {
    const sent = `socket.send(data, addr) -> try ${tried} of ${tries}`;
    explain?.("step 5", `python: sendto(data, addr)  deno: ${sent}`);
    await socket.send(message, { transport: "udp", hostname: host, port }); // sendto()
    const deadline = performance.now() + timeout;
    while (true) {
      const received = await receiveBefore(socket, deadline); // recvfrom(), until the deadline
      if (received === undefined) break; // time is up: send again
      const [reply, from] = received, quote = JSON.stringify(decoder.decode(reply).slice(0, 40));
      const got = `python: recvfrom(65507)  deno: socket.receive() -> got ${reply.length} bytes`;
      const other = reply.length !== message.length || reply.some((b, at) => b !== message[at]);
      if (!talk.fromServer(from)) {
        explain?.(
          "step 5",
          `${got} from ${showAddress(from)}, not ${server}: a stranger's, ignored`,
        );
        console.log(`stranger's datagram from ${showAddress(from)} ignored: ${quote}`);
      } else if (other) {
        explain?.("step 5", `${got}, other bytes than this message: a stale reply, ignored`);
        console.log(`stale reply ${++stale} ignored: ${quote}`);
      } else {
        explain?.("step 5", got);
        const time = (performance.now() - started).toFixed(1);
        return await show(reply, `  (reply in ${time} ms, ${showTries(tried)})\n`);
      }
    }
    const race = `Promise.race() with a timer -> no reply in ${timeout} ms`;
    explain?.("step 5", `python: recvfrom() timed out  deno: ${race}`);
  }
  const tell = "is udp_server.ts running? UDP itself never tells you";
  fail(`no reply from ${server} after ${showTries(tries)}: ${tell}`);
}

// receive() cannot be cancelled, so at most one is pending, kept from one wait to the next: a
// reply that arrives after a timeout is not lost, the next wait reads it. undefined: time is up.
let pending: Promise<[Uint8Array, Deno.NetAddr] | null> | undefined, stale = 0;
async function receiveBefore(socket: Deno.DatagramConn, deadline: number) {
  pending ??= (socket.receive() as Promise<[Uint8Array, Deno.NetAddr]>).catch((error) => {
    // Windows may report an earlier datagram to a port with no server here, as "connection reset".
    if (error instanceof Deno.errors.ConnectionReset) return null;
    throw error;
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeUp = new Promise<undefined>((resolve) =>
    timer = setTimeout(() => resolve(undefined), deadline - performance.now())
  );
  const received = await Promise.race([pending, timeUp]).finally(() => clearTimeout(timer));
  if (received !== undefined) pending = undefined;
  return received ?? undefined;
}

// Standard input, line by line, as raw bytes without the "\n" (or "\r\n"). A line is refused as
// soon as it outgrows a datagram, so memory stays bounded whatever comes in (even /dev/zero).
async function* readLines() {
  const line = new Uint8Array(MAX_DATAGRAM + 1), buffer = new Uint8Array(64 * 1024); // +1: "\r"
  let length = 0;
  for (let count; (count = await Deno.stdin.read(buffer)) !== null;) {
    for (let start = 0, end = 0; start <= count; start = end + 1) {
      end = buffer.subarray(0, count).indexOf(10, start);
      const part = buffer.subarray(start, end === -1 ? count : end);
      if (length + part.length > line.length) tooLong(`a line is more than ${line.length}`);
      line.set(part, length);
      length += part.length;
      if (end === -1) break;
      yield datagramOrExit(line.slice(0, length - (line[length - 1] === 13 ? 1 : 0)), "a line");
      length = 0; // (a length of 0 makes line[-1] undefined: an empty line stays empty)
    }
  }
  if (length > 0) yield datagramOrExit(line.slice(0, length), "the last line");
}

// What the server sent goes out as bytes; on a terminal, control characters other than "\n" and
// "\t" are made visible (ESC as ^[), so that no server can drive the terminal.
async function show(bytes: Uint8Array, after: string) {
  const out = Deno.stdout.isTerminal() ? encoder.encode(visible(decoder.decode(bytes))) : bytes;
  const all = new Uint8Array([...out, ...encoder.encode(after)]);
  for (let written = 0; written < all.length;) {
    written += await Deno.stdout.write(all.subarray(written));
  }
}
// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g; // DEL shows as ^?, a C1 code as M-^[ as "cat -v"
const visible = (text: string) => text.replace(CONTROL, (c) => caret(c.charCodeAt(0)));
const caret = (code: number): string =>
  code < 128 ? "^" + String.fromCharCode(code ^ 64) : "M-" + caret(code - 128);

// ---------------------------------------------------------------------------------------------
// Plumbing: flags, messages and the --explain trace. None of it is part of the lesson.
const USAGE =
  `usage: deno run --unstable-net --allow-net udp_client.ts [--host H] [--port P] [--timeout MS]
         [--retries N] [--explain] [--help] [message ...]
  --host H       server to send to (default 127.0.0.1; for IPv6, an address such as ::1); a host
                 name needs --allow-net for that name, to learn its addresses
  --port P       server's port (default 21042)
  --timeout MS   how long to wait for each reply, in milliseconds (default 1000)
  --retries N    how many times to send again when no reply comes (default 3)
  --explain      print each of the lesson's steps on stderr as it happens
  --timestamps   with --explain, start each trace line with @ and the time (for tools/demo.ts)
  message        datagrams to send; with none, send standard input line by line, as bytes`;
const MAX_DATAGRAM = 65507; // 65,535, less 8 for the UDP header and 20 for the IPv4 header
const encoder = new TextEncoder(), decoder = new TextDecoder();
let explain: ((step: string, what: string) => void) | undefined; // set by --explain
type Talk = Omit<ReturnType<typeof parseFlags>, "messages" | "named"> & {
  socket: Deno.DatagramConn;
  fromServer: (from: Deno.NetAddr) => boolean;
};

function parseFlags() {
  const s = (value: string) => ({ type: "string", default: value } as const);
  const flags = { host: s("127.0.0.1"), port: s("21042"), timeout: s("1000"), retries: s("3") };
  let parsed;
  try {
    const help = { type: "boolean", default: false } as const;
    parsed = parseArgs({
      allowPositionals: true,
      options: { ...flags, explain: help, timestamps: help, help },
    });
  } catch (error) {
    usageError((error as Error).message);
  }
  const options = parsed.values;
  if (options.help) {
    console.log(USAGE);
    Deno.exit(0);
  }
  const port = parseWholeNumber(options.port, "--port", 1, 65535);
  const timeout = parseWholeNumber(options.timeout, "--timeout", 1, 600_000);
  const tries = 1 + parseWholeNumber(options.retries, "--retries", 0, 100);
  // "localhost" may mean ::1 first (macOS, some Linux), where a server on 0.0.0.0 does not listen:
  // take it as 127.0.0.1. An IPv6 address may come as [::1] or ::1.
  const host = options.host.replace(/^localhost$/, "127.0.0.1").replace(/^\[(.*)\]$/, "$1");
  // The trace goes to stderr, as in client.ts, so that stdout holds only the replies.
  // --timestamps starts each trace line with the time, so that tools/demo.ts can merge both ends.
  const time = () => `@${(performance.timeOrigin + performance.now()).toFixed(3)} `;
  if (options.explain) {
    explain = (step, what) => console.error(`${options.timestamps ? time() : ""}[${step}] ${what}`);
  }
  const server = showAddress({ transport: "udp", hostname: host, port });
  const named = !/^[\d.]+$|:/.test(host); // a host name, not an IPv4 or IPv6 address
  // All the messages are checked before any is sent.
  const messages = parsed.positionals.map((text) => encoder.encode(text));
  messages.forEach((message, n) => datagramOrExit(message, `message ${n + 1}`));
  return { host, port, server, named, timeout, tries, messages };
}

function parseWholeNumber(text: string, flag: string, min: number, max: number): number {
  if (!/^\d+$/.test(text) || +text < min || +text > max) {
    usageError(`${flag} must be a whole number from ${min} to ${max}`);
  }
  return Number(text);
}

function datagramOrExit(bytes: Uint8Array, which: string): Uint8Array {
  return bytes.length > MAX_DATAGRAM ? tooLong(`${which} is ${bytes.length}`) : bytes;
}

function tooLong(what: string): never {
  console.error(`udp_client.ts: ${what} bytes: a UDP datagram holds at most 65,507`);
  Deno.exit(2);
}

const showAddress = ({ hostname, port }: Deno.NetAddr) =>
  hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`;
const showTries = (count: number) => `${count} ${count === 1 ? "try" : "tries"}`;

// One line for each failure a class meets, naming what was typed: an address, or a host name.
function failToSend(error: unknown, host: string, allow: string): never {
  const is = (text: string) => `${error}`.includes(text), server = allow.split(",")[1];
  const where = "is the address right, and is that computer on the same network and switched on?";
  fail(
    error instanceof Deno.errors.NotCapable || is("EPERM")
      ? `no permission to send to ${server}: run with ${allow}`
      : is("os error 113")
      ? `no route to ${server}: ${where}`
      : is("os error 101")
      ? `network unreachable for ${server}: is this computer connected to a network?`
      : is("ENOTFOUND") || is("lookup")
      ? `unknown host name "${host}" (for ${server}): is it spelled right?`
      : `cannot talk to ${server}: ${(error as Error).message}`,
  );
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
