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
// stderr and ignored. Comments give the lesson's step numbers (1-6). It speaks Spanish where the
// system does, English elsewhere (--lang es|en chooses).
//
// Map: above the divider, the lesson: main(), exchange() (send, wait, send again) and replyTo()
// (only the server's reply counts). Below it, the mechanism: the bounded receive, addresses,
// input, output, failures, flags, the language, and last the MESSAGES table (es and en).

// Step 1, "import socket": Deno's sockets are built in; we import a flag parser, and the system's
// name lookup to learn the addresses of a server given by name.
import { parseArgs } from "node:util";
import { lookup } from "node:dns/promises";

async function main() {
  setLanguage(Deno.args); // --lang, or the system's: before anything can be printed
  const options = parseFlags(); // with --unstable-net checked: Deno 2 needs it for UDP
  // Step 3, socket(): Deno creates and binds a datagram socket in one call, so we bind to port 0
  // (any free one), as Python does by itself at the first sendto(). It must be of the server's
  // family (IPv6 for an address with ":"), and for this machine, on its loopback address.
  const { local, family } = options;
  let socket: Deno.DatagramConn;
  try {
    socket = Deno.listenDatagram({ transport: "udp", hostname: local, port: 0 });
  } catch (error) {
    cannotBind(error, options);
  }
  const deno = `Deno.listenDatagram({ transport: "udp", hostname: "${local}", port: 0 })`;
  explain?.("step 3", `socket(${family}, SOCK_DGRAM)`, deno, text.bound);
  // Step 4: UDP has no connection, and Deno no connected datagram socket: every datagram names the
  // server, and we check the sender of every datagram that arrives (as a DNS resolver does).
  const senders = await serverAddresses(options);
  explain?.("step 4", text.noConnect, text.noConnect, text.eachSendNames(options.server));
  // Step 5: the messages given, or else standard input line by line as it comes.
  const talk: Talk = { socket, options, senders, pending: undefined, stale: 0, refused: 0 };
  const messages = options.messages.length > 0 ? options.messages : readLines();
  for await (const message of messages) await exchange(talk, message);
  // Step 6, close(): the socket is closed and we exit, which also ends a receive() still waiting.
  socket.close();
  explain?.("step 6", "close()", "socket.close()", text.done);
  Deno.exit(0);
}

// The lesson's send and receive: sendto() the message, then recvfrom() until the server's reply
// comes; after --timeout ms of silence, send it again. After the last try, give up: exit 1,
// about timeout × tries after the first.
async function exchange(talk: Talk, message: Uint8Array) {
  const { socket, options } = talk;
  const started = performance.now();
  talk.refused = 0;
  for (let tried = 1; tried <= options.tries; tried++) {
    const sent = text.tryOf(tried, options.tries);
    explain?.("step 5", "sendto(data, addr)", "socket.send(data, addr)", sent);
    try {
      await socket.send(message, { transport: "udp", hostname: options.host, port: options.port });
    } catch (error) {
      failToSend(error, options);
    }
    const reply = await replyTo(talk, message, performance.now() + options.timeout);
    if (reply !== undefined) {
      const ms = (performance.now() - started).toFixed(1);
      await writeOut(onScreen(reply));
      return await writeOut(encoder.encode(text.replyIn(ms, showTries(tried))));
    }
    const race = `Promise.race() ${text.withATimer}`;
    explain?.("step 5", `recvfrom() ${text.timedOut}`, race, text.noReplyIn(options.timeout));
  }
  fail(text.noReply(options.server, showTries(options.tries), talk.refused > 0));
}

// recvfrom() until the reply comes, or the deadline: only the same bytes from the server's address
// and port count. Anyone else's datagram, or a stale reply to an earlier try, is told and ignored.
async function replyTo(talk: Talk, message: Uint8Array, deadline: number) {
  const { options } = talk;
  while (true) {
    const received = await receiveBefore(talk, deadline); // undefined once time is up
    if (received === undefined) return undefined;
    const [reply, from] = received;
    const fromServer = from.port === options.port && talk.senders.includes(from.hostname);
    if (!fromServer) ignoreStranger(reply, from, options);
    else if (!sameBytes(reply, message)) ignoreStale(reply, talk);
    else {
      explain?.("step 5", "recvfrom(65507)", "socket.receive()", text.got(reply.length));
      return reply;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The mechanism: receiving with a deadline, addresses, input, output, failures, flags, language.

// What exchange() works with: the socket, the flags, who may reply, and what lasts from one wait
// to the next: the receive() still pending, how many stale replies were seen, and how many tries
// of this message the system answered with a "nothing listens there" (Windows only).
type Talk = {
  socket: Deno.DatagramConn;
  options: Options;
  senders: string[];
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
        failToSend(error, talk.options);
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
    explain?.("step 5", `recvfrom() ${text.failed}`, "socket.receive()", text.nobodyThere);
  }
}

// A datagram from someone other than the server: said on stderr (and in the trace), ignored.
function ignoreStranger(reply: Uint8Array, from: Deno.NetAddr, options: Options) {
  const sender = showAddress(from);
  const got = text.gotFromStranger(reply.length, sender, options.server);
  explain?.("step 5", "recvfrom(65507)", "socket.receive()", got);
  warn(text.strangerIgnored(sender, quote(decoder.decode(reply.subarray(0, 40)))));
}

// The server's bytes, but not this message's: a reply to an earlier try that came late.
function ignoreStale(reply: Uint8Array, talk: Talk) {
  talk.stale += 1;
  explain?.("step 5", "recvfrom(65507)", "socket.receive()", text.gotStale(reply.length));
  warn(text.staleIgnored(talk.stale, quote(decoder.decode(reply.subarray(0, 40)))));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, at) => byte === b[at]);
}

// The addresses the server's replies may come from: its own (a name may have several). A server
// on 0.0.0.0 or :: (as it prints itself) answers a datagram sent there from loopback.
async function serverAddresses(options: Options): Promise<string[]> {
  let addresses = [options.host];
  if (options.named) {
    try {
      const found = await lookup(options.host, { all: true });
      addresses = found.map((address) => address.address);
    } catch (error) {
      failToSend(error, options);
    }
  }
  if (addresses.includes("0.0.0.0") || addresses.includes("::")) {
    addresses.push("127.0.0.1", "::1");
  }
  return addresses;
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
      fail(text.cannotReadInput((error as Error).message)); // a folder, say
    }
    if (count === null) break;
    const chunk = buffer.subarray(0, count);
    let start = 0;
    while (true) {
      const newline = chunk.indexOf(NEWLINE, start);
      const piece = chunk.subarray(start, newline === -1 ? count : newline);
      if (length + piece.length > line.length) tooLong(text.aLine, text.moreThan(line.length));
      line.set(piece, length);
      length += piece.length;
      if (newline === -1) break;
      yield lineBytes(line, length, text.aLine);
      length = 0;
      start = newline + 1;
    }
  }
  if (length > 0) yield lineBytes(line, length, text.theLastLine);
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

const MAX_DATAGRAM = 65507; // 65,535, less 8 for the UDP header and 20 for the IPv4 header
const NEWLINE = 10; // "\n"
const RETURN = 13; // "\r"
const encoder = new TextEncoder();
const decoder = new TextDecoder();
type Options = ReturnType<typeof parseFlags>;

function parseFlags() {
  const string = { type: "string" } as const;
  const boolean = { type: "boolean", default: false } as const;
  const flags = { host: string, port: string, timeout: string, retries: string, lang: string };
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
  const timeout = parseWholeNumber(options.timeout ?? "1000", "--timeout", 1, 600_000);
  const tries = 1 + parseWholeNumber(options.retries ?? "3", "--retries", 0, 100);
  // The trace goes to stderr, as in client.ts, so that stdout holds only the replies.
  // --timestamps starts each trace line with the time, so that tools/demo.ts can merge both ends.
  if (options.explain) explain = traceTo(options.timestamps === true);
  const server = showAddress({ transport: "udp", hostname: host, port });
  const named = !/^[\d.]+$/.test(host) && !host.includes(":"); // not an IPv4 or IPv6 address
  // All the messages are checked before any is sent.
  const messages = parsed.positionals.map((message, index) =>
    datagramOrExit(encoder.encode(message), text.message(index + 1))
  );
  // Datagram sockets need --unstable-net in Deno 2 (docs/versions.md): say so in one line.
  if (typeof Deno.listenDatagram !== "function") fail(text.needsUnstableNet);
  return { host, port, server, named, timeout, tries, messages, ...localEnd(host, server, named) };
}

// Where our socket is bound: the server's family (IPv6 for an address with ":"), and for this
// machine, its loopback address; and the --allow-net that covers both ends (a name: any port).
function localEnd(host: string, server: string, named: boolean) {
  let local = host.includes(":") ? "::" : "0.0.0.0";
  if (host === "127.0.0.1" || host === "::1") local = host;
  const family = local.includes(":") ? "AF_INET6" : "AF_INET";
  const bound = showAddress({ transport: "udp", hostname: local, port: 0 });
  return { local, family, bound, allow: `--allow-net=${bound},${named ? host : server}` };
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

function datagramOrExit(bytes: Uint8Array, which: string): Uint8Array {
  if (bytes.length > MAX_DATAGRAM) tooLong(which, `${bytes.length}`);
  return bytes;
}

function tooLong(which: string, size: string): never {
  console.error(`udp_client.ts: ${text.tooLong(which, size)}`);
  Deno.exit(2);
}

function showAddress({ hostname, port }: Deno.NetAddr): string {
  return hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`;
}

function showTries(count: number): string {
  return count === 1 ? text.oneTry : text.tries(count);
}

// The socket could not be bound: no permission for that address, or another trouble.
function cannotBind(error: unknown, { bound, allow }: Options): never {
  if (error instanceof Deno.errors.NotCapable) fail(text.noPermissionToBind(bound, allow));
  fail(text.cannotBind(bound, `${error}`));
}

// One line for each failure a send meets, naming the server as it was given. The error's kind
// first (Deno.errors), then, where Deno has none, the number the system gives it.
function failToSend(error: unknown, { server, host, allow }: Options): never {
  if (error instanceof Deno.errors.NotCapable || String(error).includes("EPERM")) {
    fail(text.noPermissionToSend(server, allow));
  }
  const why = networkError(error);
  if (why === "no route") fail(text.noRoute(server));
  if (why === "unreachable") fail(text.unreachable(server));
  if (why === "unknown name") fail(text.unknownName(host, server));
  fail(text.cannotTalk(server, (error as Error).message));
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
  console.error(`udp_client.ts: ${message}\n${text.usage}`);
  Deno.exit(2);
}

function warn(message: string) {
  console.error(`udp_client.ts: ${message}`);
}

function fail(message: string): never {
  console.error(`udp_client.ts: ${message}`);
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
    en: "usage: deno run --unstable-net --allow-net udp_client.ts [--host H] [--port P] " +
      `[--timeout MS]
         [--retries N] [--explain] [--timestamps] [--lang L] [--help] [message ...]
  --host H       server to send to (default 127.0.0.1): an address (for IPv6, such as ::1) or a
                 host name, which needs --allow-net for that name, to learn its addresses
  --port P       server's port (default 21042)
  --timeout MS   how long to wait for each reply, in milliseconds (default 1000)
  --retries N    how many times to send again when no reply comes (default 3)
  --explain      print each of the lesson's steps on stderr as it happens
  --timestamps   with --explain, start each trace line with @ and the time (for tools/demo.ts)
  --lang L       the language of the messages: es or en (default: the system's)
  message        datagrams to send; with none, send standard input line by line, as bytes
Only the server's replies go to stdout; other datagrams are reported on stderr.`,
    es: "uso: deno run --unstable-net --allow-net udp_client.ts [--host H] [--port P] " +
      `[--timeout MS]
         [--retries N] [--explain] [--timestamps] [--lang L] [--help] [mensaje ...]
  --host H       el servidor (si no, 127.0.0.1): una dirección (para IPv6, como ::1) o un nombre
                 de máquina, que necesita --allow-net para ese nombre, para saber sus direcciones
  --port P       el puerto del servidor (si no, 21042)
  --timeout MS   cuánto esperar cada respuesta, en milisegundos (si no, 1000)
  --retries N    cuántas veces volver a mandar si no llega respuesta (si no, 3)
  --explain      muestra en stderr cada paso de la lección, mientras pasa
  --timestamps   con --explain, cada línea de la traza empieza con @ y la hora (para tools/demo.ts)
  --lang L       el idioma de los mensajes: es o en (si no, el del sistema)
  mensaje        datagramas a mandar; sin ninguno, manda la entrada estándar línea por línea
Solo las respuestas del servidor van a stdout; los demás datagramas se avisan en stderr.`,
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
  message: { en: (n: number) => `message ${n}`, es: (n: number) => `el mensaje ${n}` },
  aLine: { en: "a line", es: "una línea" },
  theLastLine: { en: "the last line", es: "la última línea" },
  moreThan: { en: (n: number) => `more than ${n}`, es: (n: number) => `más de ${n}` },
  tooLong: {
    en: (which: string, size: string) =>
      `${which} is ${size} bytes: a UDP datagram holds at most 65,507`,
    es: (which: string, size: string) =>
      `${which} tiene ${size} bytes: en un datagrama UDP entran 65.507 como mucho`,
  },
  needsUnstableNet: {
    en: "UDP needs --unstable-net: run deno run --unstable-net --allow-net udp_client.ts",
    es: "UDP necesita --unstable-net: corré deno run --unstable-net --allow-net udp_client.ts",
  },
  noPermissionToBind: {
    en: (bound: string, allow: string) => `no permission to use ${bound}: run with ${allow}`,
    es: (bound: string, allow: string) =>
      `no hay permiso para usar ${bound}: corré udp_client.ts con ${allow}`,
  },
  cannotBind: {
    en: (bound: string, why: string) => `cannot open a UDP socket on ${bound}: ${why}`,
    es: (bound: string, why: string) => `no se pudo abrir un socket UDP en ${bound}: ${why}`,
  },
  noPermissionToSend: {
    en: (server: string, allow: string) => `no permission to send to ${server}: run with ${allow}`,
    es: (server: string, allow: string) =>
      `no hay permiso para mandar a ${server}: corré udp_client.ts con ${allow}`,
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
  unknownName: {
    en: (host: string, server: string) =>
      `unknown host name "${host}" (for ${server}): is it spelled right?`,
    es: (host: string, server: string) =>
      `no se conoce ninguna máquina llamada "${host}" (para ${server}): ¿está bien escrito?`,
  },
  cannotTalk: {
    en: (server: string, why: string) => `cannot talk to ${server}: ${why}`,
    es: (server: string, why: string) => `no se pudo hablar con ${server}: ${why}`,
  },
  noReply: {
    en: (server: string, tried: string, refused: boolean) =>
      `no reply from ${server} after ${tried}: ` +
      (refused
        ? "its system answered that nothing listens on that port (ConnectionReset): is " +
          "udp_server.ts running, and on that port?"
        : "is udp_server.ts running? UDP itself never tells you"),
    es: (server: string, tried: string, refused: boolean) =>
      `sin respuesta de ${server} tras ${tried}: ` +
      (refused
        ? "su sistema contestó que en ese puerto no escucha nadie (ConnectionReset): ¿está " +
          "andando udp_server.ts, y en ese puerto?"
        : "¿está andando udp_server.ts? UDP nunca te avisa"),
  },
  oneTry: { en: "1 try", es: "1 intento" },
  tries: { en: (n: number) => `${n} tries`, es: (n: number) => `${n} intentos` },
  replyIn: {
    en: (ms: string, tried: string) => `  (reply in ${ms} ms, ${tried})\n`,
    es: (ms: string, tried: string) => `  (respuesta en ${ms} ms, ${tried})\n`,
  },
  strangerIgnored: {
    en: (sender: string, shown: string) => `stranger's datagram from ${sender} ignored: ${shown}`,
    es: (sender: string, shown: string) =>
      `datagrama de un desconocido (${sender}) ignorado: ${shown}`,
  },
  staleIgnored: {
    en: (count: number, shown: string) => `stale reply ${count} ignored: ${shown}`,
    es: (count: number, shown: string) => `respuesta atrasada ${count} ignorada: ${shown}`,
  },
  cannotReadInput: {
    en: (why: string) => `cannot read standard input: ${why}`,
    es: (why: string) => `no se puede leer la entrada estándar: ${why}`,
  },
  cannotWriteOutput: {
    en: (why: string) => `cannot write to standard output: ${why}`,
    es: (why: string) => `no se puede escribir en la salida estándar: ${why}`,
  },
  // The trace's words; the calls around them are in the code, the same in both languages.
  bound: { en: "bound", es: "asociado" },
  noConnect: { en: "(no connect)", es: "(sin connect)" },
  eachSendNames: {
    en: (server: string) => `UDP has no connection: each sendto() names ${server}`,
    es: (server: string) => `UDP no tiene conexión: cada sendto() nombra a ${server}`,
  },
  tryOf: {
    en: (tried: number, tries: number) => `try ${tried} of ${tries}`,
    es: (tried: number, tries: number) => `intento ${tried} de ${tries}`,
  },
  got: {
    en: (bytes: number) => `got ${bytes} bytes`,
    es: (bytes: number) => `llegan ${bytes} bytes`,
  },
  gotFromStranger: {
    en: (bytes: number, sender: string, server: string) =>
      `got ${bytes} bytes from ${sender}, not ${server}: a stranger's, ignored`,
    es: (bytes: number, sender: string, server: string) =>
      `llegan ${bytes} bytes de ${sender}, no de ${server}: de un desconocido, ignorados`,
  },
  gotStale: {
    en: (bytes: number) =>
      `got ${bytes} bytes, other bytes than this message: a stale reply, ignored`,
    es: (bytes: number) =>
      `llegan ${bytes} bytes, distintos de este mensaje: una respuesta atrasada, ignorada`,
  },
  timedOut: { en: "timed out", es: "da TimeoutError" },
  withATimer: { en: "with a timer", es: "con un reloj" },
  noReplyIn: {
    en: (ms: number) => `no reply in ${ms} ms`,
    es: (ms: number) => `sin respuesta en ${ms} ms`,
  },
  failed: { en: "failed", es: "falló" },
  nobodyThere: {
    en: "ConnectionReset: its system says nothing listens there; waiting on",
    es: "ConnectionReset: su sistema dice que ahí no escucha nadie; seguimos esperando",
  },
  done: { en: "done", es: "listo" },
};

if (import.meta.main) await main();
