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
  const options = parseFlags();
  const { host, port, server } = options;
  // Steps 3 and 4 in one call: Deno.connect creates the socket and connects it to the server. The
  // signal gives up on a server that never answers, instead of waiting for the system's timeout.
  const python = `s = socket.socket(); s.connect(("${host}", ${port}))`;
  const deno = `Deno.connect({ hostname: "${host}", port: ${port} }) fuses both`;
  explain?.("steps 3-4", `python: ${python}  deno: ${deno} -> connecting`);
  let conn: Deno.Conn;
  try {
    conn = await Deno.connect({ hostname: host, port, signal: AbortSignal.timeout(CONNECT_MS) });
  } catch (error) {
    failToConnect(error, options);
  }
  // Step 5: send() and recv() run side by side, so replies appear while we still send or type.
  const input: Input = { unsent: 0, ended: false, serverClosed: false };
  const lines = new ServerLines(options.name === undefined ? options.messages : []);
  // --timeout: once all is sent, give up on a server that sends nothing for that long.
  let silence: ReturnType<typeof setTimeout> | undefined;
  const restartSilence = () => {
    if (!input.ended || input.serverClosed) return; // while we still send or type: no limit
    clearTimeout(silence);
    const tell = `${server} sent nothing for ${options.timeout} ms${lines.notEchoed()}`;
    silence = setTimeout(() => fail(tell), options.timeout);
  };
  const sending = sendAll(conn, options, input).then(restartSilence);
  await receiveAll(conn, lines, restartSilence);
  input.serverClosed = true; // from now on, input is counted, not sent
  clearTimeout(silence);
  // Step 6, close(): the server has closed its side of the connection, so we close ours.
  conn.close();
  explain?.("step 6", "python: s.close()  deno: conn.close()");
  // Input still coming from a pipe or a file: read the rest (for at most --timeout ms), to tell
  // how much was never sent. A person at a terminal may simply not have typed any more.
  const typing = options.messages.length === 0 && Deno.stdin.isTerminal();
  if (!typing) await waitAtMost(sending, options.timeout);
  // Exit 0 only if all that was given went out (and came back), and the server refused nothing.
  const closed = lines.reset ? `connection reset by ${server}` : `${server} closed the connection`;
  const after = lines.refusal() === "" ? "" : ` after ${quote(lines.refusal())}`;
  if (lines.notEchoed() !== "") fail(`${closed}${after}${lines.notEchoed()}`);
  if (input.unsent > 0 || (!input.ended && !typing)) {
    const early = input.ended ? "" : " before the input ended";
    fail(`${closed}${after}${early}: ${input.unsent} bytes of input not sent`);
  }
  if (after !== "" || lines.reset) fail(`${closed}${after}`);
  if (!input.ended) console.error(`client.ts: ${closed}`); // the person had not pressed Ctrl-D
  Deno.exit(0); // also stops reading standard input, if a read is still waiting
}

// The lesson's send(): each message as one line, or standard input as it comes, as bytes. Then
// closeWrite(), the lesson's shutdown(SHUT_WR): the server reads "end of stream" and knows we are
// done, while we can still receive what it has left to send.
async function sendAll(conn: Deno.Conn, options: Options, input: Input) {
  if (options.name !== undefined) await send(conn, `/name ${options.name}\n`, input, options);
  for (const message of options.messages) await send(conn, `${message}\n`, input, options);
  const buffer = new Uint8Array(16 * 1024);
  // A line typed at a terminal ends in "\n" on every system, but a Windows console gives each line
  // whole with a "\r" before its "\n" that the person did not type. Piped input goes as it is.
  const typed = options.messages.length === 0 && Deno.stdin.isTerminal();
  while (options.messages.length === 0) {
    let count: number | null;
    try {
      count = await Deno.stdin.read(buffer); // a line when typed, a chunk when piped
    } catch (error) {
      fail(`cannot read standard input: ${(error as Error).message}`); // a folder, say
    }
    if (count === null) break;
    const bytes = buffer.subarray(0, count);
    const line = typed
      ? bytes.filter((byte, at) => byte !== RETURN || bytes[at + 1] !== NEWLINE)
      : bytes;
    if (typed && !input.warned) input.warned = warnIfNotUtf8(line);
    await send(conn, line, input, options);
  }
  input.ended = true;
  if (input.unsent > 0 || input.serverClosed) return; // the server has gone: no shutdown to do
  const shutdown = "python: s.shutdown(socket.SHUT_WR)  deno: conn.closeWrite()";
  explain?.("step 5", `${shutdown} -> the server reads end of stream`);
  try {
    await conn.closeWrite();
  } catch { /* the server closed meanwhile: it will not read any more anyway */ }
}

// What happened to our input: bytes read (or given) but not sent, whether it has ended, whether
// the server has closed (from then on, what is read is only counted), and whether we said that
// typed text came in another encoding than UTF-8.
type Input = { unsent: number; ended: boolean; serverClosed: boolean; warned?: boolean };

// A terminal passes typed text on in its own encoding: a Windows console in its code page (850
// in Spanish, so "é" is one byte, 0x82), or, set to UTF-8 with chcp 65001, Windows 10's console
// as a 0 byte for each accented letter. The line still goes as it came; we say so once.
function warnIfNotUtf8(line: Uint8Array): boolean {
  const fix = "accents will not come back as typed";
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(line);
  } catch {
    console.error(
      `client.ts: the terminal did not pass on UTF-8: ${fix}: on Windows, run ` +
        "chcp 65001 first",
    );
    return true;
  }
  if (!line.includes(0)) return false;
  console.error(
    `client.ts: the terminal passed a letter on as a 0 byte: ${fix}: give them as ` +
      'arguments instead (client.ts "qué tal")',
  );
  return true;
}

// The lesson's sendall(): conn.write() may take only part of the bytes (like Python's send()), so
// we write until all are taken. A write that takes nothing for --timeout ms means the server does
// not read what we send: we give up instead of waiting forever.
async function send(conn: Deno.Conn, data: string | Uint8Array, input: Input, options: Options) {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  let written = 0;
  if (!input.serverClosed) {
    const sendall = "python: s.sendall(data)  deno: conn.write() until all is sent";
    explain?.("step 5", `${sendall} -> ${bytes.length} bytes`);
  }
  try {
    while (written < bytes.length && !input.serverClosed) {
      const tell = `${options.server} took none of our bytes for ${options.timeout} ms`;
      const stuck = setTimeout(() => fail(`${tell}: it is not reading`), options.timeout);
      written += await conn.write(bytes.subarray(written)).finally(() => clearTimeout(stuck));
    }
  } catch { /* the server closed or reset the connection: the rest is not sent */ }
  input.unsent += bytes.length - written;
}

// The lesson's recv(): print what arrives, as it arrives, until the server closes (read() gives
// null) or resets the connection. Every read counts the server's lines and restarts the silence.
async function receiveAll(conn: Deno.Conn, lines: ServerLines, restartSilence: () => void) {
  const buffer = new Uint8Array(64 * 1024);
  // On a terminal we decode the bytes to show control characters: a character may come in two
  // reads, so the decoder keeps its first half until the rest arrives.
  const screen = Deno.stdout.isTerminal() ? new TextDecoder() : undefined;
  while (true) {
    let count: number | null = null;
    try {
      count = await conn.read(buffer);
    } catch (error) {
      if (!(error instanceof Deno.errors.ConnectionReset)) fail(`connection failed: ${error}`);
      lines.reset = true;
    }
    const result = count === null ? "null: end of stream" : `${count} bytes`;
    explain?.("step 5", `python: s.recv(${buffer.length})  deno: conn.read(buffer) -> ${result}`);
    if (count === null) break;
    restartSilence();
    const bytes = buffer.subarray(0, count);
    lines.take(bytes);
    if (screen === undefined) await writeOut(bytes);
    else await writeOut(encoder.encode(visible(screen.decode(bytes, { stream: true }))));
  }
  if (screen !== undefined) await writeOut(encoder.encode(visible(screen.decode()))); // a cut end
}

// What the server's lines say. The first is its greeting (as in the lesson); each later complete
// line is one of ours coming back (the lesson's Python server answers "eco: hola"), except a last
// line that starts with "error:" and is not ours: that is the server refusing something.
class ServerLines {
  newlines = 0; // complete lines, greeting included
  tail = ""; // the end of what the server sent: enough to read its last line
  reset = false; // the server ended with a reset instead of a normal close
  sent: string[]; // the lines we send, one for each "\n"

  constructor(messages: string[]) {
    this.sent = messages.flatMap((message) => message.split("\n"));
  }

  take(bytes: Uint8Array) {
    for (const byte of bytes) if (byte === NEWLINE) this.newlines += 1;
    this.tail = (this.tail + new TextDecoder().decode(bytes.subarray(-200))).slice(-200);
  }

  // The last complete line if it starts with "error:" (a server may end lines with "\r\n").
  refusal(): string {
    const last = this.tail.replace(/\r?\n[^\n]*$/, "").split("\n").at(-1) ?? "";
    const ours = this.sent.at(-1)?.slice(-200) ?? "";
    return last.startsWith("error:") && last !== ours ? last : "";
  }

  notEchoed(): string {
    const greeting = Math.min(1, this.newlines);
    const refused = this.refusal() === "" ? 0 : 1;
    const echoed = Math.max(0, this.newlines - greeting - refused);
    const missing = this.sent.length - echoed;
    if (missing <= 0) return "";
    return `: ${missing} of ${this.sent.length} line${
      this.sent.length === 1 ? "" : "s"
    } not echoed`;
  }
}

// ---------------------------------------------------------------------------------------------
// Plumbing: flags, standard input and output, messages and the --explain trace.
const USAGE = `usage: deno run --allow-net client.ts [--host H] [--port P] [--name N] [--timeout MS]
                                      [--explain] [--timestamps] [--help] [message ...]
  --host H       server to connect to: an address or a host name (default 127.0.0.1)
  --port P       server's port (default 21042)
  --name N       in a chat room (chat_server.ts), the name the others see
  --timeout MS   exit 1 if the server takes none of our bytes for MS milliseconds, or, once all
                 is sent, sends nothing for MS milliseconds (default 5000); when the server closes
                 first, piped input is read for up to MS ms more, to count what was not sent
  --explain      print each of the lesson's steps on stderr as it happens
  --timestamps   with --explain, start each trace line with @ and the time (for tools/demo.ts)
  message        lines to send, each to come back; with none, send standard input as it comes`;
const CONNECT_MS = 5000; // how long Deno.connect may wait for a server that does not answer
const NEWLINE = 10; // "\n"
const RETURN = 13; // "\r"
const encoder = new TextEncoder();
let explain: ((step: string, what: string) => void) | undefined; // set by --explain
type Options = ReturnType<typeof parseFlags>;

function parseFlags() {
  const text = { type: "string" } as const;
  const yes = { type: "boolean", default: false } as const;
  const flags = { host: text, port: text, name: text, timeout: text };
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
  const timeout = parseWholeNumber(options.timeout ?? "5000", "--timeout", 1, 3_600_000);
  // The trace goes to stderr, so that stdout holds only what the server sent. --timestamps starts
  // each trace line with the time, so that tools/demo.ts can merge the two ends' traces.
  const time = () => `@${(performance.timeOrigin + performance.now()).toFixed(3)} `;
  if (options.explain) {
    explain = (step, what) => console.error(`${options.timestamps ? time() : ""}[${step}] ${what}`);
  }
  const server = showAddress({ transport: "tcp", hostname: host, port });
  return { host, port, server, name: options.name, messages: parsed.positionals, timeout };
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

function showAddress({ hostname, port }: Deno.NetAddr): string {
  return hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`;
}

// One line for each failure a connect meets, naming the server as it was given. The error's kind
// first (Deno.errors), then, where Deno has none, the number the system gives it.
function failToConnect(error: unknown, { server, host }: Options): never {
  const where = "is the address right, and is that computer on the same network and switched on?";
  if (error instanceof Deno.errors.ConnectionRefused) {
    fail(`connection refused by ${server}: is server.ts running, and on that port?`);
  }
  if (error instanceof Deno.errors.NotCapable) {
    fail(`no permission to connect to ${server}: run with --allow-net=${server}`);
  }
  const why = networkError(error);
  if (why === "no route") fail(`no route to ${server}: ${where}`);
  if (why === "unreachable") {
    fail(`network unreachable for ${server}: is this computer connected to a network?`);
  }
  if (why === "timed out") fail(`no answer from ${server} within ${CONNECT_MS / 1000} s: ${where}`);
  if (why === "unknown name") {
    fail(`unknown host name "${host}" (for ${server}): is it spelled right?`);
  }
  fail(`cannot connect to ${server}: ${(error as Error).message}`);
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
  if (error instanceof DOMException && error.name === "TimeoutError") return "timed out"; // ours
  const text = String(error);
  const number = Number(text.match(/\(os error (\d+)\)/)?.[1]);
  if (OS_ERRORS[os]?.[number]) return OS_ERRORS[os][number];
  if (text.includes("failed to lookup address")) return "unknown name"; // Linux, macOS
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

async function waitAtMost(promise: Promise<unknown>, ms: number) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeUp = new Promise((resolve) => timer = setTimeout(resolve, ms));
  await Promise.race([promise, timeUp]);
  clearTimeout(timer);
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
  console.error(`client.ts: ${message}\n${USAGE}`);
  Deno.exit(2);
}

function fail(message: string): never {
  console.error(`client.ts: ${message}`);
  Deno.exit(1);
}

if (import.meta.main) await main();
