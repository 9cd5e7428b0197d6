// The whole lesson in one terminal: `deno task demo` (add --mermaid for a sequence diagram).
//
// Starts server.ts on a free port with --explain, runs client.ts against it, then does the same for
// the UDP pair with some datagrams dropped on purpose. Both ends run with --timestamps, so each
// trace line says when it was printed; once a pair has finished, its lines are shown in the order
// they happened (each process's pipe is read on its own, so the order of arrival is not the order
// of events). Lines are wrapped to fit 100 columns. Everything it starts is stopped before it
// exits: each server with Ctrl-C (SIGINT), which it handles and ends with exit 0; on Windows,
// where a parent cannot send a child Ctrl-C (Deno's kill("SIGINT") ends it at once, without its
// handler), the demo ends the server itself and says so (docs/windows.md).
//
// With --mermaid, the transcript goes to stderr and stdout gets the run as a Mermaid sequence
// diagram: one arrow or note per step that happened, with byte counts, lost datagrams and retries.
//
// It speaks Spanish on a Spanish machine and English elsewhere (--lang es|en forces one), and the
// scripts it starts speak the same: they get it in LC_ALL (docs/language.md). Its messages are in
// one table at the end; what it reads of the scripts' lines is what never changes with the
// language (the ready line, step tags, calls, numbers).

import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { listeningPort } from "../tests/helpers/process.ts";
import {
  argsProblem,
  badArgsTexts,
  chooseLanguage,
  type Lang,
  languageEnv,
  pickTexts,
  type Texts,
} from "./language.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const WINDOWS = Deno.build.os === "windows";
const WIDTH = 100;
const STAMP = /^@(\d+\.\d+) /;

interface Line {
  who: "server" | "client";
  at: number; // ms since the epoch, from --timestamps (or the line before it in the same process)
  order: number; // position in its own process's output, to keep ties in order
  text: string;
}

/**
 * Run a command with its stdout and stderr in one pipe, which keeps the order of the process's own
 * writes (a client prints what arrived on stdout right after its trace line on stderr), collecting
 * its lines with their times. The shell joins the two: `sh` (exec, so the child is the script
 * itself), or on Windows `cmd`, which stays as the script's parent; there only a client, which
 * ends by itself, goes through it, and a server (its trace is on stdout) keeps its own two pipes.
 */
function start(who: Line["who"], args: string[], lines: Line[], onLine?: (said: string) => void) {
  const merged = !WINDOWS || who === "client";
  const quote = (arg: string) => /[\s"]/.test(arg) ? `"${arg}"` : arg;
  // cmd /s /c "LINE": the line as given, its outer quotes taken off.
  const [command, shellArgs] = !merged
    ? [Deno.execPath(), args]
    : WINDOWS
    ? ["cmd", ["/d", "/s", "/c", `"${[Deno.execPath(), ...args].map(quote).join(" ")} 2>&1"`]]
    : ["sh", ["-c", 'exec "$0" "$@" 2>&1', Deno.execPath(), ...args]];
  const child = new Deno.Command(command, {
    args: shellArgs,
    windowsRawArguments: WINDOWS && merged,
    cwd: ROOT,
    env: { NO_COLOR: "1", ...languageEnv(lang) },
    stdin: "null",
    stdout: "piped",
    stderr: merged ? "null" : "piped",
  }).spawn();
  let order = 0, last = 0;
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    let pending = "";
    const take = (raw: string) => {
      // A line the script wrapped itself (the Spanish trace keeps to 100 columns): the rest of the
      // line before it, joined back, so that it is wrapped and read like an unwrapped one.
      const previous = lines.findLast((line) => line.who === who);
      if (/^\s+\S/.test(raw) && previous && !STAMP.test(raw)) {
        const rest = raw.trim();
        previous.text += `${rest.startsWith("deno: ") ? "  " : " "}${rest}`;
        return;
      }
      const stamp = raw.match(STAMP);
      if (stamp) last = Number(stamp[1]);
      const said = stamp ? raw.slice(stamp[0].length) : raw;
      lines.push({ who, at: last, order: order++, text: said });
      onLine?.(said);
    };
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      pending += chunk;
      for (let end; (end = pending.indexOf("\n")) !== -1; pending = pending.slice(end + 1)) {
        take(pending.slice(0, end));
      }
    }
    if (pending) take(pending);
  };
  const output = Promise.all([collect(child.stdout), merged ? undefined : collect(child.stderr)]);
  return { child, done: output.then(() => child.status) };
}

/** Start a server and wait (15 s at most) for its "listening on" line; undefined if it fails. */
async function startServer(args: string[], lines: Line[]) {
  let port = "";
  let exited = false;
  const server = start("server", args, lines, (said) => {
    port ||= `${listeningPort(said) ?? ""}`;
  });
  server.done.then(() => exited = true);
  for (let waited = 0; port === "" && !exited && waited < 15_000; waited += 20) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  if (port !== "") return { ...server, port };
  if (!exited) server.child.kill();
  await server.done;
}

/** Run one pair: the server, then the client against it, then Ctrl-C to the server. */
async function pair(title: string, serverArgs: string[], clientArgs: (port: string) => string[]) {
  show(`\n=== ${title} ===\n`);
  const lines: Line[] = [];
  show(wrap("server", `$ deno ${quoted(serverArgs)}`));
  const server = await startServer(serverArgs, lines);
  if (server === undefined) {
    lines.forEach((line) => show(wrap(line.who, line.text)));
    show(text.notStarted);
    return { ok: false, lines };
  }
  show(wrap("client", `$ deno ${quoted(clientArgs(server.port))}`));
  const client = start("client", clientArgs(server.port), lines);
  const timer = setTimeout(() => client.child.kill(), 30_000); // the demo never hangs
  const clientStatus = await client.done;
  clearTimeout(timer);
  // Ctrl-C to the server; on Windows it can only be ended (it was still running: that is its
  // normal state, and what matters).
  const running = await Promise.race([server.done.then(() => false), tick().then(() => true)]);
  server.child.kill(WINDOWS ? "SIGTERM" : "SIGINT");
  const serverStatus = await server.done;
  // In the order they happened; a line with no time of its own keeps its place after the one
  // before it in the same process.
  lines.sort((a, b) => a.at - b.at || (a.who === b.who ? a.order - b.order : 0));
  for (const line of lines) show(wrap(line.who, line.text));
  if (WINDOWS) {
    show(running ? text.endedByDemo(clientStatus.code) : text.hadStopped(clientStatus.code));
    return { ok: clientStatus.code === 0 && running, lines };
  }
  show(text.exited(clientStatus.code, serverStatus.code));
  return { ok: clientStatus.code === 0 && serverStatus.code === 0, lines };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

const quoted = (args: string[]) =>
  args.map((arg) => arg.includes(" ") ? `"${arg}"` : arg).join(" ");

/** "who | line", cut before "  deno:" and then at spaces so that no line passes WIDTH columns. */
function wrap(who: Line["who"], line: string): string {
  const first = `${text[who]} | `, next = `${text[who]} |     `;
  const pieces = line.split(/ {2}(?=deno: )/);
  const out: string[] = [];
  for (const [n, piece] of pieces.entries()) {
    let rest = piece, prefix = n === 0 ? first : next;
    while (prefix.length + rest.length > WIDTH) {
      const room = WIDTH - prefix.length;
      let cut = rest.lastIndexOf(" ", room);
      if (cut <= 0) cut = room;
      out.push(prefix + rest.slice(0, cut).trimEnd());
      rest = rest.slice(cut).trimStart();
      prefix = next;
    }
    out.push(prefix + rest);
  }
  return out.join("\n");
}

// ---------------------------------------------------------------------------------------------
// The Mermaid sequence diagram of what happened, built from the trace lines. It reads only what is
// the same in every language: the step tags, the Python and Deno calls, and the numbers after "->".

/** The first number after "->" in a trace line ("-> 47 bytes", "-> try 2 of 6"), if any. */
const firstNumber = (line: string) => line.match(/-> \D*?(\d+)/)?.[1];

/** One arrow or note per step that happened, in the order it happened. */
function diagram(tcp: Line[], udp: Line[]): string {
  const out = ["sequenceDiagram"];
  out.push("  participant C as client.ts", "  participant S as server.ts");
  out.push(`  Note over C,S: ${text.tcpNote}`);
  for (const line of tcp) {
    const step = line.text.match(/^\[(steps? [\d-]+|recv)(?: #\d+)?\] .*?(?:-> (.*))?$/);
    if (!step) continue;
    const [, name, result = ""] = step;
    const bytes = result.match(/^(\d+)\b/)?.[1]; // "-> 14", "-> 47 bytes"; not "-> null: ..."
    if (line.who === "server") {
      if (name === "steps 4-6") out.push(`  Note over S: socket(), bind(), listen() [${name}]`);
      else if (name === "step 7") out.push(`  Note over S: accept() -> ${result} [step 7]`);
      else if (name === "step 8") out.push(`  S->>C: sendall(), ${text.bytes(bytes)} [step 8]`);
      else if (name === "recv" && bytes) out.push(`  Note over S: recv() -> ${text.bytes(bytes)}`);
      else if (name === "recv") out.push(`  Note over S: recv() -> ${text.endOfStream}`);
      else if (name === "step 9") out.push(`  S->>C: close(): ${text.endOfStream} [step 9]`);
    } else {
      if (name === "steps 3-4") out.push("  C->>S: socket(), connect() [steps 3-4]");
      else if (/shutdown/.test(line.text)) {
        out.push(`  C->>S: shutdown(SHUT_WR): ${text.endOfStream} [step 5]`);
      } else if (/sendall/.test(line.text)) {
        out.push(`  C->>S: sendall(), ${text.bytes(bytes)} [step 5]`);
      } else if (/recv/.test(line.text) && bytes) {
        out.push(`  Note over C: recv() -> ${text.bytes(bytes)} [step 5]`);
      } else if (name === "step 6") out.push("  Note over C: close() [step 6]");
    }
  }
  out.push("  participant U as udp_client.ts", "  participant V as udp_server.ts");
  out.push(`  Note over U,V: ${text.udpNote}`);
  // The server's step 8 either sends the datagram back (socket.send) or drops it (--drop).
  const echoes = (line: Line) => /deno: socket\.send\(data, addr\)/.test(line.text);
  for (const [at, line] of udp.entries()) {
    const isStep = (n: number) => line.text.startsWith(`[step ${n}]`);
    if (line.who === "client" && isStep(5) && /sendto\(data, addr\)/.test(line.text)) {
      const tried = firstNumber(line.text) ?? "?";
      // Lost if the server's next step 8 is a drop.
      const next = udp.slice(at + 1).find((l) =>
        l.who === "server" && l.text.startsWith("[step 8]")
      );
      const lost = next !== undefined && !echoes(next);
      out.push(`  U-${lost ? "x" : ">>"}V: sendto(), ${text.tryNumber(tried, lost)} [step 5]`);
    } else if (line.who === "client" && isStep(5) && /Promise\.race\(\)/.test(line.text)) {
      out.push(`  Note over U: ${text.noReplyInTime} [step 5]`);
    } else if (line.who === "server" && isStep(8) && echoes(line)) {
      out.push(`  V->>U: sendto(), ${text.bytesBack(firstNumber(line.text) ?? "?")} [step 8]`);
    } else if (line.who === "server" && isStep(8)) {
      out.push(`  Note over V: ${text.droppedOnPurpose}`);
    }
  }
  return out.join("\n");
}

// ---------------------------------------------------------------------------------------------
// Plumbing: the language, flags, and where the transcript goes.

let lang: Lang = "en";
let text: Texts<typeof MESSAGES>;
let show: (line: string) => void = console.log;

/** The language, then the flags; --help and bad usage end here (exit 0 and 2). */
function parseFlags(): { mermaid: boolean } {
  const chosen = chooseLanguage(Deno.args);
  if ("error" in chosen) {
    console.error(`demo: ${chosen.error}\n${MESSAGES.usage.en}`);
    Deno.exit(2);
  }
  lang = chosen.lang;
  text = pickTexts(MESSAGES, lang);
  let values;
  try {
    values = parseArgs({
      options: {
        mermaid: { type: "boolean", default: false },
        lang: { type: "string" },
        help: { type: "boolean", default: false },
      },
    }).values;
  } catch (error) {
    const { kind, what } = argsProblem(error);
    console.error(`demo: ${text.badArgs(kind, what)}\n${text.usage}`);
    Deno.exit(2);
  }
  if (values.help) {
    console.log(`${text.usage}\n${text.help}`);
    Deno.exit(0);
  }
  return { mermaid: values.mermaid };
}

async function main() {
  const { mermaid } = parseFlags();
  // With --mermaid, stdout holds only the diagram, and the transcript goes to stderr.
  show = mermaid ? console.error : console.log;
  const tcp = await pair(
    text.tcpTitle,
    ["run", "--allow-net", "server.ts", "--host", "127.0.0.1", "--port", "0", "--explain"]
      .concat("--timestamps"),
    (port) => [
      ...["run", "--allow-net", "client.ts", "--port", port, "--explain", "--timestamps"],
      ...["hola", "qué tal"],
    ],
  );
  const udp = await pair(
    text.udpTitle,
    [
      ...["run", "--allow-net", "udp_server.ts", "--host", "127.0.0.1", "--port", "0"],
      ...["--drop", "0.4", "--seed", "7", "--explain", "--timestamps"],
    ],
    (port) => [
      ...["run", "--allow-net", "udp_client.ts", "--port", port, "--timeout", "300"],
      ...["--retries", "5", "--explain", "--timestamps", "uno", "dos", "tres"],
    ],
  );
  show(`\n${text.finished}`);
  if (mermaid) console.log(diagram(tcp.lines, udp.lines));
  Deno.exit(tcp.ok && udp.ok ? 0 : 1);
}

// Every line for a person, English and Spanish side by side (--lang, or the system's language).
// The Spanish of the diagram is the deck's (tools/diapositivas/sequence.ts); its step tags stay.
const MESSAGES = {
  usage: {
    en: "usage: deno task demo [--mermaid] [--lang es|en]",
    es: "uso: deno task demo [--mermaid] [--lang es|en]",
  },
  help: {
    en: "  --mermaid     print the run as a Mermaid sequence diagram (the rest goes to stderr)\n" +
      "  --lang es|en  the language of what it prints (default: the system's)\n" +
      "  --help        this help",
    es:
      "  --mermaid     muestra la corrida como diagrama de secuencia Mermaid (lo demás, a stderr)\n" +
      "  --lang es|en  el idioma de lo que muestra (si no lo das, el del sistema)\n" +
      "  --help        esta ayuda",
  },
  badArgs: badArgsTexts({ en: "the demo takes none", es: "la demo no lleva argumentos" }),
  tcpTitle: {
    en: "TCP: server.ts and client.ts, each step of the lesson traced with --explain",
    es: "TCP: server.ts y client.ts, cada paso de la lección a la vista con --explain",
  },
  udpTitle: { // "=== " and " ===" around it: at most 92 characters
    en:
      "UDP: udp_server.ts drops 40% of datagrams on purpose; udp_client.ts waits, then sends again",
    es: "UDP: udp_server.ts tira a propósito el 40% de los datagramas; " +
      "udp_client.ts espera y reenvía",
  },
  server: { en: "server", es: "servidor" },
  client: { en: "client", es: "cliente" },
  notStarted: { en: "(the server did not start)", es: "(el servidor no arrancó)" },
  exited: {
    en: (client: number, server: number) => `(client exited with ${client}, server with ${server})`,
    es: (client: number, server: number) =>
      `(el cliente terminó con código ${client}, el servidor con ${server})`,
  },
  endedByDemo: {
    en: (client: number) =>
      `(client exited with ${client}, server ended by the demo ` +
      "(Windows has no Ctrl-C for a child))",
    es: (client: number) =>
      `(el cliente terminó con código ${client}; al servidor lo terminó la demo: en Windows ` +
      "no hay Ctrl-C para un proceso hijo)",
  },
  hadStopped: {
    en: (client: number) => `(client exited with ${client}, server had stopped)`,
    es: (client: number) =>
      `(el cliente terminó con código ${client}; el servidor ya había parado)`,
  },
  finished: {
    en: "demo finished: nothing is left running",
    es: "demo terminada: no queda nada corriendo",
  },
  // The diagram.
  tcpNote: {
    en: "TCP: a connection, then a flow of bytes",
    es: "TCP: una conexión, y después un flujo de bytes",
  },
  udpNote: {
    en: "UDP: no connection, each datagram on its own",
    es: "UDP: sin conexión, cada datagrama suelto",
  },
  bytes: { en: (n?: string) => `${n} bytes`, es: (n?: string) => `${n} bytes` },
  bytesBack: { en: (n: string) => `${n} bytes back`, es: (n: string) => `${n} bytes de vuelta` },
  endOfStream: { en: "end of stream", es: "fin del flujo" },
  tryNumber: {
    en: (n: string, lost: boolean) => `try ${n}${lost ? ": lost" : ""}`,
    es: (n: string, lost: boolean) => `intento ${n}${lost ? ": perdido" : ""}`,
  },
  noReplyInTime: {
    en: "no reply in time: send again",
    es: "sin respuesta a tiempo: de nuevo",
  },
  droppedOnPurpose: {
    en: "dropped on purpose (--drop)",
    es: "descartado a propósito (--drop)",
  },
};

if (import.meta.main) await main();
