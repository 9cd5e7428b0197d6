// client.ts: a TCP client for server.ts, the lesson's "Creando un Client Socket" written with Deno.
//
// Run the two ends in two terminals:
//   terminal 1:  deno run --allow-net server.ts               prints "listening on 0.0.0.0:21042"
//   terminal 2:  deno run --allow-net client.ts hola "que tal"
//                prints the server's greeting, then "hola" and "que tal" as the server sends them
// With no messages it sends what you type (end with Ctrl-D, or Ctrl-Z Enter on Windows); for
// chat_server.ts it is the chat client (--name Ana first sends the line "/name Ana").
// It prints the server's bytes exactly; on a terminal, control characters show as ^[ and the like.
// Comments give the lesson's step numbers (1-6); --explain prints each step on stderr. It speaks
// Spanish where the system does, English elsewhere (--lang es|en chooses).
//
// Map: above the divider, the lesson: main() (flags, connect, send and receive side by side,
// close), then sendAll() and receiveAll(). Below it, the mechanism: writing all of a buffer,
// standard input, the server's lines, the silence timer, the exit code, connect failures, flags,
// output, the language, and last the MESSAGES table (every line for a person, es and en).

// Step 1, "import socket": Deno's sockets are built in; we import only a flag parser.
import { parseArgs } from "node:util";

async function main() {
  setLanguage(Deno.args); // --lang, or the system's: before anything can be printed
  const options = parseFlags();
  const { host, port } = options;
  // Steps 3 and 4 in one call: Deno.connect creates the socket and connects it to the server. The
  // signal gives up on a server that never answers, instead of waiting for the system's timeout.
  const python = `s = socket.socket(); s.connect(("${host}", ${port}))`;
  const deno = `Deno.connect({ hostname: "${host}", port: ${port} }) ${text.fusesBoth}`;
  explain?.("steps 3-4", python, deno, text.connecting);
  let conn: Deno.Conn;
  try {
    conn = await Deno.connect({ hostname: host, port, signal: AbortSignal.timeout(CONNECT_MS) });
  } catch (error) {
    failToConnect(error, options);
  }
  // Step 5: send() and recv() run side by side, so replies appear while we still send or type.
  const input: Input = { unsent: 0, ended: false, serverClosed: false };
  const lines = new ServerLines(options.name === undefined ? options.messages : []);
  const silence = watchSilence(options, input, lines); // --timeout, once all is sent
  const sending = sendAll(conn, options, input).then(silence.restart);
  await receiveAll(conn, lines, silence.restart);
  input.serverClosed = true; // from now on, input is counted, not sent
  silence.stop();
  // Step 6, close(): the server has closed its side of the connection, so we close ours.
  conn.close();
  explain?.("step 6", "s.close()", "conn.close()");
  await readRestOfInput(sending, options); // to tell how much was never sent
  exitWithVerdict(options, input, lines); // 0 only if all went out and came back, none refused
}

// The lesson's send(): each message as one line, or standard input as it comes, as bytes. Then
// closeWrite(), the lesson's shutdown(SHUT_WR): the server reads "end of stream" and knows we are
// done, while we can still receive what it has left to send.
async function sendAll(conn: Deno.Conn, options: Options, input: Input) {
  const send = (data: string | Uint8Array) => writeAll(conn, data, input, options);
  if (options.name !== undefined) await send(`/name ${options.name}\n`);
  for (const message of options.messages) await send(`${message}\n`);
  if (options.messages.length === 0) {
    for await (const bytes of readInput(options.typing)) await send(bytes);
  }
  input.ended = true;
  if (input.unsent > 0 || input.serverClosed) return; // the server has gone: no shutdown to do
  explain?.("step 5", "s.shutdown(socket.SHUT_WR)", "conn.closeWrite()", text.serverReadsEnd);
  try {
    await conn.closeWrite();
  } catch { /* the server closed meanwhile: it will not read any more anyway */ }
}

// The lesson's recv(): print what arrives, as it arrives, until the server closes (read() gives
// null) or resets the connection. Every read counts the server's lines and restarts the silence.
async function receiveAll(conn: Deno.Conn, lines: ServerLines, restartSilence: () => void) {
  const buffer = new Uint8Array(64 * 1024);
  const screen = new Screen(); // on a terminal, control characters made visible
  while (true) {
    let count: number | null = null;
    try {
      count = await conn.read(buffer);
    } catch (error) {
      if (!(error instanceof Deno.errors.ConnectionReset)) fail(text.connectionFailed(error));
      lines.reset = true;
    }
    const result = count === null ? text.endOfStream : text.bytes(count);
    explain?.("step 5", `s.recv(${buffer.length})`, "conn.read(buffer)", result);
    if (count === null) break;
    restartSilence();
    const bytes = buffer.subarray(0, count);
    lines.take(bytes);
    await writeOut(screen.show(bytes));
  }
  await writeOut(screen.end()); // a character cut at the very end
}

// ---------------------------------------------------------------------------------------------
// The mechanism: sending, input, the server's lines, the exit code, failures, flags, the language.

// The lesson's sendall(): conn.write() may take only part of the bytes (like Python's send()), so
// we write until all are taken. A write that takes nothing for --timeout ms means the server does
// not read what we send: we give up instead of waiting forever.
async function writeAll(
  conn: Deno.Conn,
  data: string | Uint8Array,
  input: Input,
  options: Options,
) {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  let written = 0;
  if (!input.serverClosed) {
    const write = `conn.write() ${text.untilAllSent}`;
    explain?.("step 5", "s.sendall(data)", write, text.bytes(bytes.length));
  }
  try {
    while (written < bytes.length && !input.serverClosed) {
      const tell = text.notReading(options.server, options.timeout);
      const stuck = setTimeout(() => fail(tell), options.timeout);
      written += await conn.write(bytes.subarray(written)).finally(() => clearTimeout(stuck));
    }
  } catch { /* the server closed or reset the connection: the rest is not sent */ }
  input.unsent += bytes.length - written;
}

// What happened to our input: bytes read (or given) but not sent, whether it has ended, and
// whether the server has closed (from then on, what is read is only counted).
type Input = { unsent: number; ended: boolean; serverClosed: boolean };

// Standard input as it comes: a line when typed, a chunk when piped. A line typed at a terminal
// ends in "\n" on every system, but a Windows console gives each line whole with a "\r" before
// its "\n" that the person did not type: that "\r" goes. Piped input goes as it is.
async function* readInput(typing: boolean) {
  const buffer = new Uint8Array(16 * 1024);
  let warned = false; // that typed text came in another encoding than UTF-8
  while (true) {
    let count: number | null;
    try {
      count = await Deno.stdin.read(buffer);
    } catch (error) {
      fail(text.cannotReadInput((error as Error).message)); // a folder, say
    }
    if (count === null) return;
    const bytes = buffer.subarray(0, count);
    if (!typing) {
      yield bytes;
      continue;
    }
    const line = bytes.filter((byte, at) => byte !== RETURN || bytes[at + 1] !== NEWLINE);
    if (!warned) warned = warnIfNotUtf8(line);
    yield line;
  }
}

// A terminal passes typed text on in its own encoding: a Windows console in its code page (850
// in Spanish, so "é" is one byte, 0x82), or, set to UTF-8 with chcp 65001, Windows 10's console
// as a 0 byte for each accented letter. The line still goes as it came; we say so once.
function warnIfNotUtf8(line: Uint8Array): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(line);
  } catch {
    console.error(`client.ts: ${text.notUtf8}`);
    return true;
  }
  if (!line.includes(0)) return false;
  console.error(`client.ts: ${text.zeroBytes}`);
  return true;
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

  // ": 1 of 2 lines not echoed", or "" when all came back.
  notEchoed(): string {
    const greeting = Math.min(1, this.newlines);
    const refused = this.refusal() === "" ? 0 : 1;
    const echoed = Math.max(0, this.newlines - greeting - refused);
    const missing = this.sent.length - echoed;
    return missing <= 0 ? "" : text.notEchoed(missing, this.sent.length);
  }
}

// --timeout once all is sent: give up on a server that sends nothing for that long. While we
// still send or type there is no limit; restart() is called by every read and by the end of input.
function watchSilence(options: Options, input: Input, lines: ServerLines) {
  let silence: ReturnType<typeof setTimeout> | undefined;
  const restart = () => {
    if (!input.ended || input.serverClosed) return; // while we still send or type: no limit
    clearTimeout(silence);
    const tell = `${text.sentNothing(options.server, options.timeout)}${lines.notEchoed()}`;
    silence = setTimeout(() => fail(tell), options.timeout);
  };
  return { restart, stop: () => clearTimeout(silence) };
}

// Input still coming from a pipe or a file: read the rest (for at most --timeout ms), to tell
// how much was never sent. A person at a terminal may simply not have typed any more.
async function readRestOfInput(sending: Promise<void>, options: Options) {
  if (options.typing) return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeUp = new Promise((resolve) => timer = setTimeout(resolve, options.timeout));
  await Promise.race([sending, timeUp]);
  clearTimeout(timer);
}

// Exit 0 only if all that was given went out (and came back), and the server refused nothing.
function exitWithVerdict({ server, typing }: Options, input: Input, lines: ServerLines): never {
  const closed = lines.reset ? text.resetBy(server) : text.closedBy(server);
  const after = lines.refusal() === "" ? "" : text.after(quote(lines.refusal()));
  if (lines.notEchoed() !== "") fail(`${closed}${after}${lines.notEchoed()}`);
  if (input.unsent > 0 || (!input.ended && !typing)) {
    const early = input.ended ? "" : text.beforeInputEnded;
    fail(`${closed}${after}${early}${text.notSent(input.unsent)}`);
  }
  if (after !== "" || lines.reset) fail(`${closed}${after}`);
  if (!input.ended) console.error(`client.ts: ${closed}`); // the person had not pressed Ctrl-D
  Deno.exit(0); // also stops reading standard input, if a read is still waiting
}

// One line for each failure a connect meets, naming the server as it was given. The error's kind
// first (Deno.errors), then, where Deno has none, the number the system gives it.
function failToConnect(error: unknown, { server, host }: Options): never {
  if (error instanceof Deno.errors.ConnectionRefused) fail(text.refused(server));
  if (error instanceof Deno.errors.NotCapable) fail(text.noPermission(server));
  const why = networkError(error);
  if (why === "no route") fail(text.noRoute(server));
  if (why === "unreachable") fail(text.unreachable(server));
  if (why === "timed out") fail(text.noAnswer(server, CONNECT_MS / 1000));
  if (why === "unknown name") fail(text.unknownName(host, server));
  fail(text.cannotConnect(server, (error as Error).message));
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

const CONNECT_MS = 5000; // how long Deno.connect may wait for a server that does not answer
const NEWLINE = 10; // "\n"
const RETURN = 13; // "\r"
const encoder = new TextEncoder();
type Options = ReturnType<typeof parseFlags>;

function parseFlags() {
  const string = { type: "string" } as const;
  const boolean = { type: "boolean", default: false } as const;
  const flags = { host: string, port: string, name: string, timeout: string, lang: string };
  let parsed;
  try {
    const switches = { explain: boolean, timestamps: boolean, help: boolean };
    parsed = parseArgs({ allowPositionals: true, options: { ...flags, ...switches } });
  } catch (error) {
    usageError(flagProblem(error as Error));
  }
  const options = parsed.values;
  if (options.lang !== undefined && !isLanguage(options.lang)) usageError(text.badLang);
  if (options.help) {
    console.log(text.usage);
    Deno.exit(0);
  }
  const host = parseHost(options.host ?? "127.0.0.1");
  const port = parseWholeNumber(options.port ?? "21042", "--port", 1, 65535);
  const timeout = parseWholeNumber(options.timeout ?? "5000", "--timeout", 1, 3_600_000);
  // The trace goes to stderr, so that stdout holds only what the server sent. --timestamps starts
  // each trace line with the time, so that tools/demo.ts can merge the two ends' traces.
  if (options.explain) explain = traceTo(options.timestamps);
  const server = showAddress({ transport: "tcp", hostname: host, port });
  const messages = parsed.positionals;
  const typing = messages.length === 0 && Deno.stdin.isTerminal(); // a person types the input
  return { host, port, server, name: options.name, messages, timeout, typing };
}

// Node's text for a bad flag, in our words. An error it has other words for is shown as it is,
// up to the end of its first sentence (the rest goes on about positionals).
function flagProblem(error: Error): string {
  const node = error.message.replace(/\. To specify a positional argument.*$/s, "");
  const option = node.match(/^(?:Unknown option|Option) '(-[^' ]*)/)?.[1];
  if (option === undefined) return node;
  if (node.startsWith("Unknown option")) return text.unknownOption(option);
  if (node.endsWith("argument missing")) return text.missingValue(option);
  if (node.endsWith("does not take an argument")) return text.takesNoValue(option);
  if (node.includes("argument is ambiguous")) return text.dashValue(option);
  return node;
}

// --host: an address or a host name. "localhost" may mean ::1 first (macOS, some Linux), where a
// server on 0.0.0.0 does not listen: we take it as 127.0.0.1. An IPv6 address may come as [::1].
function parseHost(given: string): string {
  if (given === "localhost") return "127.0.0.1";
  const host = given.startsWith("[") && given.endsWith("]") ? given.slice(1, -1) : given;
  if (host === "" || /[\s[\]/]/.test(host)) usageError(text.badHost(quote(given)));
  try {
    // The URL parser writes an address as the system reads it: 127.1 is 127.0.0.1, 0:0::1 is ::1.
    const url = new URL(host.includes(":") ? `http://[${host}]` : `http://${host}`);
    return url.hostname.replace(/^\[(.*)\]$/, "$1");
  } catch {
    if (host.includes(":")) usageError(text.badHost(quote(given)));
    return host; // not an address: a name, for the system to look up
  }
}

function parseWholeNumber(given: string, flag: string, min: number, max: number): number {
  if (!/^\d+$/.test(given) || +given < min || +given > max) {
    usageError(text.notWholeNumber(flag, min, max));
  }
  return Number(given);
}

function showAddress({ hostname, port }: Deno.NetAddr): string {
  return hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`;
}

// The --explain trace, on stderr: "[step N] python: CALL  deno: CALL -> what happened".
let explain: ((step: string, python: string, deno: string, result?: string) => void) | undefined;
function traceTo(timestamps: boolean) {
  const time = () => `@${(performance.timeOrigin + performance.now()).toFixed(3)} `;
  return (step: string, python: string, deno: string, result?: string) => {
    console.error(`${timestamps ? time() : ""}${traceLine(step, python, deno, result)}`);
  };
}

// The calls and the step tag never change with the language. A Spanish line that would pass 100
// columns goes on below, cut only before "deno:" or "->", never inside a call; the English keeps
// its one line, as tests and tools have always read it.
function traceLine(step: string, python: string, deno: string, result?: string): string {
  const pieces = [`[${step}] python: ${python}`, `  deno: ${deno}`];
  if (result !== undefined) pieces.push(` -> ${result}`);
  if (language === "en") return pieces.join("");
  const lines = [pieces[0]];
  for (const piece of pieces.slice(1)) {
    const joined = lines.at(-1) + piece;
    if (joined.length <= 100) lines[lines.length - 1] = joined;
    else lines.push(" ".repeat(step.length + 3) + piece.trimStart());
  }
  return lines.join("\n");
}

// All of the bytes to stdout (write() may take only part). When nobody reads any more (as after
// "| head -1"), we stop quietly with exit 0, as cat does.
async function writeOut(bytes: Uint8Array) {
  try {
    let written = 0;
    while (written < bytes.length) written += await Deno.stdout.write(bytes.subarray(written));
  } catch (error) {
    if (error instanceof Deno.errors.BrokenPipe) Deno.exit(0);
    fail(text.cannotWriteOutput((error as Error).message));
  }
}

// What the server sent, for stdout: its bytes as they are, or on a terminal, decoded with control
// characters made visible. A character may come in two reads: the decoder keeps its first half.
class Screen {
  decoder = Deno.stdout.isTerminal() ? new TextDecoder() : undefined;
  show(bytes: Uint8Array): Uint8Array {
    if (this.decoder === undefined) return bytes;
    return encoder.encode(visible(this.decoder.decode(bytes, { stream: true })));
  }
  end(): Uint8Array {
    return encoder.encode(this.decoder === undefined ? "" : visible(this.decoder.decode()));
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
  console.error(`client.ts: ${message}\n${text.usage}`);
  Deno.exit(2);
}

function fail(message: string): never {
  console.error(`client.ts: ${message}`);
  Deno.exit(1);
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
export const MESSAGES = {
  usage: {
    en: `usage: deno run --allow-net client.ts [--host H] [--port P] [--name N] [--timeout MS]
                                      [--explain] [--timestamps] [--lang L] [--help] [message ...]
  --host H       server to connect to: an address or a host name (default 127.0.0.1)
  --port P       server's port (default 21042)
  --name N       in a chat room (chat_server.ts), the name the others see
  --timeout MS   exit 1 if the server takes none of our bytes for MS milliseconds, or, once all
                 is sent, sends nothing for MS milliseconds (default 5000); when the server closes
                 first, piped input is read for up to MS ms more, to count what was not sent
  --explain      print each of the lesson's steps on stderr as it happens
  --timestamps   with --explain, start each trace line with @ and the time (for tools/demo.ts)
  --lang L       the language of the messages: es or en (default: the system's)
  message        lines to send, each to come back; with none, send standard input as it comes`,
    es: `uso: deno run --allow-net client.ts [--host H] [--port P] [--name N] [--timeout MS]
                                    [--explain] [--timestamps] [--lang L] [--help] [mensaje ...]
  --host H       el servidor: una dirección o un nombre de máquina (si no, 127.0.0.1)
  --port P       el puerto del servidor (si no, 21042)
  --name N       en una sala de chat (chat_server.ts), el nombre que ven los demás
  --timeout MS   termina con 1 si el servidor no toma nada de lo que mandamos en MS milisegundos,
                 o si, ya mandado todo, no manda nada en MS milisegundos (si no, 5000); si el
                 servidor cierra antes, la entrada de un pipe se lee hasta MS ms más, para contar
                 lo que no se mandó
  --explain      muestra en stderr cada paso de la lección, mientras pasa
  --timestamps   con --explain, cada línea de la traza empieza con @ y la hora (para tools/demo.ts)
  --lang L       el idioma de los mensajes: es o en (si no, el del sistema)
  mensaje        líneas a mandar, y cada una vuelve; sin ninguna, manda la entrada estándar`,
  },
  badLang: { en: "--lang must be es or en", es: "--lang tiene que ser es o en" },
  unknownOption: {
    en: (option: string) => `Unknown option '${option}'`,
    es: (option: string) => `no existe la opción '${option}'`,
  },
  missingValue: {
    en: (option: string) => `Option '${option} <value>' argument missing`,
    es: (option: string) => `a '${option}' le falta su valor`,
  },
  takesNoValue: {
    en: (option: string) => `Option '${option}' does not take an argument`,
    es: (option: string) => `'${option}' no lleva valor`,
  },
  dashValue: {
    en: (option: string) =>
      `Option '${option}' argument is ambiguous.\nDid you forget to specify the option argument ` +
      `for '${option}'?\nTo specify an option argument starting with a dash use '${option}=-XYZ'.`,
    es: (option: string) =>
      `¿te olvidaste el valor de '${option}'? Si empieza con "-", escribilo pegado: ${option}=-XYZ`,
  },
  badHost: {
    en: (given: string) =>
      `--host must be an address or a host name, with no port (see --port): ${given}`,
    es: (given: string) =>
      `--host tiene que ser una dirección o un nombre de máquina, sin puerto (mirá --port): ` +
      given,
  },
  notWholeNumber: {
    en: (flag: string, min: number, max: number) =>
      `${flag} must be a whole number from ${min} to ${max}`,
    es: (flag: string, min: number, max: number) =>
      `${flag} tiene que ser un número entero de ${min} a ${max}`,
  },
  refused: {
    en: (server: string) =>
      `connection refused by ${server}: is server.ts running, and on that port?`,
    es: (server: string) =>
      `${server} rechazó la conexión: ¿está andando server.ts, y en ese puerto?`,
  },
  noPermission: {
    en: (server: string) => `no permission to connect to ${server}: run with --allow-net=${server}`,
    es: (server: string) =>
      `no hay permiso para conectarse a ${server}: corré client.ts con --allow-net=${server}`,
  },
  noRoute: {
    en: (server: string) =>
      `no route to ${server}: is the address right, and is that computer on the same network ` +
      "and switched on?",
    es: (server: string) =>
      `no hay ruta hasta ${server}: ¿está bien la dirección, y esa computadora está en la ` +
      "misma red y prendida?",
  },
  unreachable: {
    en: (server: string) =>
      `network unreachable for ${server}: is this computer connected to a network?`,
    es: (server: string) =>
      `no se llega a la red de ${server}: ¿esta computadora está conectada a una red?`,
  },
  noAnswer: {
    en: (server: string, seconds: number) =>
      `no answer from ${server} within ${seconds} s: is the address right, and is that ` +
      "computer on the same network and switched on?",
    es: (server: string, seconds: number) =>
      `${server} no contestó en ${seconds} s: ¿está bien la dirección, y esa computadora ` +
      "está en la misma red y prendida?",
  },
  unknownName: {
    en: (host: string, server: string) =>
      `unknown host name "${host}" (for ${server}): is it spelled right?`,
    es: (host: string, server: string) =>
      `no se conoce ninguna máquina llamada "${host}" (para ${server}): ¿está bien escrito?`,
  },
  cannotConnect: {
    en: (server: string, why: string) => `cannot connect to ${server}: ${why}`,
    es: (server: string, why: string) => `no se pudo conectar a ${server}: ${why}`,
  },
  connectionFailed: {
    en: (error: unknown) => `connection failed: ${error}`,
    es: (error: unknown) => `falló la conexión: ${error}`,
  },
  notReading: {
    en: (server: string, ms: number) =>
      `${server} took none of our bytes for ${ms} ms: it is not reading`,
    es: (server: string, ms: number) =>
      `${server} no tomó nada de lo que mandamos en ${ms} ms: no está leyendo`,
  },
  sentNothing: {
    en: (server: string, ms: number) => `${server} sent nothing for ${ms} ms`,
    es: (server: string, ms: number) => `${server} no mandó nada en ${ms} ms`,
  },
  notEchoed: {
    en: (missing: number, sent: number) =>
      `: ${missing} of ${sent} line${sent === 1 ? "" : "s"} not echoed`,
    es: (missing: number, sent: number) =>
      `: ${missing} de ${sent} ${sent === 1 ? "línea" : "líneas"} sin eco`,
  },
  closedBy: {
    en: (server: string) => `${server} closed the connection`,
    es: (server: string) => `${server} cerró la conexión`,
  },
  resetBy: {
    en: (server: string) => `connection reset by ${server}`,
    es: (server: string) => `${server} cortó la conexión de golpe (reset)`,
  },
  after: {
    en: (refusal: string) => ` after ${refusal}`,
    es: (refusal: string) => ` después de ${refusal}`,
  },
  beforeInputEnded: { en: " before the input ended", es: " antes de que terminara la entrada" },
  notSent: {
    en: (bytes: number) => `: ${bytes} bytes of input not sent`,
    es: (bytes: number) => `: ${bytes} bytes de la entrada quedaron sin mandar`,
  },
  cannotReadInput: {
    en: (why: string) => `cannot read standard input: ${why}`,
    es: (why: string) => `no se puede leer la entrada estándar: ${why}`,
  },
  cannotWriteOutput: {
    en: (why: string) => `cannot write to standard output: ${why}`,
    es: (why: string) => `no se puede escribir en la salida estándar: ${why}`,
  },
  notUtf8: {
    en: "the terminal did not pass on UTF-8: accents will not come back as typed: on Windows, " +
      "run chcp 65001 first",
    es: "la terminal no pasó el texto en UTF-8: los acentos no van a volver como los escribiste: " +
      "en Windows, corré antes chcp 65001",
  },
  zeroBytes: {
    en: "the terminal passed a letter on as a 0 byte: accents will not come back as typed: " +
      'give them as arguments instead (client.ts "qué tal")',
    es: "la terminal pasó una letra como un byte 0: los acentos no van a volver como los " +
      'escribiste: mejor pasalos como argumentos (client.ts "qué tal")',
  },
  // The trace's words; the calls around them are in the code, the same in both languages.
  fusesBoth: { en: "fuses both", es: "hace las dos" },
  connecting: { en: "connecting", es: "conectando" },
  untilAllSent: { en: "until all is sent", es: "hasta mandar todo" },
  bytes: { en: (count: number) => `${count} bytes`, es: (count: number) => `${count} bytes` },
  serverReadsEnd: { en: "the server reads end of stream", es: "el servidor lee el fin" },
  endOfStream: { en: "null: end of stream", es: "null: fin de los datos" },
};

if (import.meta.main) await main();
