// Helpers for the stress scenarios (stress/scenarios.ts): a seeded generator, byte comparison,
// pools and deadlines, the connections a scenario opens, and starting, tracking and stopping the
// servers. Test helpers (processes, byte I/O, /proc) come from tests/helpers/.
import { type Finished, run, type RunningServer, startServer } from "../tests/helpers/process.ts";

export const GREETING = "welcome: every line you send comes back to you\n";
export const LONG_LINE_ERROR = "error: line longer than 65536 bytes, closing\n";
export const HOST = "127.0.0.1";
/** The narrowest permission a server on 127.0.0.1 with --port 0 needs (any port, one host). */
export const SERVER_FLAGS = ["--allow-net=127.0.0.1"];
export const MiB = 1024 * 1024;

/**
 * One scenario of `deno task stress` (stress/stress.ts lists them, one entry each). A scenario in
 * a file of its own exports one of these as its default; stress_test.ts runs it small if it can.
 */
export interface Scenario {
  /** Its name for --only: lower case, words joined by "-". */
  name: string;
  /** "N. what it does, at what size", as the run prints it. */
  title: string;
  /** Its time limit at full size; run() gets it (less if the 5-minute budget is nearly spent). */
  limitMs: number;
  /** A reason not to run here (printed as SKIP), or undefined to run. */
  skip?: (context: { fileLimit: number }) => string | undefined;
  /** Run it at full size: a one-line figure, or an Error that says what went wrong. */
  run: (context: { limitMs: number; seed: number }) => Promise<string>;
}

/** A seeded pseudo-random generator (mulberry32): the same seed gives the same run. */
export function prng(seed: number) {
  let state = seed >>> 0;
  const u32 = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  return {
    u32,
    /** A whole number from 0 to n - 1. */
    int: (n: number) => Math.floor((u32() / 2 ** 32) * n),
    /** A whole number from low to high, both included. */
    range: (low: number, high: number) => low + Math.floor((u32() / 2 ** 32) * (high - low + 1)),
    chance: (p: number) => u32() / 2 ** 32 < p,
    bytes(n: number): Uint8Array {
      const out = new Uint8Array(Math.ceil(n / 4) * 4);
      const words = new Uint32Array(out.buffer);
      for (let i = 0; i < words.length; i++) words[i] = u32();
      return out.subarray(0, n);
    },
  };
}
export type Random = ReturnType<typeof prng>;

/** A seed for one part of a run, derived from the run's seed: each part can be replayed alone. */
export function subSeed(seed: number, part: number): number {
  let h = Math.imul((seed ^ 0x9e3779b9) >>> 0, 0x85ebca6b) ^ Math.imul(part + 1, 0xc2b2ae35);
  h ^= h >>> 13;
  return Math.imul(h, 0x27d4eb2f) >>> 0;
}

export const count = (n: number) => n.toLocaleString("en-US");
export const mib = (kib: number) => (kib / 1024).toFixed(1);
export const seconds = (ms: number) => (ms / 1000).toFixed(1);

export function concat(parts: Uint8Array[]): Uint8Array {
  const all = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  return all;
}

/** Where two byte arrays first differ, or -1 if they are equal. */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const shorter = Math.min(a.length, b.length);
  for (let i = 0; i < shorter; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : shorter;
}

export function describeMismatch(got: Uint8Array, wanted: Uint8Array): string {
  const at = firstDifference(got, wanted);
  const show = (bytes: Uint8Array) =>
    JSON.stringify(new TextDecoder().decode(bytes.subarray(at, at + 40)));
  return `got ${count(got.length)} bytes, expected ${
    count(wanted.length)
  }; first difference at byte ${count(at)}: ${show(got)} instead of ${show(wanted)}`;
}

/** Cut bytes into `pieces` parts at random points (some parts may be empty and are dropped). */
export function split(bytes: Uint8Array, pieces: number, random: Random): Uint8Array[] {
  const cuts = Array.from({ length: pieces - 1 }, () => random.int(bytes.length + 1)).sort((a, b) =>
    a - b
  );
  const parts: Uint8Array[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    if (cut > from) parts.push(bytes.subarray(from, cut));
    from = cut;
  }
  return parts;
}

/** Wait for every promise, then throw the first failure (saying how many failed), if any. */
export async function settleAll<T>(promises: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failures = results.filter((r) => r.status === "rejected") as PromiseRejectedResult[];
  if (failures.length > 0) {
    const first = failures[0].reason as Error;
    throw new Error(
      `${count(failures.length)} of ${count(results.length)} failed; the first: ${first.message}`,
      {
        cause: first,
      },
    );
  }
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/** Run task(0..total-1) with at most `width` running at once; stop starting new ones after a failure. */
export async function inPool<T>(
  total: number,
  width: number,
  task: (i: number) => Promise<T>,
): Promise<T[]> {
  const results = new Array<T>(total);
  let next = 0, failed = false;
  const worker = async () => {
    while (next < total && !failed) {
      const i = next++;
      try {
        results[i] = await task(i);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await settleAll(Array.from({ length: Math.min(width, total) }, worker));
  return results;
}

/** The connections a scenario opens, so that a deadline or a failure can close them all at once. */
export class Connections {
  #open = new Set<Deno.Conn>();
  #abort = new AbortController();
  async connect(port: number, timeoutMs = 10_000): Promise<Deno.TcpConn> {
    const signal = AbortSignal.any([this.#abort.signal, AbortSignal.timeout(timeoutMs)]);
    const conn = await Deno.connect({ hostname: HOST, port, signal });
    if (this.#abort.signal.aborted) {
      conn.close();
      throw new Error("closed by the deadline");
    }
    this.#open.add(conn);
    return conn;
  }
  close(conn: Deno.Conn) {
    if (!this.#open.delete(conn)) return;
    try {
      conn.close();
    } catch { /* already closed */ }
  }
  closeAll() {
    this.#abort.abort();
    for (const conn of [...this.#open]) this.close(conn);
  }
  /** True once closeAll() has run (the deadline passed, or the scenario is over). */
  get closed(): boolean {
    return this.#abort.signal.aborted;
  }
}

/**
 * Run `work`; if it takes longer than `ms`, close every connection (so that all its pending reads
 * and writes fail and it ends) and throw.
 */
export async function within<T>(
  what: string,
  ms: number,
  connections: Connections,
  work: () => Promise<T>,
): Promise<T> {
  let late = false, grace: ReturnType<typeof setTimeout> | undefined;
  let giveUp = (_error: Error) => {};
  const abandoned = new Promise<never>((_, reject) => giveUp = reject);
  const timer = setTimeout(() => {
    late = true;
    connections.closeAll();
    // Closing them ends every pending read and write, except a write that Deno 2.0-2.8 never
    // settles after close() (docs/versions.md): past a grace period, stop waiting for it.
    grace = setTimeout(
      () => giveUp(new Error(`still waiting ${seconds(GRACE_MS)} s after its connections closed`)),
      GRACE_MS,
    );
  }, ms);
  const working = work();
  working.catch(() => {}); // when it is abandoned, its late failure is nobody's to handle
  try {
    const result = await Promise.race([working, abandoned]);
    if (late) throw new Error("finished only after the deadline");
    return result;
  } catch (error) {
    if (late) {
      throw new Error(
        `${what}: not done within its time limit of ${seconds(ms)} s (${(error as Error).message})`,
      );
    }
    throw error;
  } finally {
    clearTimeout(timer);
    clearTimeout(grace);
  }
}
/** How long within() waits for the work to end after closing its connections at the deadline. */
const GRACE_MS = 5000;

/** Read a connection to its end in the background; `greeted` resolves once `greetingBytes` arrived. */
export function collect(conn: Deno.Conn, bufferSize = 4096, greetingBytes = GREETING.length) {
  let greetedNow = () => {};
  const greeted = new Promise<void>((resolve) => greetedNow = resolve);
  const all = (async () => {
    const parts: Uint8Array[] = [];
    const buffer = new Uint8Array(bufferSize);
    let total = 0;
    try {
      while (true) {
        const n = await conn.read(buffer);
        if (n === null) break;
        parts.push(buffer.slice(0, n));
        total += n;
        if (total >= greetingBytes) greetedNow();
      }
    } finally {
      greetedNow();
    }
    return concat(parts);
  })();
  all.catch(() => {}); // handled by whoever awaits it; never an unhandled rejection
  return { greeted, all };
}

/** Race a promise against a timer, which is always cleared. */
export async function orTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) =>
        timer = setTimeout(() => reject(new Error(`${what} (waited ${ms} ms)`)), ms)
      ),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Every process the scenarios start, while it runs: the driver's last resort kills them all. */
const running = new Set<Deno.ChildProcess>();
export function track(child: Deno.ChildProcess): Deno.ChildProcess {
  running.add(child);
  child.status.finally(() => running.delete(child));
  return child;
}
/** Kill every process a scenario started and that still runs (for a driver that must stop now). */
export function killEverything() {
  for (const child of running) {
    try {
      child.kill("SIGKILL");
    } catch { /* exited meanwhile */ }
  }
}
/** startServer, with the server tracked. */
export async function start(...args: Parameters<typeof startServer>): Promise<RunningServer> {
  const server = await startServer(...args);
  track(server.child);
  return server;
}

/** Run `work` and return what it threw (undefined if nothing): cleanup then runs before any rethrow. */
export async function attempt(work: () => Promise<void>): Promise<unknown> {
  try {
    await work();
    return undefined;
  } catch (error) {
    return error;
  }
}

/** The child's exit status if it exits within `ms`, else undefined (the timer is always cleared). */
export async function exitWithin(
  child: Deno.ChildProcess,
  ms: number,
): Promise<Deno.CommandStatus | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      child.status,
      new Promise<undefined>((resolve) => timer = setTimeout(() => resolve(undefined), ms)),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Stop a server with SIGTERM (SIGKILL 5 s later if need be). Throw `failure` if the scenario had
 * failed, and say so too if the server had exited by itself, did not exit 0, or wrote on stderr.
 */
export async function stopServer(
  server: RunningServer,
  failure: unknown,
  name = "server.ts",
): Promise<Finished> {
  const alive = server.running();
  const stopping = server.stop();
  const timer = setTimeout(() => {
    if (server.running()) server.child.kill("SIGKILL");
  }, 5000);
  const finished = await stopping;
  clearTimeout(timer);
  const problems = [];
  if (!alive) problems.push(`${name} had exited by itself (code ${finished.code})`);
  else if (finished.signal === "SIGKILL") {
    problems.push(`${name} did not exit within 5 s of SIGTERM: killed`);
  } else if (finished.code !== 0) problems.push(`${name} ended with exit code ${finished.code}`);
  // Only the out-of-descriptors notices are expected on stderr; anything else is a problem. (Deno
  // itself warns when, out of descriptors, it cannot read the file that NODE_EXTRA_CA_CERTS names,
  // set on some machines: that line is Deno's, not the script's.)
  const stderr = finished.stderr.replace(
    /^(server\.ts: (cannot accept .*; retrying|accepting again)|Warning: Ignoring extra certs from .*)\n/gm,
    "",
  );
  if (stderr !== "") problems.push(`${name} wrote on stderr: ${stderr.trim().slice(0, 2000)}`);
  if (failure !== undefined) {
    if (problems.length === 0) throw failure;
    throw new Error(`${(failure as Error).message}; and ${problems.join("; ")}`, {
      cause: failure,
    });
  }
  if (problems.length > 0) throw new Error(problems.join("; "));
  return finished;
}

/** client.ts run as a user would, with the narrowest permission: the one server address. */
export async function freshClient(port: number): Promise<string> {
  const client = await run([
    "run",
    `--allow-net=127.0.0.1:${port}`,
    "client.ts",
    "--port",
    `${port}`,
    "fresh client after the storm",
  ]);
  if (client.code !== 0 || client.stdout !== GREETING + "fresh client after the storm\n") {
    throw new Error(
      `a fresh client.ts was not served normally: exit ${client.code}, ${JSON.stringify(client)}`,
    );
  }
  return "a fresh client.ts was served normally";
}
