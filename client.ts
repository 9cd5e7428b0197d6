// client.ts: a TCP client for server.ts, the lesson's "Creando un Client Socket" written with Deno.
//
// Run the two ends in two terminals:
//   terminal 1:  deno run --allow-net server.ts               prints "listening on 0.0.0.0:21042"
//   terminal 2:  deno run --allow-net client.ts hola "que tal"
//                prints the server's greeting, then "hola" and "que tal" as the server sends them
// With no messages it sends what you type (end with Ctrl-D, or Ctrl-Z Enter on Windows); for
// chat_server.ts it is the chat client (--name Ana first sends the line "/name Ana").
// It prints the server's bytes exactly; on a terminal, control characters show as ^[ and the like.
// Comments give the lesson's step numbers (1-6); --explain prints each step on stderr.

// Step 1, "import socket": Deno's sockets are built in; we import only a flag parser.
import { parseArgs } from "node:util";

async function main() {
  const options = parseFlags(), { host, port, server } = options;
  // Steps 3 and 4 in one call: Deno.connect creates the socket and connects it to the server. The
  // signal gives up on a server that never answers, instead of waiting for the system's timeout.
  const python = `s = socket.socket(); s.connect(("${host}", ${port}))`;
  const deno = `Deno.connect({ hostname: "${host}", port: ${port} }) fuses both -> connecting`;
  explain?.("steps 3-4", `python: ${python}  deno: ${deno}`); // said as the call is made
  let conn: Deno.Conn;
  try {
    conn = await Deno.connect({ hostname: host, port, signal: AbortSignal.timeout(CONNECT_MS) });
  } catch (error) {
    failToConnect(error, host, server);
  }
  // Step 5: sending and receiving run side by side, so replies appear while we still send or type.
  // Messages given must come back (not in a chat, which does not echo: --name turns this off).
  const seen = new Seen(options.name === undefined ? options.messages : []);
  let silence: ReturnType<typeof setTimeout> | undefined; // --timeout, once nothing is left to type
  const rearm = () => {
    clearTimeout(silence);
    silence = setTimeout(
      () => fail(`${server} sent nothing for ${options.timeout} ms${seen.left()}`),
      options.timeout,
    );
  };
  const sending = { done: false, typing: false };
  sendAll(conn, options, sending, rearm).catch(() => {}); // a write failed: sending is never done
  await receiveAll(conn, seen, () => silence !== undefined && rearm(), server);
  conn.close(); // step 6
  explain?.("step 6", "python: s.close()  deno: conn.close()");
  // Exit 0 only if all that was given went out (and came back), and the server sent no "error:".
  // Input already on its way when the server closed counts as given: a moment lets it arrive.
  if (sending.typing) await new Promise((resolve) => setTimeout(resolve, 100));
  const said = seen.refusal() && ` after ${JSON.stringify(seen.refusal())}`;
  if (!sending.done && !sending.typing) {
    fail(`${server} closed the connection before all was sent${said}`);
  }
  if (seen.reset) fail(`connection reset by ${server}${said}${seen.left()}`);
  if (said || seen.left()) fail(`${server} closed the connection${said}${seen.left()}`);
  if (!sending.done) console.error(`client.ts: ${server} closed the connection`);
  Deno.exit(0); // also stops reading standard input if the server closed first
}

// Step 5, send(): each message as one line, or standard input as it comes, as bytes. Then
// closeWrite(), the lesson's shutdown(SHUT_WR): the server reads "end of stream" and knows we are
// done, while we can still receive what it has left to send.
async function sendAll(conn: Deno.Conn, options: Options, sending: Sending, ended: () => void) {
  const send = async (bytes: Uint8Array) => {
    explain?.(
      "step 5",
      `python: s.sendall(data)  deno: conn.write() until all is sent -> ${bytes.length} bytes`,
    );
    await writeAll(conn, bytes);
  };
  if (options.messages.length > 0) ended();
  if (options.name !== undefined) await send(encoder.encode(`/name ${options.name}\n`));
  for (const message of options.messages) await send(encoder.encode(message + "\n"));
  const buffer = new Uint8Array(options.messages.length > 0 ? 0 : 16 * 1024);
  while (buffer.length > 0) {
    sending.typing = true; // waiting for input: all that was given is sent
    const count = await Deno.stdin.read(buffer); // a line when typed, a chunk when piped
    sending.typing = false;
    if (count === null) break;
    await send(buffer.subarray(0, count));
  }
  ended();
  explain?.(
    "step 5",
    "python: s.shutdown(socket.SHUT_WR)  deno: conn.closeWrite() -> the server reads end of stream",
  );
  try {
    conn.closeWrite();
  } catch { /* the server has closed already: nothing was left to send */ }
  sending.done = true;
}

// Step 5, recv(): print what arrives, as it arrives, until the server closes (read() gives null).
async function receiveAll(conn: Deno.Conn, seen: Seen, heard: () => void, server: string) {
  const buffer = new Uint8Array(64 * 1024);
  while (true) {
    const count = await conn.read(buffer).catch((error) => {
        if (error instanceof Deno.errors.ConnectionReset) return (seen.reset = true) && null;
        fail(`connection to ${server} failed: ${error.message}`);
      }),
      got = count ?? "null: end of stream";
    explain?.("step 5", `python: s.recv(${buffer.length})  deno: conn.read(buffer) -> ${got}`);
    if (count === null) return seen.finish();
    heard();
    seen.take(buffer.subarray(0, count));
    await show(buffer.subarray(0, count));
  }
}

// conn.write() may send only part of the buffer (like Python's send()), so loop until all of it
// is written: this is Python's sendall().
async function writeAll(writer: Deno.Conn | typeof Deno.stdout, bytes: Uint8Array) {
  let written = 0;
  while (written < bytes.length) written += await writer.write(bytes.subarray(written));
}

// What the server's lines said: how many of ours came back (a line that ends with ours counts, as
// the lesson's Python server's "eco: hola"), its last other line (an "error:"?), and a reset.
class Seen {
  line = ""; // the line arriving now: only its end, as much as a comparison needs
  last = "";
  echoed = 0;
  reset = false;
  decoder = new TextDecoder();
  expected: string[];
  constructor(messages: string[]) {
    this.expected = messages.flatMap((message) => message.split("\n")); // a line per "\n" sent
  }
  take(bytes: Uint8Array) {
    const lines = (this.line + this.decoder.decode(bytes, { stream: true })).split("\n");
    this.line = lines.pop()!.slice(-256 - Math.max(0, ...this.expected.map((e) => e.length)));
    lines.forEach(this.end);
  }
  finish = () => (this.line += this.decoder.decode()) && this.end(this.line); // a last piece
  end = (line: string) => {
    const echo = this.echoed < this.expected.length && line.endsWith(this.expected[this.echoed]);
    [this.echoed, this.last] = echo ? [this.echoed + 1, ""] : [this.echoed, line.slice(0, 200)];
  };
  refusal = () => this.last.startsWith("error:") ? this.last : "";
  left = (all = this.expected.length, missing = all - this.echoed) =>
    missing ? `: ${missing} of ${all} line${all === 1 ? "" : "s"} not echoed` : "";
}

// On a terminal, control characters other than "\n" and "\t" are made visible (ESC as ^[), so that
// no server can drive it; anywhere else the bytes go out exactly as the server sent them.
const terminal = Deno.stdout.isTerminal(), screen = new TextDecoder();
async function show(bytes: Uint8Array) {
  const out = terminal ? encoder.encode(visible(screen.decode(bytes, { stream: true }))) : bytes;
  await writeAll(Deno.stdout, out).catch(() => Deno.exit(0)); // as after "| head -1": nobody reads
}
// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g; // DEL shows as ^?, a C1 code as M-^[ as "cat -v"
const visible = (text: string) => text.replace(CONTROL, (c) => caret(c.charCodeAt(0)));
const caret = (code: number): string =>
  code < 128 ? "^" + String.fromCharCode(code ^ 64) : "M-" + caret(code - 128);

// ---------------------------------------------------------------------------------------------
// Plumbing: flags, messages and the --explain trace. None of it is part of the lesson.
const USAGE = `usage: deno run --allow-net client.ts [--host H] [--port P] [--name N] [--timeout MS]
                                      [--explain] [--help] [message ...]
  --host H       server to connect to (default 127.0.0.1)
  --port P       server's port (default 21042)
  --name N       in a chat room (chat_server.ts), the name the others see
  --timeout MS   once all is sent (messages given, or input ended): exit 1 if the server sends
                 nothing for MS milliseconds (default 5000); never while you may still type
  --explain      print each of the lesson's steps on stderr as it happens
  --timestamps   with --explain, start each trace line with @ and the time (for tools/demo.ts)
  message        lines to send, each to come back; with none, send standard input as it comes`;
const CONNECT_MS = 5000, encoder = new TextEncoder();
let explain: ((step: string, what: string) => void) | undefined; // set by --explain

type Options = ReturnType<typeof parseFlags>;
type Sending = { done: boolean; typing: boolean };
function parseFlags() {
  const text = (value?: string) => ({ type: "string", default: value } as const);
  const flags = {
    host: text("127.0.0.1"),
    port: text("21042"),
    name: text(),
    timeout: text("5000"),
  };
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
  const port = parseWholeNumber(options.port!, "--port", 1, 65535);
  const timeout = parseWholeNumber(options.timeout!, "--timeout", 1, 3_600_000);
  // "localhost" may mean ::1 first (macOS, some Linux), where a server on 0.0.0.0 does not listen:
  // take it as 127.0.0.1. An IPv6 address may come as [::1] or ::1.
  const host = options.host === "localhost"
    ? "127.0.0.1"
    : options.host!.replace(/^\[(.*)\]$/, "$1");
  // The trace goes to stderr, so that stdout holds only what the server sent.
  // --timestamps starts each trace line with the time, so that tools/demo.ts can merge both ends.
  const time = () => `@${(performance.timeOrigin + performance.now()).toFixed(3)} `;
  if (options.explain) {
    explain = (step, what) => console.error(`${options.timestamps ? time() : ""}[${step}] ${what}`);
  }
  const server = showAddress({ transport: "tcp", hostname: host, port });
  return { host, port, server, name: options.name, messages: parsed.positionals, timeout };
}

function parseWholeNumber(text: string, flag: string, min: number, max: number): number {
  if (!/^\d+$/.test(text) || +text < min || +text > max) {
    usageError(`${flag} must be a whole number from ${min} to ${max}`);
  }
  return Number(text);
}

const showAddress = ({ hostname, port }: Deno.NetAddr) =>
  hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`;

// One line for each failure a class meets, naming what was typed: an address, or a host name.
function failToConnect(error: unknown, host: string, server: string): never {
  const is = (text: string) => `${error}`.includes(text);
  const where = "is the address right, and is that computer on the same network and switched on?";
  fail(
    error instanceof Deno.errors.ConnectionRefused
      ? `connection refused by ${server}: is server.ts running, and on that port?`
      : error instanceof Deno.errors.NotCapable
      ? `no permission to connect to ${server}: run with --allow-net=${server}`
      : is("os error 113")
      ? `no route to ${server}: ${where}`
      : is("os error 101")
      ? `network unreachable for ${server}: is this computer connected to a network?`
      : is("TimeoutError") || is("os error 110")
      ? `no answer from ${server} within ${CONNECT_MS / 1000} s: ${where}`
      : is("lookup") && !/^[\d.]+$|:/.test(host)
      ? `unknown host name "${host}" (for ${server}): is it spelled right?`
      : `cannot connect to ${server}: ${(error as Error).message}`,
  );
}

function usageError(message: string): never {
  console.error(`client.ts: ${message}\n${USAGE}`);
  Deno.exit(2);
}

function fail(message: string): never {
  console.error(`client.ts: ${message}`);
  Deno.exit(1);
}

if (import.meta.main) await main();
