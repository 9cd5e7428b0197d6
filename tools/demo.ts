// The whole lesson in one terminal: `deno task demo` (add --mermaid for a sequence diagram).
//
// Starts server.ts on a free port with --explain, runs client.ts against it, then does the same for
// the UDP pair with some datagrams dropped on purpose. Both ends run with --timestamps, so each
// trace line says when it was printed; once a pair has finished, its lines are shown in the order
// they happened (each process's pipe is read on its own, so the order of arrival is not the order
// of events). Lines are wrapped to fit 100 columns. Everything it starts is stopped before it exits:
// each server with Ctrl-C (SIGINT), which it handles and ends with exit 0; on Windows, where a
// parent cannot send a child Ctrl-C (Deno's kill("SIGINT") ends it at once, without its handler),
// the demo ends the server itself and says so (docs/windows.md).
//
// With --mermaid, the transcript goes to stderr and stdout gets the run as a Mermaid sequence
// diagram: one arrow or note per step that happened, with byte counts, lost datagrams and retries.

import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { listeningPort } from "../tests/helpers/process.ts";

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
function start(who: Line["who"], args: string[], lines: Line[], onLine?: (text: string) => void) {
  const merged = !WINDOWS || who === "client";
  const quote = (arg: string) => /[\s"]/.test(arg) ? `"${arg}"` : arg;
  const [command, shellArgs] = !merged ? [Deno.execPath(), args] : WINDOWS // cmd /s /c "LINE": the line as given, its outer quotes taken off
    ? ["cmd", ["/d", "/s", "/c", `"${[Deno.execPath(), ...args].map(quote).join(" ")} 2>&1"`]]
    : ["sh", ["-c", 'exec "$0" "$@" 2>&1', Deno.execPath(), ...args]];
  const child = new Deno.Command(command, {
    args: shellArgs,
    windowsRawArguments: WINDOWS && merged,
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: merged ? "null" : "piped",
  }).spawn();
  let order = 0, last = 0;
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    let pending = "";
    const take = (raw: string) => {
      const stamp = raw.match(STAMP);
      if (stamp) last = Number(stamp[1]);
      const text = stamp ? raw.slice(stamp[0].length) : raw;
      lines.push({ who, at: last, order: order++, text });
      onLine?.(text);
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
  const server = start("server", args, lines, (text) => {
    port ||= `${listeningPort(text) ?? ""}`;
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
    show("(the server did not start)");
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
    const ended = running ? "ended by the demo (Windows has no Ctrl-C for a child)" : "had stopped";
    show(`(client exited with ${clientStatus.code}, server ${ended})`);
    return { ok: clientStatus.code === 0 && running, lines };
  }
  show(`(client exited with ${clientStatus.code}, server with ${serverStatus.code})`);
  return { ok: clientStatus.code === 0 && serverStatus.code === 0, lines };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

const quoted = (args: string[]) =>
  args.map((arg) => arg.includes(" ") ? `"${arg}"` : arg).join(" ");

/** "who | text", cut before "  deno:" and then at spaces so that no line passes WIDTH columns. */
function wrap(who: string, text: string): string {
  const first = `${who} | `, next = `${who} |     `;
  const pieces = text.split(/ {2}(?=deno: )/);
  const out: string[] = [];
  for (const [n, piece] of pieces.entries()) {
    let rest = piece, prefix = n === 0 ? first : next;
    while (prefix.length + rest.length > WIDTH) {
      const room = WIDTH - prefix.length;
      let cut = rest.lastIndexOf(" ", room);
      if (cut <= 0) cut = room;
      out.push(prefix + rest.slice(0, cut));
      rest = rest.slice(cut).trimStart();
      prefix = next;
    }
    out.push(prefix + rest);
  }
  return out.join("\n");
}

// ---------------------------------------------------------------------------------------------
// The Mermaid sequence diagram of what happened, built from the trace lines.

/** One arrow or note per step that happened, in the order it happened. */
function diagram(tcp: Line[], udp: Line[]): string {
  const out = ["sequenceDiagram"];
  out.push("  participant C as client.ts", "  participant S as server.ts");
  out.push("  Note over C,S: TCP: a connection, then a flow of bytes");
  for (const line of tcp) {
    const step = line.text.match(/^\[(steps? [\d-]+|recv)(?: #\d+)?\] .*?(?:-> (.*))?$/);
    if (!step) continue;
    const [, name, result = ""] = step;
    const bytes = result.match(/^(\d+)( bytes)?$/)?.[1];
    if (line.who === "server") {
      if (name === "steps 4-6") out.push(`  Note over S: socket(), bind(), listen() [${name}]`);
      else if (name === "step 7") out.push(`  Note over S: accept() -> ${result} [step 7]`);
      else if (name === "step 8") out.push(`  S->>C: sendall(), ${bytes} bytes [step 8]`);
      else if (name === "recv" && bytes) out.push(`  Note over S: recv() -> ${bytes} bytes`);
      else if (name === "recv") out.push("  Note over S: recv() -> end of stream");
      else if (name === "step 9") out.push("  S->>C: close(): end of stream [step 9]");
    } else {
      if (name === "steps 3-4") out.push("  C->>S: socket(), connect() [steps 3-4]");
      else if (/shutdown/.test(line.text)) {
        out.push("  C->>S: shutdown(SHUT_WR): end of stream [step 5]");
      } else if (/sendall/.test(line.text)) out.push(`  C->>S: sendall(), ${bytes} bytes [step 5]`);
      else if (/recv/.test(line.text) && bytes) {
        out.push(`  Note over C: recv() -> ${bytes} bytes [step 5]`);
      } else if (name === "step 6") out.push("  Note over C: close() [step 6]");
    }
  }
  out.push("  participant U as udp_client.ts", "  participant V as udp_server.ts");
  out.push("  Note over U,V: UDP: no connection, each datagram on its own");
  for (const [at, line] of udp.entries()) {
    const text = line.text;
    if (line.who === "client" && /sendto\(data, addr\).*try (\d+) of/.test(text)) {
      const tried = text.match(/try (\d+) of/)![1];
      // Lost if the server's next line about a datagram says it dropped it.
      const next = udp.slice(at + 1).find((l) =>
        l.who === "server" && /^dropped |^echoed /.test(l.text)
      );
      const lost = next?.text.startsWith("dropped");
      out.push(`  U-${lost ? "x" : ">>"}V: sendto(), try ${tried}${lost ? ": lost" : ""} [step 5]`);
    } else if (line.who === "client" && /timed out/.test(text)) {
      out.push(`  Note over U: no reply in time: send again [step 5]`);
    } else if (line.who === "server" && /^echoed (\d+) bytes/.test(text)) {
      out.push(`  V->>U: sendto(), ${text.match(/^echoed (\d+)/)![1]} bytes back [step 8]`);
    } else if (line.who === "server" && /^dropped /.test(text)) {
      out.push("  Note over V: dropped on purpose (--drop)");
    }
  }
  return out.join("\n");
}

// ---------------------------------------------------------------------------------------------
// Plumbing: flags, and where the transcript goes.

let values;
try {
  values = parseArgs({ options: { mermaid: { type: "boolean" }, help: { type: "boolean" } } })
    .values;
} catch (error) {
  console.error(`demo: ${(error as Error).message}\nusage: deno task demo [--mermaid]`);
  Deno.exit(2);
}
if (values.help) {
  console.log("usage: deno task demo [--mermaid]\n  --mermaid  print the run as a Mermaid diagram");
  Deno.exit(0);
}
// With --mermaid, stdout holds only the diagram, and the transcript goes to stderr.
const show = values.mermaid ? console.error : console.log;

const tcp = await pair(
  "TCP: server.ts and client.ts, each step of the lesson traced with --explain",
  ["run", "--allow-net", "server.ts", "--host", "127.0.0.1", "--port", "0", "--explain"]
    .concat("--timestamps"),
  (port) => [
    ...["run", "--allow-net", "client.ts", "--port", port, "--explain", "--timestamps"],
    ...["hola", "qué tal"],
  ],
);
const udp = await pair(
  "UDP: udp_server.ts drops 40% of datagrams on purpose; udp_client.ts waits, then sends again",
  [
    ...["run", "--allow-net", "udp_server.ts", "--host", "127.0.0.1", "--port", "0"],
    ...["--drop", "0.4", "--seed", "7", "--explain", "--timestamps"],
  ],
  (port) => [
    ...["run", "--allow-net", "udp_client.ts", "--port", port, "--timeout", "300"],
    ...["--retries", "5", "--explain", "--timestamps", "uno", "dos", "tres"],
  ],
);
show("\ndemo finished: nothing is left running");
if (values.mermaid) console.log(diagram(tcp.lines, udp.lines));
Deno.exit(tcp.ok && udp.ok ? 0 : 1);
