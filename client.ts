// client.ts: a TCP client for server.ts, the lesson's "Creando un Client Socket" written with Deno.
//
// Run the two ends in two terminals:
//   terminal 1:  deno run --allow-net server.ts               prints "listening on 0.0.0.0:21042"
//   terminal 2:  deno run --allow-net client.ts hola "que tal"
//                prints the server's greeting, then "hola" and "que tal" as the server sends them back
//
// With no messages, it sends what you type, line by line, and prints what comes back; end your
// input with Ctrl-D (Ctrl-Z then Enter on Windows). Against "server.ts --chat" this is the chat
// client: what others write appears while you type; --name Ana first sends the line "/name Ana".
// Comments give the lesson's step numbers (1-6); --explain prints each step on stderr as it happens.

// Step 1, "import socket": Deno's sockets are built in; we import only a flag parser.
import { parseArgs } from "node:util";

const USAGE =
  `usage: deno run --allow-net client.ts [--host H] [--port P] [--name N] [--explain] [--help] [message ...]
  --host H   server to connect to (default 127.0.0.1)
  --port P   server's port (default 21042)
  --name N   in a chat room (server.ts --chat), the name the others see
  --explain  print each of the lesson's steps on stderr as it happens
  message    lines to send; with none, send standard input line by line`;
const CONNECT_TIMEOUT_MS = 5000;

function usageError(message: string): never {
  console.error(`client.ts: ${message}\n${USAGE}`);
  Deno.exit(2);
}

function parseFlags() {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        host: { type: "string", default: "127.0.0.1" },
        port: { type: "string", default: "21042" },
        name: { type: "string" },
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
if (!/^\d+$/.test(options.port) || Number(options.port) < 1 || Number(options.port) > 65535) {
  usageError("--port must be a whole number from 1 to 65535");
}
const port = Number(options.port);
// "localhost" may mean ::1 first (macOS, some Linux), where a server on 0.0.0.0 does not listen:
// take it as 127.0.0.1. An IPv6 address may come as [::1] or ::1.
const host = options.host === "localhost" ? "127.0.0.1" : options.host.replace(/^\[(.*)\]$/, "$1");
const server = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
// explain?.(...) prints a step when --explain is on; when it is off, explain is undefined and the
// ?. skips the call without even building its text. On stderr, so stdout is only what the server sent.
const explain = options.explain
  ? (step: string, what: string) => console.error(`[${step}] ${what}`)
  : undefined;
const encoder = new TextEncoder();

function fail(message: string): never {
  console.error(`client.ts: ${message}`);
  Deno.exit(1);
}

// Steps 3 and 4 in one call: Deno.connect creates the socket and connects it to the server. The
// signal gives up on a server that never answers, instead of waiting for the system's timeout.
let conn: Deno.Conn;
try {
  conn = await Deno.connect({
    hostname: host,
    port,
    signal: AbortSignal.timeout(CONNECT_TIMEOUT_MS),
  });
  explain?.(
    "steps 3-4",
    `python: s = socket.socket(); s.connect(("${host}", ${port}))  ` +
      `deno: Deno.connect({ hostname: "${host}", port: ${port} }) fuses both -> connected`,
  );
} catch (error) {
  if (error instanceof Deno.errors.ConnectionRefused) {
    fail(`connection refused by ${server}: is server.ts running, and on that port?`);
  } else if (error instanceof Deno.errors.NotCapable) {
    fail(`no permission to connect to ${server}: run with --allow-net=${server}`);
  } else if (error instanceof DOMException && error.name === "TimeoutError") {
    fail(
      `no answer from ${server} within ${
        CONNECT_TIMEOUT_MS / 1000
      } s: is the host right, and reachable?`,
    );
  } else {
    fail(`cannot connect to ${server} (${(error as Error).message}): is the host name right?`);
  }
}

// conn.write() may send only part of the buffer (like Python's send()), so loop until all of it
// is written: this is Python's sendall().
async function writeAll(writer: Deno.Conn | typeof Deno.stdout, bytes: Uint8Array) {
  let written = 0;
  while (written < bytes.length) written += await writer.write(bytes.subarray(written));
}

async function send(bytes: Uint8Array) {
  await writeAll(conn, bytes);
  explain?.(
    "step 5",
    `python: s.sendall(data)  deno: conn.write() until all is sent -> ${bytes.length} bytes`,
  );
}

// Step 5, send(): each message as one line, or standard input as it comes. Then closeWrite(), the
// lesson's shutdown(SHUT_WR): the server reads "end of stream" and knows we are done, while we can
// still receive what it has left to send.
async function sendMessages() {
  if (options.name !== undefined) await send(encoder.encode(`/name ${options.name}\n`));
  if (parsed.positionals.length > 0) {
    for (const message of parsed.positionals) await send(encoder.encode(message + "\n"));
  } else {
    const buffer = new Uint8Array(16 * 1024);
    while (true) {
      const count = await Deno.stdin.read(buffer); // a line when typed, a chunk when piped
      if (count === null) break;
      await send(buffer.subarray(0, count));
    }
  }
  conn.closeWrite();
  explain?.(
    "step 5",
    "python: s.shutdown(socket.SHUT_WR)  deno: conn.closeWrite() -> the server reads end of stream",
  );
}

// Step 5, recv(): print what arrives until the server closes (read() gives null). A read holds
// whatever bytes have arrived, which may end in the middle of a character: the decoder's stream
// mode keeps that partial character until the rest of it arrives.
async function printReplies() {
  const buffer = new Uint8Array(64 * 1024);
  const decoder = new TextDecoder();
  while (true) {
    const count = await conn.read(buffer);
    explain?.(
      "step 5",
      `python: s.recv(${buffer.length})  deno: conn.read(buffer) -> ${
        count ?? "null: end of stream"
      }`,
    );
    if (count === null) break;
    await show(decoder.decode(buffer.subarray(0, count), { stream: true }));
  }
  await show(decoder.decode());
}

// Printing fails if our output was closed (for example by "client.ts hola | head -1"): then
// nobody reads what we print, so we stop quietly.
async function show(text: string) {
  try {
    await writeAll(Deno.stdout, encoder.encode(text));
  } catch {
    Deno.exit(0);
  }
}

// Sending and receiving run side by side, so replies appear while we are still sending or typing.
let sendingDone = false, sendFailed = false;
sendMessages().then(() => sendingDone = true, () => sendFailed = true);
try {
  await printReplies();
} catch (error) {
  if (error instanceof Deno.errors.ConnectionReset) fail(`connection reset by ${server}`);
  fail(`connection to ${server} failed: ${(error as Error).message}`);
}
conn.close(); // step 6
explain?.("step 6", "python: s.close()  deno: conn.close()");
// If the server closed first, say so: it is a failure if some of our messages could not be sent.
if (sendFailed) fail(`${server} closed the connection before all was sent`);
if (!sendingDone) console.error(`client.ts: ${server} closed the connection`);
Deno.exit(0); // also stops reading standard input if the server closed first
