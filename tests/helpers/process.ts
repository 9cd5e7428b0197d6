// Processes for the tests: spawn the kit's scripts as real processes, wait for a server's
// "listening on HOST:PORT" line, and always stop them and drain what they printed.
import { fileURLToPath } from "node:url";
import { delay } from "./io.ts";

/** The checkout's folder, ending in a separator (on Windows `C:\...\`, never `/C:/...`). */
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/**
 * A server's ready line, the first line it prints: `listening on HOST:PORT`, IPv6 as `[::1]:PORT`.
 * The one spelling of it for the tests, the stress driver, the demo and the benchmark.
 */
export const LISTENING = /^listening on (\[[^\]\s]*\]|[^\s:]*):(\d+)$/m;

/** The port in a `listening on HOST:PORT` line of this text, or undefined if there is none yet. */
export function listeningPort(text: string): number | undefined {
  const match = LISTENING.exec(text);
  return match ? Number(match[2]) : undefined;
}

/**
 * The chat room, `chat_server.ts`. Every chat test and the chat stress scenario start it through
 * this one constant.
 */
export const CHAT = { script: "chat_server.ts", args: [] as string[] };

export interface Finished {
  code: number;
  signal: Deno.Signal | null;
  stdout: string;
  stderr: string;
}

export interface RunningServer {
  child: Deno.ChildProcess;
  port: number;
  /** Everything the server has printed on stdout so far. */
  stdout(): string;
  /** Everything the server has printed on stderr so far. */
  stderr(): string;
  /** True until the process has exited. */
  running(): boolean;
  /** Send a signal (SIGTERM by default) unless it has exited, wait for it, return its output. */
  stop(signal?: Deno.Signal): Promise<Finished>;
}

/** Read a stream to its end in the background, keeping what it said. */
function drain(stream: ReadableStream<Uint8Array>) {
  let text = "";
  const done = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
    text += decoder.decode();
  })();
  return { text: () => text, done };
}

export interface StartOptions {
  /** The script to run, relative to `cwd` (or absolute); `server.ts` by default. */
  script?: string;
  denoFlags?: string[];
  /** `--host HOST` (127.0.0.1 by default); null passes neither --host nor --port. */
  host?: string | null;
  port?: number;
  cwd?: string;
  env?: Record<string, string>;
  /** Run it under `ulimit -n fileLimit` (through `sh`, which then execs deno: same pid). */
  fileLimit?: number;
  /** How long to wait for the `listening on` line (15 s by default). */
  readyMs?: number;
}

/** Start a script (`server.ts` by default) on a free loopback port and wait for its ready line. */
export async function startServer(
  args: string[] = [],
  options: StartOptions = {},
): Promise<RunningServer> {
  const host = options.host === undefined ? "127.0.0.1" : options.host;
  const address = host === null ? [] : ["--host", host, "--port", `${options.port ?? 0}`];
  const limit = options.fileLimit === undefined
    ? []
    : ["sh", "-c", `ulimit -n ${options.fileLimit} && exec "$0" "$@"`];
  const child = new Deno.Command(limit.length ? limit[0] : Deno.execPath(), {
    args: [
      ...limit.slice(1),
      ...(limit.length ? [Deno.execPath()] : []),
      "run",
      ...(options.denoFlags ?? ["--allow-net"]),
      options.script ?? "server.ts",
      ...address,
      ...args,
    ],
    cwd: options.cwd ?? ROOT,
    env: { NO_COLOR: "1", LC_ALL: "C", ...options.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const out = drain(child.stdout), err = drain(child.stderr);
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  const stop = async (signal: Deno.Signal = "SIGTERM"): Promise<Finished> => {
    if (!exited) {
      try {
        child.kill(signal);
      } catch { /* it exited meanwhile */ }
    }
    const { code, signal: bySignal } = await status;
    await Promise.all([out.done, err.done]);
    return { code, signal: bySignal, stdout: out.text(), stderr: err.text() };
  };
  const deadline = Date.now() + (options.readyMs ?? 15_000);
  while (listeningPort(out.text()) === undefined) {
    if (exited || Date.now() > deadline) {
      const finished = await stop("SIGKILL");
      throw new Error(
        `${options.script ?? "server.ts"} did not start: ${JSON.stringify(finished)}`,
      );
    }
    await delay(20);
  }
  const port = listeningPort(out.text())!;
  return { child, port, stdout: out.text, stderr: err.text, running: () => !exited, stop };
}

/** Start the chat room (see CHAT) the same way; fails loudly if its script is missing. */
export function startChat(args: string[] = [], options: StartOptions = {}) {
  try {
    Deno.statSync(`${ROOT}${CHAT.script}`);
  } catch {
    throw new Error(`the chat room's script ${CHAT.script} is missing (tests/helpers/process.ts)`);
  }
  return startServer([...CHAT.args, ...args], { ...options, script: CHAT.script });
}

/** Run `deno ARGS` to its end, with optional standard input; killed after `timeoutMs`. */
export async function run(
  args: string[],
  options: { stdin?: string | Uint8Array; timeoutMs?: number; cwd?: string } = {},
): Promise<Finished> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: options.cwd ?? ROOT,
    env: { NO_COLOR: "1", LC_ALL: "C" },
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(
      typeof options.stdin === "string" ? new TextEncoder().encode(options.stdin) : options.stdin,
    );
    await writer.close();
  }
  const { code, signal, stdout, stderr } = await child.output();
  const decoder = new TextDecoder();
  return { code, signal, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

/** Run a shell command line (for /proc, which Deno 2.9 lets a script read only with --allow-all). */
export async function shell(command: string): Promise<string> {
  const { stdout } = await new Deno.Command("sh", { args: ["-c", command], stderr: "null" })
    .output();
  return new TextDecoder().decode(stdout);
}

/**
 * A port number for a test to pass to a server, below every system's range of ports for outgoing
 * connections (Linux 32768-60999, Windows and macOS 49152-65535): a free port taken from that
 * range (port 0) was often reused at once by another process's connection on a busy machine, and
 * the server then could not listen on it. Chosen at random, and checked free by binding it.
 */
function freeNumber(bind: (port: number) => { close(): void }): number {
  for (let tries = 0; tries < 200; tries++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    try {
      bind(port).close();
      return port;
    } catch { /* taken: another */ }
  }
  throw new Error("no free port between 20000 and 32000 after 200 tries");
}

/** A TCP port that nothing listens on (see freeNumber). */
export function freePort(): number {
  return freeNumber((port) => Deno.listen({ hostname: "127.0.0.1", port }));
}

/** A UDP port that nothing uses (see freeNumber). */
export function freeUdpPort(): number {
  return freeNumber((port) =>
    Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port })
  );
}

/**
 * A server (`server.ts`, `udp_server.ts`, ...) on a free loopback port, its stdout a pipe that the
 * test reads only up to the "listening on" line (at most 15 s), never after: once the pipe is full,
 * anything in the server that waits for its output waits forever. `finish()` kills it if need be
 * and gives what it said on stderr.
 */
export async function startUnread(script: string, denoFlags: string[], args: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...denoFlags, script, "--host", "127.0.0.1", "--port", "0", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", LC_ALL: "C" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdout = child.stdout.getReader();
  const stderr = new Response(child.stderr).text();
  let exited = false;
  const status = child.status.finally(() => exited = true);
  const finish = async () => {
    if (!exited) child.kill("SIGKILL");
    await status;
    await stdout.cancel();
    return await stderr;
  };
  const decoder = new TextDecoder();
  const deadline = setTimeout(() => exited || child.kill("SIGKILL"), 15_000);
  let first = "";
  try {
    while (!first.includes("\n")) {
      const { value, done } = await stdout.read();
      if (done) break;
      first += decoder.decode(value, { stream: true });
    }
  } finally {
    clearTimeout(deadline);
  }
  const port = listeningPort(first.split("\n")[0]);
  if (port === undefined) throw new Error(`${script} did not start: ${first}${await finish()}`);
  return { child, port, status, stdout, running: () => !exited, finish };
}
