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
// prints each step as it happens. It speaks Spanish where the system does (--lang es|en chooses).
//
// Map: above the divider, the lesson: main() (flags, Deno.listenDatagram), receiveLoop(),
// sendBack() and stop() (close). Below it, the mechanism: --drop, the echo loop guard, the print
// queues, signals, flags, error lines, the language, and last the MESSAGES table (es and en).

// Step 1, "import socket": Deno's sockets are built in; we import only a flag parser.
import { parseArgs } from "node:util";

async function main() {
  setLanguage(Deno.args); // --lang, or the system's: before anything can be printed
  const options = parseFlags(); // every flag checked, below the divider
  // Step 3: the port, from --port (default 21042); the lesson picks one above 1024.
  const { host, port } = options;
  // Steps 4 and 5 in one call: Deno.listenDatagram creates a datagram socket (SOCK_DGRAM) and
  // binds it to host and port. Always give the hostname: its default is not the same everywhere.
  let socket: Deno.DatagramConn;
  try {
    socket = Deno.listenDatagram({ transport: "udp", hostname: host, port });
  } catch (error) {
    cannotListen(error as Error, host, port); // one clear line, and exit 1
  }
  catchSignals(() => stop(socket)); // from now on Ctrl-C stops us cleanly, even right after this
  const address = showAddress(socket.addr as Deno.NetAddr);
  console.log(`listening on ${address}`); // the same in every language: programs read it
  const python = `socket(${host.includes(":") ? "AF_INET6" : "AF_INET"}, SOCK_DGRAM) + ` +
    `bind(("${host}", ${port}))`;
  const deno = `Deno.listenDatagram({ transport: "udp", hostname: "${host}", port: ${port} })`;
  explain?.("steps 4-5", python, deno, text.boundTo(address));
  await receiveLoop(socket, options);
}

// Step 7, in place of accept(): recvfrom() gives the bytes and who sent them, all we know of a
// "client". Nothing one sender does (empty, the largest or random bytes, vanishing) stops us
// serving the others. One buffer serves every datagram (receive() would allocate 64 KiB each):
// safe, as we send each reply before receiving again. The largest payload is 65,527 bytes on
// IPv6 (65,535 less the 8-byte UDP header), 65,507 on IPv4 (less its 20-byte IP header too).
async function receiveLoop(socket: Deno.DatagramConn, options: Options) {
  const buffer = new Uint8Array(options.host.includes(":") ? 65535 : 65507);
  const isLoop = loopGuard((socket.addr as Deno.NetAddr).port, options.maxRate);
  const dropNow = dropper(options.drop, options.seed); // --drop: lose this one on purpose?
  const recvfrom = `data, addr = recvfrom(${buffer.length})`;
  while (!stopping) {
    const got = await socket.receive(buffer).catch(cannotReceive); // undefined if it failed
    if (got === undefined) continue;
    const [data, from] = got as [Uint8Array, Deno.NetAddr]; // at most buffer.length bytes
    if (isLoop(from, data)) continue; // never answer another echo server (the guard, below)
    explain?.("step 7", recvfrom, "socket.receive()", text.gotFrom(data.length, showAddress(from)));
    if (dropNow()) dropOnPurpose(data, from, options.dropText); // and nobody is told
    else await sendBack(socket, data, from);
  }
}

// Step 8, sendto(): the same bytes, back to where they came from.
async function sendBack(socket: Deno.DatagramConn, data: Uint8Array, to: Deno.NetAddr) {
  const sendto = "socket.send(data, addr)"; // said as the call is made
  explain?.("step 8", "sendto(data, addr)", sendto, text.bytesBack(data.length));
  try {
    await socket.send(data, to);
    log?.(text.echoed(data.length, showAddress(to), preview(data)));
  } catch (error) {
    // Deno checks permission for each address we send to: --allow-net=0.0.0.0:21042 cannot reply.
    const why = (error as Error).message;
    if (!stopping) printError(`udp_server.ts: ${text.cannotReply(showAddress(to), why)}`);
  }
}

// Step 9, close(): Ctrl-C or SIGTERM closes the one socket that served every client (UDP has no
// connection to close for each). The output gets at most 1 s to be written, then we exit 0.
async function stop(socket: Deno.DatagramConn) {
  socket.close();
  explain?.("step 9", "close()", "socket.close()", text.closedTheOne);
  await printedWithin(1000); // stuck output must not keep us running
  Deno.exit(0);
}

// ---------------------------------------------------------------------------------------------
// The mechanism: --drop, the echo loop guard, output, signals, flags, errors, the language.

// --drop P: a datagram dropped on purpose is logged and traced, and never answered.
function dropOnPurpose(data: Uint8Array, from: Deno.NetAddr, dropText: string) {
  log?.(text.dropped(data.length, showAddress(from), preview(data), dropText));
  explain?.("step 8", text.noSendto, text.noSend, text.droppedOnPurpose(showAddress(from)));
}

// Whether to drop the next datagram: each with probability `drop`, repeatably with a --seed.
function dropper(drop: number, seed: number | undefined): () => boolean {
  if (drop === 0) return () => false;
  const random = randomFrom(seed);
  return () => random() < drop;
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

// A short printable view of a datagram: its first 40 bytes as text, where anything but letters,
// digits, punctuation, symbols and spaces (control characters, bytes not UTF-8) shows as ".".
function preview(data: Uint8Array): string {
  const shown = decoder.decode(data.subarray(0, 40)).replace(UNPRINTABLE, ".");
  return `"${shown}"${data.length > 40 ? "..." : ""}`;
}
const decoder = new TextDecoder();
const UNPRINTABLE = /[^\p{L}\p{N}\p{P}\p{S} ]|\uFFFD/gu;

// On Windows, a reply sent to a client that has gone (its port closed) makes the next receive()
// fail with ConnectionReset (WSAECONNRESET, os error 10054): it is about that one client, and
// every student whose client closes before its reply causes one. So we go on at once and say
// nothing: a pause or a line for each would let a few departures stall the server for everyone
// (tests/udp_server_faults_test.ts makes the error with --preload, as Linux never reports it).
// Any other failure is our own trouble: said, then we wait a little, so as not to spin on it.
async function cannotReceive(error: Error): Promise<undefined> {
  if (stopping || error instanceof Deno.errors.ConnectionReset) return;
  printError(`udp_server.ts: ${text.receiveFailed(error.message)}`);
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
interface Sender {
  tokens: number; // the bucket
  at: number; // when it was last filled (performance.now())
  ignoredAt: number; // when a datagram of it was last ignored
  replies: number[]; // fingerprints of the last REPLIES replies to it
  bounces: number; // its datagrams in a row that were copies of our replies
  mutedUntil: number; // until when its copies of our replies are ignored
}

const newSender = (now: number, maxRate: number): Sender => ({
  tokens: 2 * maxRate,
  at: now,
  ignoredAt: -Infinity,
  replies: [],
  bounces: 0,
  mutedUntil: 0,
});

// The guard of one socket, on `ownPort`: isLoop(from, data) is true for a datagram to ignore.
function loopGuard(ownPort: number, maxRate: number) {
  const senders = new Map<string, Sender>();
  return function isLoop(from: Deno.NetAddr, data: Uint8Array): boolean {
    const serverPort = from.port < 1024 || from.port === ownPort;
    if (!serverPort && maxRate === 0) return false;
    const key = showAddress(from);
    const now = performance.now();
    if (senders.size >= 10_000) senders.clear(); // bounded: a forged sender costs one entry
    const sender = senders.get(key) ?? newSender(now, maxRate);
    senders.set(key, sender);
    sender.tokens = Math.min(2 * maxRate, sender.tokens + (now - sender.at) * maxRate / 1000);
    sender.at = now;
    let why = serverPort ? text.serverPort : text.overRate(maxRate);
    if (!serverPort && sender.tokens >= 1) {
      sender.tokens--;
      if (!bouncing(sender, data, now)) return false;
      why = text.ownReplies(BOUNCES);
    }
    if (now - sender.ignoredAt >= 5000) log?.(text.ignored(key, why));
    sender.ignoredAt = now;
    return true;
  };
}

// True if this datagram is a copy of one of our last replies to that sender that we ignore: while
// its copies are muted, or as the copy past BOUNCES in a row (which mutes them for MUTE_MS).
function bouncing(sender: Sender, data: Uint8Array, now: number): boolean {
  const mark = fingerprint(data);
  const copy = sender.replies.includes(mark);
  if (copy && now < sender.mutedUntil) return true;
  sender.bounces = copy ? sender.bounces + 1 : 0;
  if (sender.bounces <= BOUNCES) {
    sender.replies.push(mark); // we answer it: one more reply to look for
    if (sender.replies.length > REPLIES) sender.replies.shift();
    return false;
  }
  sender.bounces = 0;
  sender.mutedUntil = now + MUTE_MS;
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

// log?.(...) writes the event log, explain?.(...) the trace: each is undefined when its flag is
// off, and then ?. skips the call without even building its text.
let log: ((line: string) => void) | undefined;
let explain: ((step: string, python: string, deno: string, result: string) => void) | undefined;
let stamp = () => ""; // --timestamps: "@1767340800123.456 "
function setOutput(quiet: boolean, trace: boolean, timestamps: boolean) {
  const now = () => (performance.timeOrigin + performance.now()).toFixed(3);
  if (timestamps) stamp = () => `@${now()} `;
  if (!quiet) log = (line) => print(stamp() + line);
  if (trace) explain = (...parts) => print(stamp() + traceLine(...parts));
}

// One line of the trace: "[TAG] python: CALL  deno: CALL -> what happened". The tag and the
// calls never change with the language. A Spanish line that would pass 100 columns goes on below,
// cut only before "deno:" or "->", never inside a call; the English keeps its one line, as tests
// and tools have always read it.
function traceLine(step: string, python: string, deno: string, result: string): string {
  const pieces = [`[${step}] python: ${python}`, `  deno: ${deno}`, ` -> ${result}`];
  if (language === "en") return pieces.join("");
  const lines = [pieces[0]];
  for (const piece of pieces.slice(1)) {
    const joined = lines[lines.length - 1] + piece;
    if (joined.length <= 100) lines[lines.length - 1] = joined;
    else lines.push(" ".repeat(step.length + 3) + piece.trimStart());
  }
  return lines.join("\n");
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
      if (output.dropped > 0) output.queue.push(stamp() + text.linesNotPrinted(output.dropped));
      output.dropped = 0;
    }
  } catch {
    // nobody reads this output any more (closed pipe): serving matters more
  } finally {
    output.printing = undefined; // at once, not a tick later: a line meanwhile would wait forever
  }
}

// Both outputs written, or `ms` gone by, whichever comes first.
function printedWithin(ms: number) {
  const printed = Promise.all([stdout.printing, stderr.printing]);
  return Promise.race([printed, new Promise((resolve) => setTimeout(resolve, ms))]);
}

// Ctrl-C (SIGINT) and SIGTERM call stop() once; a second Ctrl-C while stopping does nothing.
let stopping = false;
function catchSignals(stop: () => Promise<void>) {
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const once = () => {
    if (stopping) return;
    stopping = true;
    stop();
  };
  for (const signal of signals) Deno.addSignalListener(signal, once);
}

// Each flag, and whether it takes a value ("string") or is on or off ("boolean").
const TEXTS = ["host", "port", "drop", "seed", "max-rate", "lang"];
const SWITCHES = ["quiet", "explain", "timestamps", "help"];
type Options = ReturnType<typeof parseFlags>;
function parseFlags() {
  const options: Record<string, { type: "string" | "boolean" }> = {};
  for (const flag of TEXTS) options[flag] = { type: "string" };
  for (const flag of SWITCHES) options[flag] = { type: "boolean" };
  let flags;
  try {
    flags = parseArgs({ options }).values;
  } catch (error) {
    usageError(flagProblem(error as Error));
  }
  if (flags.lang !== undefined && !isLanguage(`${flags.lang}`)) usageError(text.badLang);
  if (flags.help) {
    console.log(text.usage);
    Deno.exit(0);
  }
  setOutput(!!flags.quiet, !!flags.explain, !!flags.timestamps);
  const whole = (flag: string, fallback: number, min: number, max: number) =>
    parseWholeNumber(`${flags[flag] ?? fallback}`, `--${flag}`, min, max);
  // The lesson's "" (every interface) is 0.0.0.0 here; an IPv6 address may come as [::1] or ::1.
  const host = `${flags.host || "0.0.0.0"}`.replace(/^\[(.*)\]$/, "$1");
  const port = whole("port", 21042, 0, 65535);
  const dropText = `${flags.drop ?? "0"}`;
  const drop = Number(dropText);
  if (!/^(\d+\.?\d*|\.\d+)$/.test(dropText) || drop > 1) usageError(text.badDrop);
  const seed = flags.seed === undefined ? undefined : whole("seed", 0, 0, 2 ** 32 - 1);
  const maxRate = whole("max-rate", 2000, 0, 1e9);
  return { host, port, drop, dropText, seed, maxRate };
}

// node:util's words for a bad flag, in the chosen language (its own text if we have no other).
function flagProblem(error: Error): string {
  const node = error.message;
  const option = node.match(/^(?:Unknown option|Option) '(-[^' ]*)/)?.[1];
  if (option === undefined) return node;
  if (node.startsWith("Unknown option")) return text.unknownOption(option);
  if (node.endsWith("argument missing")) return text.missingValue(option);
  if (node.endsWith("does not take an argument")) return text.takesNoValue(option);
  if (node.includes("argument is ambiguous")) return text.dashValue(option);
  return node;
}

function parseWholeNumber(given: string, flag: string, min: number, max: number): number {
  if (!/^\d+$/.test(given) || Number(given) < min || Number(given) > max) {
    usageError(text.notWholeNumber(flag, min, max));
  }
  return Number(given);
}

function usageError(message: string): never {
  console.error(`udp_server.ts: ${message}\n${text.usage}`);
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
  if (typeof Deno.listenDatagram !== "function") fail(text.needsUnstableNet);
  if (error instanceof Deno.errors.AddrInUse) fail(text.portInUse(port, host));
  if (error instanceof Deno.errors.NotCapable) fail(text.noPermission(`${host}:${port}`));
  if (error instanceof Deno.errors.PermissionDenied && port < 1024) fail(text.needsAdmin(port));
  fail(text.cannotListen(`${host}:${port}`, error.message));
}

// The language of every line for a person: --lang es|en, found before the flags are parsed (a
// usage error must already be in it), or else the system's: navigator.language "es-AR", or any
// "es", is Spanish; anything else, "und" included, English. A bad --lang is told in English.
type Language = "en" | "es";
let language: Language = "en";
let text: Texts<typeof MESSAGES>;
function setLanguage(args: string[]) {
  const at = args.findLastIndex((arg) => arg === "--lang" || arg.startsWith("--lang="));
  const given = at === -1 ? undefined : args[at] === "--lang" ? args[at + 1] : args[at].slice(7);
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
    en: `usage: deno run --unstable-net --allow-net udp_server.ts [--host H] [--port P] [--drop P]
           [--seed N] [--max-rate N] [--quiet] [--explain] [--timestamps] [--lang L] [--help]
  --host H        address to listen on (default 0.0.0.0: every interface, the lesson's "")
  --port P        port to listen on, 0 picks a free one (default 21042)
  --drop P        fraction of datagrams to ignore on purpose, from 0 to 1 (default 0)
  --seed N        make the drops repeatable: the same seed drops the same datagrams
  --max-rate N    datagrams a second answered per sender, in bursts of up to 2 x N (default
                  2000); the rest are ignored, and so are a sender's copies of our replies
                  after 50 in a row, so that no echo loop lasts (0: no limit, no check)
  --quiet         do not log each datagram
  --explain       print each of the lesson's steps as it happens
  --timestamps    start each line after the first with @ and the time (ms since 1970)
  --lang L        the language of the messages: es or en (default: the system's)`,
    es: `uso: deno run --unstable-net --allow-net udp_server.ts [--host H] [--port P] [--drop P]
         [--seed N] [--max-rate N] [--quiet] [--explain] [--timestamps] [--lang L] [--help]
  --host H        la dirección en la que escucha (si no, 0.0.0.0: todas las interfaces, el ""
                  de la lección)
  --port P        el puerto en el que escucha; 0 elige uno libre (si no, 21042)
  --drop P        la parte de los datagramas que ignora adrede, de 0 a 1 (si no, 0)
  --seed N        hace que las pérdidas se repitan: la misma semilla pierde los mismos datagramas
  --max-rate N    cuántos datagramas por segundo le contesta a cada uno, en ráfagas de hasta
                  2 x N (si no, 2000); ignora el resto, y también las copias de sus respuestas
                  que le vuelven más de 50 veces seguidas: así ningún bucle de eco dura
                  (0: sin límite ni control)
  --quiet         no anota cada datagrama
  --explain       muestra cada paso de la lección mientras pasa
  --timestamps    cada línea después de la primera empieza con @ y la hora (ms desde 1970)
  --lang L        el idioma de los mensajes: es o en (si no, el del sistema)`,
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
  notWholeNumber: {
    en: (flag: string, min: number, max: number) =>
      `${flag} must be a whole number from ${min} to ${max}`,
    es: (flag: string, min: number, max: number) =>
      `${flag} tiene que ser un número entero de ${min} a ${max}`,
  },
  badDrop: {
    en: "--drop must be a number from 0 to 1, like 0.5",
    es: "--drop tiene que ser un número de 0 a 1, como 0.5",
  },
  needsUnstableNet: {
    en: "UDP needs --unstable-net: run deno run --unstable-net --allow-net udp_server.ts",
    es: "UDP necesita --unstable-net: corré deno run --unstable-net --allow-net udp_server.ts",
  },
  portInUse: {
    en: (port: number, host: string) =>
      `UDP port ${port} is in use on ${host}: stop the other server, or use --port`,
    es: (port: number, host: string) =>
      `el puerto UDP ${port} ya está en uso en ${host}: pará el otro servidor, o usá --port`,
  },
  noPermission: {
    en: (address: string) =>
      `no permission to listen on ${address}: run with --allow-net ` +
      `(--allow-net=${address},127.0.0.1 only answers this machine)`,
    es: (address: string) =>
      `no hay permiso para escuchar en ${address}: corré con --allow-net ` +
      `(con --allow-net=${address},127.0.0.1 solo le contesta a esta máquina)`,
  },
  needsAdmin: {
    en: (port: number) =>
      `port ${port} needs administrator rights (ports below 1024 do): ` +
      "pick one above 1024, such as 21042",
    es: (port: number) =>
      `el puerto ${port} necesita permisos de administrador (como todos los menores que 1024): ` +
      "elegí uno mayor que 1024, como 21042",
  },
  cannotListen: {
    en: (address: string, why: string) => `cannot listen on ${address}: ${why}`,
    es: (address: string, why: string) => `no se puede escuchar en ${address}: ${why}`,
  },
  echoed: {
    en: (size: number, to: string, shown: string) => `echoed ${size} bytes to ${to}: ${shown}`,
    es: (size: number, to: string, shown: string) => `devueltos ${size} bytes a ${to}: ${shown}`,
  },
  dropped: {
    en: (size: number, from: string, shown: string, drop: string) =>
      `dropped ${size} bytes from ${from}: ${shown} (--drop ${drop})`,
    es: (size: number, from: string, shown: string, drop: string) =>
      `descartados ${size} bytes de ${from}: ${shown} (--drop ${drop})`,
  },
  cannotReply: {
    en: (to: string, why: string) => `cannot reply to ${to}: ${why}`,
    es: (to: string, why: string) => `no se puede responder a ${to}: ${why}`,
  },
  receiveFailed: {
    en: (why: string) => `receive failed (${why}); going on`,
    es: (why: string) => `falló la recepción (${why}); seguimos`,
  },
  ignored: {
    en: (from: string, why: string) => `ignored datagram from ${from}: ${why} (echo loop guard)`,
    es: (from: string, why: string) =>
      `datagrama de ${from} ignorado: ${why} (freno de bucles de eco)`,
  },
  serverPort: { en: "a server port", es: "viene de un puerto de servidor" },
  overRate: {
    en: (rate: number) => `over ${rate} a second, --max-rate`,
    es: (rate: number) => `más de ${rate} por segundo, --max-rate`,
  },
  ownReplies: {
    en: (times: number) => `its own replies came back ${times} times in a row`,
    es: (times: number) => `nuestras respuestas volvieron ${times} veces seguidas`,
  },
  linesNotPrinted: {
    en: (count: number) => `(${count} lines not printed: output was not being read)`,
    es: (count: number) => `(${count} líneas sin mostrar: nadie leía la salida)`,
  },
  // The trace's words; the calls around them are in the code, the same in both languages.
  boundTo: {
    en: (address: string) =>
      `bound to ${address}, and no listen() (step 6): UDP has no connections to wait for`,
    es: (address: string) =>
      `asociado a ${address}, sin listen() (paso 6): UDP no espera conexiones`,
  },
  gotFrom: {
    en: (size: number, from: string) => `got ${size} bytes from ${from}`,
    es: (size: number, from: string) => `llegan ${size} bytes de ${from}`,
  },
  bytesBack: {
    en: (size: number) => `${size} bytes back`,
    es: (size: number) => `${size} bytes de vuelta`,
  },
  noSendto: { en: "(no sendto)", es: "(sin sendto)" },
  noSend: { en: "(no socket.send)", es: "(sin socket.send)" },
  droppedOnPurpose: {
    en: (to: string) => `dropped on purpose: ${to} is never told`,
    es: (to: string) => `descartado adrede: ${to} nunca se entera`,
  },
  closedTheOne: {
    en: "closed the one socket that served every client",
    es: "cerrado el único socket, el que atendió a todos",
  },
};

if (import.meta.main) await main();
