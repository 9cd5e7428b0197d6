// udp_client.ts: a UDP client for udp_server.ts, the lesson's "Creando un Client Socket" with datagrams, in Deno.
//
// Run the two ends in two terminals (in this folder, deno.json already adds --unstable-net):
//   terminal 1:  deno run --unstable-net --allow-net udp_server.ts      prints "listening on 0.0.0.0:21042"
//   terminal 2:  deno run --unstable-net --allow-net udp_client.ts hola  prints "hola  (reply in 0.4 ms, 1 try)"
//
// With no messages, each line you type is one datagram (end with Ctrl-D, or Ctrl-Z Enter on Windows).
// UDP may lose a datagram and never say so: we wait up to --timeout ms for a reply and send again, up
// to --retries times; the time shown runs from the first try. The reply is the datagram whose bytes
// equal the message (the server echoes bytes unchanged); any other, such as a late reply to an earlier
// message, is reported as stale and ignored. So two identical messages in a row cannot be told apart:
// a late reply to the first counts for the second (same text, shorter time).
// Comments give the lesson's step numbers (1-6); --explain prints each step as it happens.

// Step 1, "import socket": Deno's sockets are built in; we import only a flag parser.
import { parseArgs } from "node:util";

const USAGE =
  `usage: deno run --unstable-net --allow-net udp_client.ts [--host H] [--port P] [--timeout MS]
                                                           [--retries N] [--explain] [--help] [message ...]
  --host H       server to send to (default 127.0.0.1; for IPv6, an address such as ::1)
  --port P       server's port (default 21042)
  --timeout MS   how long to wait for each reply, in milliseconds (default 1000)
  --retries N    how many times to send again when no reply comes (default 3)
  --explain      print each of the lesson's steps as it happens
  message        datagrams to send; with none, send standard input line by line`;

function usageError(message: string): never {
  console.error(`udp_client.ts: ${message}\n${USAGE}`);
  Deno.exit(2);
}

function fail(message: string): never {
  console.error(`udp_client.ts: ${message}`);
  Deno.exit(1);
}

function parseWholeNumber(text: string, flag: string, min: number, max: number): number {
  if (!/^\d+$/.test(text) || +text < min || +text > max) {
    usageError(`${flag} must be a whole number from ${min} to ${max}`);
  }
  return Number(text);
}

function parseFlags() {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        host: { type: "string", default: "127.0.0.1" },
        port: { type: "string", default: "21042" },
        timeout: { type: "string", default: "1000" },
        retries: { type: "string", default: "3" },
        explain: { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
    });
  } catch (error) {
    usageError((error as Error).message);
  }
}
const parsed = parseFlags();
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
const host = options.host === "localhost" ? "127.0.0.1" : options.host.replace(/^\[(.*)\]$/, "$1");
const ipv6 = host.includes(":");
const server = ipv6 ? `[${host}]:${port}` : `${host}:${port}`;
const plural = (count: number) => `${count} ${count === 1 ? "try" : "tries"}`;
// When off, `explain?.(...)` skips the call without even building its text.
// The trace goes to stderr, as in client.ts, so that stdout holds only the replies.
const explain = options.explain
  ? (step: string, what: string) => console.error(`[${step}] ${what}`)
  : undefined;

// A datagram holds at most 65,507 bytes: 65,535, less 8 for the UDP header and 20 for the IPv4 header.
function encode(text: string, which: string): Uint8Array {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length > 65507) {
    console.error(
      `udp_client.ts: ${which} is ${bytes.length} bytes: a UDP datagram holds at most 65,507`,
    );
    Deno.exit(2);
  }
  return bytes;
}
const messages = parsed.positionals.map((text, n) => encode(text, `message ${n + 1}`)); // all, before sending any

// Deno 2.9 has Deno.listenDatagram only with --unstable-net (or "unstable": ["net"] in deno.json).
if (typeof Deno.listenDatagram !== "function") {
  fail("UDP needs --unstable-net: run deno run --unstable-net --allow-net udp_client.ts");
}

// Step 3, socket(): Deno creates and binds a datagram socket in one call, so we bind to port 0 (any
// free one), as Python does by itself at the first sendto(). It must be of the server's family:
// IPv6 for an address with ":", IPv4 otherwise; and for this machine, on its loopback address.
const local = ["127.0.0.1", "::1"].includes(host) ? host : ipv6 ? "::" : "0.0.0.0";
let socket: Deno.DatagramConn;
try {
  socket = Deno.listenDatagram({ transport: "udp", hostname: local, port: 0 });
} catch (error) {
  if (error instanceof Deno.errors.NotCapable) {
    fail(`no permission to use ${local}:0: run with --allow-net=${local}:0,${server}`);
  }
  fail(`cannot open a UDP socket on ${local}: ${(error as Error).message}`);
}
const call = `Deno.listenDatagram({ transport: "udp", hostname: "${local}", port: 0 })`;
explain?.(
  "step 3",
  `python: socket(${ipv6 ? "AF_INET6" : "AF_INET"}, SOCK_DGRAM)  deno: ${call} -> bound`,
);
explain?.(
  "step 4",
  `python: (no connect)  deno: (no connect) -> UDP has no connection: each sendto() names ${server}`,
);

// receive() cannot be cancelled, so at most one is pending, kept from one wait to the next: a reply
// that arrives after a timeout is not lost, the next wait reads it. Gives undefined when time is up.
let pending: Promise<[Uint8Array, Deno.Addr]> | undefined;
async function receiveBefore(deadline: number): Promise<Uint8Array | undefined> {
  pending ??= socket.receive(); // recvfrom()
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeUp = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), deadline - performance.now());
  });
  try {
    const received = await Promise.race([pending, timeUp]);
    if (received) pending = undefined;
    return received?.[0];
  } catch (error) {
    pending = undefined;
    // Windows may report an earlier datagram to a port with no server here, as "connection reset".
    if (error instanceof Deno.errors.ConnectionReset) return undefined;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

// Step 5, send and receive: sendto() the message, wait for the datagram with the same bytes, and on
// silence send it again. After the last try, give up: exit 1, about timeout × tries after the first.
let stale = 0;
async function exchange(message: Uint8Array) {
  const started = performance.now();
  for (let tried = 1; tried <= tries; tried++) {
    await socket.send(message, { transport: "udp", hostname: host, port }); // sendto()
    explain?.(
      "step 5",
      `python: sendto(data, addr)  deno: socket.send(data, addr) -> try ${tried} of ${tries}`,
    );
    const deadline = performance.now() + timeout;
    while (true) {
      const reply = await receiveBefore(deadline); // recvfrom(), until the deadline
      if (reply === undefined) break; // time is up: send again
      const text = new TextDecoder().decode(reply);
      explain?.(
        "step 5",
        `python: recvfrom(65507)  deno: socket.receive() -> got ${reply.length} bytes`,
      );
      if (reply.length === message.length && reply.every((byte, at) => byte === message[at])) {
        return console.log(
          `${text}  (reply in ${(performance.now() - started).toFixed(1)} ms, ${plural(tried)})`,
        );
      }
      console.log(`stale reply ${++stale} ignored: ${JSON.stringify(text.slice(0, 40))}`);
    }
    explain?.(
      "step 5",
      `python: recvfrom() timed out  deno: Promise.race() with a timer -> no reply in ${timeout} ms`,
    );
  }
  fail(
    `no reply from ${server} after ${
      plural(tries)
    }: is udp_server.ts running? UDP itself never tells you`,
  );
}

// The messages given, or else standard input line by line as it comes, without "\n" or "\r\n".
try {
  for (const message of messages) await exchange(message);
  if (messages.length === 0) {
    let rest = "";
    for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
      const lines = (rest + chunk).split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) await exchange(encode(line.replace(/\r$/, ""), "a line"));
    }
    if (rest !== "") await exchange(encode(rest, "the last line"));
  }
} catch (error) {
  if (error instanceof Deno.errors.NotCapable) {
    fail(`no permission to send to ${server}: run with --allow-net=${local}:0,${server}`);
  }
  fail(`cannot talk to ${server}: ${(error as Error).message}`);
}
socket.close(); // step 6
explain?.("step 6", `python: close()  deno: socket.close() -> done`);
Deno.exit(0); // also ends a receive() still pending for a reply that never came
