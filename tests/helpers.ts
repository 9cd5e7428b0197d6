// Shared helpers for the tests: spawn the kit's scripts as real processes, wait for a server's
// "listening on HOST:PORT" line, talk to it over loopback, and always stop and drain children.

export const ROOT = new URL("..", import.meta.url).pathname;
const LISTENING = /^listening on (\[.*\]|[^:]+):(\d+)$/m;

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

/**
 * Start a script (`server.ts` by default) on a free loopback port and wait for its ready line.
 * `fileLimit` runs it under `ulimit -n fileLimit` (through `sh`, which then execs deno: the child's
 * pid is still the deno process).
 */
export async function startServer(
  args: string[] = [],
  options: {
    script?: string;
    denoFlags?: string[];
    host?: string;
    port?: number;
    cwd?: string;
    env?: Record<string, string>;
    fileLimit?: number;
  } = {},
): Promise<RunningServer> {
  const host = options.host ?? "127.0.0.1";
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
      "--host",
      host,
      "--port",
      `${options.port ?? 0}`,
      ...args,
    ],
    cwd: options.cwd ?? ROOT,
    env: { NO_COLOR: "1", ...options.env },
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
    if (!exited) child.kill(signal);
    const { code, signal: bySignal } = await status;
    await Promise.all([out.done, err.done]);
    return { code, signal: bySignal, stdout: out.text(), stderr: err.text() };
  };
  const deadline = Date.now() + 15_000;
  while (!LISTENING.test(out.text())) {
    if (exited || Date.now() > deadline) {
      const finished = await stop("SIGKILL");
      throw new Error(`server did not start: ${JSON.stringify(finished)}`);
    }
    await delay(20);
  }
  const port = Number(LISTENING.exec(out.text())![2]);
  return { child, port, stdout: out.text, stderr: err.text, running: () => !exited, stop };
}

/** Run a script to its end, with optional standard input; killed after `timeoutMs`. */
export async function run(
  args: string[],
  options: { stdin?: string | Uint8Array; timeoutMs?: number; cwd?: string } = {},
): Promise<Finished> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: options.cwd ?? ROOT,
    env: { NO_COLOR: "1" },
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

/** A process's resident memory (VmRSS), in KiB; 0 once it has exited. */
export async function rssKiB(pid: number): Promise<number> {
  return Number((await shell(`grep VmRSS /proc/${pid}/status`)).match(/(\d+) kB/)?.[1] ?? 0);
}

/** How many file descriptors a process holds open. */
export async function openFiles(pid: number): Promise<number> {
  return Number((await shell(`ls /proc/${pid}/fd | wc -l`)).trim());
}

/**
 * Sample a process's VmRSS every `everyMs` until stop(), through one `sh` loop (cheap, and it ends
 * by itself when the process does). peak() is the largest sample so far, in KiB.
 */
export function sampleRss(pid: number, everyMs = 50) {
  const child = new Deno.Command("sh", {
    args: ["-c", `while grep VmRSS /proc/${pid}/status; do sleep ${everyMs / 1000}; done`],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  let peak = 0, last = 0, pending = "";
  const done = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stdout) {
      pending += decoder.decode(chunk, { stream: true });
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) {
        const kib = Number(line.match(/(\d+) kB/)?.[1] ?? 0);
        last = kib;
        peak = Math.max(peak, kib);
      }
    }
  })();
  let stopped = false;
  return {
    peak: () => peak,
    last: () => last,
    async stop(): Promise<number> {
      if (!stopped) {
        stopped = true;
        try {
          child.kill("SIGKILL");
        } catch { /* it has already ended with the process it watched */ }
      }
      await child.status;
      await done;
      return peak;
    },
  };
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export const encode = (text: string) => new TextEncoder().encode(text);

export async function writeAll(conn: Deno.Conn, bytes: Uint8Array) {
  let written = 0;
  while (written < bytes.length) written += await conn.write(bytes.subarray(written));
}

/** Read until `wanted` bytes have arrived or the peer closes; gives up after `timeoutMs`. */
export async function readBytes(
  conn: Deno.Conn,
  wanted: number,
  timeoutMs = 20_000,
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  const buffer = new Uint8Array(64 * 1024);
  const deadline = Date.now() + timeoutMs;
  while (total < wanted) {
    if (Date.now() > deadline) throw new Error(`timed out after ${total} of ${wanted} bytes`);
    const count = await conn.read(buffer);
    if (count === null) break;
    parts.push(buffer.slice(0, count));
    total += count;
  }
  const all = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  return all;
}

/** Read until the peer closes (bounded by `timeoutMs` and 256 MiB). */
export function readToEnd(conn: Deno.Conn, timeoutMs = 20_000): Promise<Uint8Array> {
  return readBytes(conn, 256 * 1024 * 1024, timeoutMs);
}

/** Read one "\n"-ended line, byte by byte (for greetings and short replies only). */
export async function readLine(conn: Deno.Conn): Promise<string> {
  const bytes: number[] = [];
  const one = new Uint8Array(1);
  while (true) {
    const count = await conn.read(one);
    if (count === null) break;
    bytes.push(one[0]);
    if (one[0] === 10) break;
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/** Reads "\n"-ended lines from a connection, a chunk at a time (for long or many lines). */
export class LineReader {
  #buffer = new Uint8Array(64 * 1024);
  #pending = "";
  #decoder = new TextDecoder();
  constructor(private conn: Deno.Conn) {}

  /** The next line with its "\n", or "" once the peer has closed. */
  async next(): Promise<string> {
    while (!this.#pending.includes("\n")) {
      const count = await this.conn.read(this.#buffer);
      if (count === null) {
        const rest = this.#pending;
        this.#pending = "";
        return rest;
      }
      this.#pending += this.#decoder.decode(this.#buffer.subarray(0, count), { stream: true });
    }
    const end = this.#pending.indexOf("\n") + 1;
    const line = this.#pending.slice(0, end);
    this.#pending = this.#pending.slice(end);
    return line;
  }
}

/** A UDP socket on loopback for the tests: every receive is bounded, and close() ends a pending one. */
export class UdpPeer {
  readonly socket: Deno.DatagramConn;
  #pending: Promise<[Uint8Array, Deno.Addr]> | undefined;

  constructor(hostname = "127.0.0.1") {
    this.socket = Deno.listenDatagram({ transport: "udp", hostname, port: 0 });
  }

  get port(): number {
    return (this.socket.addr as Deno.NetAddr).port;
  }

  send(bytes: Uint8Array, port: number, hostname = "127.0.0.1"): Promise<number> {
    return this.socket.send(bytes, { transport: "udp", hostname, port });
  }

  /** The next datagram and who sent it, or undefined if none comes within `timeoutMs`. */
  async receive(timeoutMs = 5_000): Promise<[Uint8Array, Deno.NetAddr] | undefined> {
    // receive() cannot be cancelled: keep it pending for the next call, so that no datagram is lost.
    this.#pending ??= this.socket.receive();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeUp = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs);
    });
    try {
      const received = await Promise.race([this.#pending, timeUp]);
      if (received) this.#pending = undefined;
      return received as [Uint8Array, Deno.NetAddr] | undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  async close() {
    this.socket.close();
    await this.#pending?.catch(() => {}); // close() makes a pending receive() fail with Interrupted
  }
}

/** A UDP port that nothing listens on: bind a free one, then let it go. */
export function freeUdpPort(): number {
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const port = (socket.addr as Deno.NetAddr).port;
  socket.close();
  return port;
}

/** Run one of the lesson-style Python peers in tests/ to its end (killed after 20 s). */
export async function runPython(script: string, args: string[]): Promise<Finished> {
  const { code, signal, stdout, stderr } = await new Deno.Command("python3", {
    args: [`${ROOT}tests/${script}`, ...args],
    signal: AbortSignal.timeout(20_000),
  }).output();
  const decoder = new TextDecoder();
  return { code, signal, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

/** Start one of the lesson-style Python servers in tests/ and read its "listening on" line. */
export async function startPythonServer(script: string, args: string[]) {
  const child = new Deno.Command("python3", {
    args: [`${ROOT}tests/${script}`, ...args],
    stdout: "piped",
    signal: AbortSignal.timeout(20_000),
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const first = (await lines.read()).value ?? "";
  return {
    first,
    port: first.match(/^listening on .*:(\d+)/)?.[1] ?? "",
    /** Stop reading its output and wait for it to end. */
    finish: async () => {
      await lines.cancel();
      return await child.status;
    },
  };
}
