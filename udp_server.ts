// udp_server.ts: a UDP echo server, the lesson's "Creando un Server Socket" with datagrams, written with Deno.
//
// Run the two ends in two terminals (in this folder, deno.json already adds --unstable-net):
//   terminal 1:  deno run --unstable-net --allow-net udp_server.ts      prints "listening on 0.0.0.0:21042"
//   terminal 2:  deno run --unstable-net --allow-net udp_client.ts hola  prints "hola  (reply in 0.4 ms, 1 try)"
//
// Every datagram that arrives is logged and goes back, byte for byte, to the address it came from.
// UDP has no connections: no listen() (step 6), no close() per client (step 9), and in place of
// accept() (step 7) each recvfrom() says who sent the datagram. One socket serves everyone. TCP and UDP ports are separate: server.ts can use 21042 at the same time.
// --drop ignores datagrams on purpose, to show that UDP may lose them and never says so.
// Comments give the lesson's step numbers (1-9); --explain prints each step as it happens.

// Step 1, "import socket": Deno's sockets are built in; we import only a flag parser.
import { parseArgs } from "node:util";

const USAGE =
  `usage: deno run --unstable-net --allow-net udp_server.ts [--host H] [--port P] [--drop P] [--seed N]
                                                           [--quiet] [--explain] [--help]
  --host H     address to listen on (default 0.0.0.0: every interface, the lesson's "")
  --port P     port to listen on, 0 picks a free one (default 21042)
  --drop P     fraction of datagrams to ignore on purpose, from 0 to 1 (default 0)
  --seed N     make the drops repeatable: the same seed drops the same datagrams
  --quiet      do not log each datagram
  --explain    print each of the lesson's steps as it happens`;

function usageError(message: string): never {
  console.error(`udp_server.ts: ${message}\n${USAGE}`);
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
        drop: { type: "string", default: "0" },
        seed: { type: "string" },
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
const drop = Number(options.drop);
if (!/^(\d+\.?\d*|\.\d+)$/.test(options.drop) || drop > 1) {
  usageError("--drop must be a number from 0 to 1, like 0.5");
}
const seed = options.seed === undefined
  ? undefined
  : parseWholeNumber(options.seed, "--seed", 2 ** 32 - 1);
// When off, `log?.(...)` and `explain?.(...)` skip the call without even building its text.
const log = options.quiet ? undefined : console.log;
const explain = options.explain
  ? (step: string, what: string) => console.log(`[${step}] ${what}`)
  : undefined;

// --seed: Math.random cannot be seeded, so use the classic "linear congruential" generator instead.
let state = seed ?? 0;
const seeded = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
const random = seed === undefined ? Math.random : seeded;

function showAddress(addr: Deno.NetAddr): string {
  return addr.hostname.includes(":")
    ? `[${addr.hostname}]:${addr.port}`
    : `${addr.hostname}:${addr.port}`;
}

// A short printable view of a datagram: its first 40 bytes as text, where anything but letters,
// digits, punctuation, symbols and spaces (control characters, bytes that are not UTF-8) shows as ".".
function preview(data: Uint8Array): string {
  const text = new TextDecoder().decode(data.subarray(0, 40)).replace(
    /[^\p{L}\p{N}\p{P}\p{S} ]|\uFFFD/gu,
    ".",
  );
  return `"${text}"${data.length > 40 ? "..." : ""}`;
}

// Deno 2.9 has Deno.listenDatagram only with --unstable-net (or "unstable": ["net"] in deno.json).
if (typeof Deno.listenDatagram !== "function") {
  console.error(
    "udp_server.ts: UDP needs --unstable-net: run deno run --unstable-net --allow-net udp_server.ts",
  );
  Deno.exit(1);
}

// Steps 4 and 5 in one call: Deno.listenDatagram creates a datagram socket (SOCK_DGRAM) and binds
// it to host and port. Always give the hostname: its default changed in 2026.
let socket: Deno.DatagramConn;
try {
  socket = Deno.listenDatagram({ transport: "udp", hostname: host, port });
} catch (error) {
  if (error instanceof Deno.errors.AddrInUse) {
    console.error(
      `udp_server.ts: UDP port ${port} is in use on ${host}: stop the other server, or use --port`,
    );
  } else if (error instanceof Deno.errors.NotCapable) {
    console.error(
      `udp_server.ts: no permission to listen on ${host}:${port}: run with --allow-net (--allow-net=${host}:${port},127.0.0.1 only answers this machine)`,
    );
  } else {
    console.error(`udp_server.ts: cannot listen on ${host}:${port}: ${(error as Error).message}`);
  }
  Deno.exit(1);
}
// Ctrl-C and SIGTERM are handled before we say we are listening, so that a signal sent as soon
// as that line appears already stops the server cleanly.
let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  socket.close(); // step 9, once: a pending receive() ends with an error, and the loop below ends
  explain?.(
    "step 9",
    `python: close()  deno: socket.close() -> closed the one socket that served every client`,
  );
}
Deno.addSignalListener("SIGINT", stop); // Ctrl-C
if (Deno.build.os !== "windows") Deno.addSignalListener("SIGTERM", stop); // Windows has no SIGTERM

const address = showAddress(socket.addr as Deno.NetAddr);
console.log(`listening on ${address}`);
const family = host.includes(":") ? "AF_INET6" : "AF_INET";
explain?.(
  "steps 4-5",
  `python: socket(${family}, SOCK_DGRAM) + bind(("${host}", ${port}))  deno: Deno.listenDatagram({ transport: "udp", hostname: "${host}", port: ${port} }) -> bound to ${address}, and no listen() (step 6): UDP has no connections to wait for`,
);

// Step 7, in place of accept(): recvfrom() gives the bytes and who sent them, all we know of a "client".
// Nothing one sender does (empty, 65,507 or random bytes, vanishing) stops us serving the others.
// One buffer for every datagram: receive() without one allocates (and zeroes) a new 65,507-byte
// buffer per datagram. Reusing it is safe because we send each reply before receiving again.
const buffer = new Uint8Array(65507);
while (!stopping) {
  let data: Uint8Array, from: Deno.NetAddr;
  try {
    [data, from] = (await socket.receive(buffer)) as [Uint8Array, Deno.NetAddr]; // at most 65,507 bytes
  } catch (error) {
    if (stopping) break;
    // On Windows, a reply sent earlier to a client that has gone can come back here as a
    // "connection reset" error: it is about that one client, so say it and go on.
    console.error(`udp_server.ts: receive failed (${(error as Error).message}); going on`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    continue;
  }
  // The sender as text, only when something will print it (it is garbage for every datagram otherwise).
  const sender = log || explain ? showAddress(from) : "";
  explain?.(
    "step 7",
    `python: data, addr = recvfrom(65507)  deno: socket.receive() -> got ${data.length} bytes from ${sender}`,
  );
  if (drop > 0 && random() < drop) {
    log?.(`dropped ${data.length} bytes from ${sender}: ${preview(data)} (--drop ${options.drop})`);
    explain?.(
      "step 8",
      `python: (no sendto)  deno: (no socket.send) -> dropped on purpose: ${sender} is never told`,
    );
    continue;
  }
  try {
    await socket.send(data, from); // step 8, sendto(): the same bytes, back to where they came from
    log?.(`echoed ${data.length} bytes to ${sender}: ${preview(data)}`);
    explain?.(
      "step 8",
      `python: sendto(data, addr)  deno: socket.send(data, addr) -> sent ${data.length} bytes back`,
    );
  } catch (error) {
    if (stopping) break;
    // Deno checks permission for each address we send to: --allow-net=0.0.0.0:21042 cannot reply.
    console.error(
      `udp_server.ts: cannot reply to ${showAddress(from)}: ${(error as Error).message}`,
    );
  }
}
