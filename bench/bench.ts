// bench/bench.ts: the kit's servers against Python, Node and a C ceiling, on loopback.
//
//   deno task bench                  the default run (3 runs, about 6 minutes)
//   deno task bench --smoke          tiny counts, one run: checks that the harness works
//   deno task bench --help           all flags
//
// Each server under test is started on 127.0.0.1 (port 0) pinned to CPU 0; the C load generator
// (bench/loadgen.c) is pinned to CPU 1. For every run and measure, the servers are interleaved
// (the order rotates from run to run), each gets a fresh process, and each figure is also given as
// a ratio to the C server measured in the same run, since the machine is shared and noisy. Results
// go to bench/results/latest.md and latest.json; the load generator's own output goes to
// bench/results/raw/. See bench/README.md.
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { listeningPort } from "../tests/helpers/process.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = `${ROOT}bench/bin/`;
const HOST = "127.0.0.1";
const SERVER_CPU = "0";
const GEN_CPU = "1";
const NOFILE = 20_000; // descriptors for 10,000 idle connections, raised for the server and the generator
// The kit's chat room as it ships, started from the repository root. chat1000's 1,000 members all
// come from 127.0.0.1, past the default of 50 connections per address: the limits are raised.
const KIT_CHAT = ["chat_server.ts", "--max-clients", "2000", "--max-per-address", "2000"];

const USAGE =
  `usage: deno task bench [--runs N] [--smoke] [--servers a,b] [--measures a,b] [--out DIR]
  --runs N       interleaved runs of every measure (default 3)
  --smoke        tiny counts and one run, to check that the harness works (a few seconds)
  --servers L    only these servers (ids: ${"deno,c,node,py-threads,py-asyncio,deno-udp,c-udp,node-dgram,py-udp,py-asyncio-udp,deno-chat,c-chat,node-chat"})
  --measures L   only these measures (ids: bulk,pp1,pp100,connrate,idle,udp1,udp8,chat100,chat1000,startup)
  --out DIR      where results go (default bench/results)`;

function parseFlags() {
  try {
    return parseArgs({
      options: {
        runs: { type: "string" },
        smoke: { type: "boolean", default: false },
        servers: { type: "string" },
        measures: { type: "string" },
        out: { type: "string", default: `${ROOT}bench/results` },
        help: { type: "boolean", default: false },
      },
    }).values;
  } catch (error) {
    console.error(`bench: ${(error as Error).message}\n${USAGE}`);
    Deno.exit(2);
  }
}
const flags = parseFlags();
if (flags.help) {
  console.log(USAGE);
  Deno.exit(0);
}
if (Deno.build.os !== "linux") {
  // It pins processes to CPUs with taskset, builds C with cc, and reads /proc through sh.
  console.error(`bench: needs Linux (taskset, cc, sh and /proc); this is ${Deno.build.os}`);
  Deno.exit(1);
}
const smoke = flags.smoke;
const runs = Number(flags.runs ?? (smoke ? 1 : 3));
if (!Number.isInteger(runs) || runs < 1 || runs > 20) {
  console.error("bench: --runs must be a whole number from 1 to 20");
  Deno.exit(2);
}

// ---- servers under test ----------------------------------------------------------------------

type Kind = "tcp" | "udp" | "chat";
interface Server {
  id: string;
  name: string;
  kind: Kind;
  cmd: string[]; // started from the repository root; must print "listening on HOST:PORT" first
}

const deno = Deno.execPath();
const ALL_SERVERS: Server[] = [
  {
    id: "c",
    name: "C epoll (ceiling)",
    kind: "tcp",
    cmd: [`${BIN}echo_epoll`, "tcp", HOST, "0"],
  },
  {
    id: "deno",
    name: "server.ts (Deno)",
    kind: "tcp",
    // The idle measure holds 10,000 connections from one address: past server.ts's defaults
    // (--max-clients 1000, --max-per-address 50), so the bench lifts them (bench/README.md).
    cmd: [
      ...[deno, "run", "--allow-net", "server.ts", "--host", HOST, "--port", "0", "--quiet"],
      ...["--max-clients", "20000", "--max-per-address", "20000"],
    ],
  },
  {
    id: "node",
    name: "Node net",
    kind: "tcp",
    cmd: ["node", "bench/servers/node_net.mjs", HOST, "0"],
  },
  {
    id: "py-threads",
    name: "Python threads (lesson)",
    kind: "tcp",
    cmd: ["python3", "bench/servers/py_threads.py", HOST, "0"],
  },
  {
    id: "py-asyncio",
    name: "Python asyncio",
    kind: "tcp",
    cmd: ["python3", "bench/servers/py_asyncio.py", HOST, "0"],
  },
  {
    id: "c-udp",
    name: "C, UDP (ceiling)",
    kind: "udp",
    cmd: [`${BIN}echo_epoll`, "udp", HOST, "0"],
  },
  {
    id: "deno-udp",
    name: "udp_server.ts (Deno)",
    kind: "udp",
    cmd: [
      deno,
      "run",
      "--allow-net",
      "--unstable-net",
      "udp_server.ts",
      "--host",
      HOST,
      "--port",
      "0",
      "--quiet",
      // Its ping-pong answers one sender tens of thousands of times a second, past the echo loop
      // guard's default (--max-rate 100 a sender): the bench lifts it (bench/README.md).
      "--max-rate",
      "0",
    ],
  },
  {
    id: "node-dgram",
    name: "Node dgram",
    kind: "udp",
    cmd: ["node", "bench/servers/node_dgram.mjs", HOST, "0"],
  },
  {
    id: "py-udp",
    name: "Python UDP (lesson)",
    kind: "udp",
    cmd: ["python3", "bench/servers/py_udp.py", HOST, "0"],
  },
  {
    id: "py-asyncio-udp",
    name: "Python asyncio UDP",
    kind: "udp",
    cmd: ["python3", "bench/servers/py_asyncio_udp.py", HOST, "0"],
  },
  {
    id: "c-chat",
    name: "C epoll chat (ceiling)",
    kind: "chat",
    cmd: [`${BIN}chat_epoll`, HOST, "0"],
  },
  {
    id: "deno-chat",
    name: `${KIT_CHAT.join(" ")} (Deno)`,
    kind: "chat",
    cmd: [deno, "run", "--allow-net", ...KIT_CHAT, "--host", HOST, "--port", "0", "--quiet"],
  },
  {
    id: "node-chat",
    name: "Node net chat",
    kind: "chat",
    cmd: ["node", "bench/servers/node_chat.mjs", HOST, "0"],
  },
];
// Each kind's ratios are to its own C server.
const CEILING: Record<Kind, string> = { tcp: "c", udp: "c-udp", chat: "c-chat" };

// ---- measures ----------------------------------------------------------------------------------

interface Measure {
  id: string;
  title: string;
  kind: Kind | "all"; // "all": every TCP and UDP server
  unit: string;
  higherIsBetter: boolean;
  args: string[]; // for the load generator; "startup" is measured by the harness itself
  value: (result: Record<string, number>) => number;
  detail?: (result: Record<string, number>) => string;
  limitMs: number; // the generator is killed after this long
}

const GiB = 1024 * 1024 * 1024;
const tiny = (normal: string, small: string) => (smoke ? small : normal);
const latency = (r: Record<string, number>) => `p50 ${fmt(r.p50_us)} µs, p99 ${fmt(r.p99_us)} µs`;
const ALL_MEASURES: Measure[] = [
  {
    id: "bulk",
    title:
      "Bulk: one connection streams 1 GiB of 100-byte lines through the echo and reads it back",
    kind: "tcp",
    unit: "MB/s",
    higherIsBetter: true,
    args: [
      "bulk",
      "--bytes",
      tiny(`${GiB}`, `${4 * 1024 * 1024}`),
      "--line",
      "100",
      "--timeout",
      "30",
    ],
    value: (r) => r.mb_per_s,
    limitMs: 40_000,
  },
  {
    id: "pp1",
    title: "Ping-pong, 1 connection: 64-byte lines, one in flight",
    kind: "tcp",
    unit: "msg/s",
    higherIsBetter: true,
    args: [
      "pingpong",
      "--conns",
      "1",
      "--size",
      "64",
      "--warmup",
      tiny("0.2", "0.05"),
      "--duration",
      tiny("1", "0.2"),
    ],
    value: (r) => r.msgs_per_s,
    detail: latency,
    limitMs: 15_000,
  },
  {
    id: "pp100",
    title: "Ping-pong, 100 connections: 64-byte lines, one in flight per connection",
    kind: "tcp",
    unit: "msg/s",
    higherIsBetter: true,
    args: [
      "pingpong",
      "--conns",
      "100",
      "--size",
      "64",
      "--warmup",
      tiny("0.2", "0.05"),
      "--duration",
      tiny("1", "0.1"),
    ],
    value: (r) => r.msgs_per_s,
    detail: latency,
    limitMs: 15_000,
  },
  {
    id: "connrate",
    title:
      "Connection rate: connect, read the welcome line, one 64-byte line back, close (8 clients at a time)",
    kind: "tcp",
    unit: "conn/s",
    higherIsBetter: true,
    args: [
      "connrate",
      "--conc",
      "8",
      "--size",
      "64",
      "--duration",
      tiny("1", "0.2"),
      "--max",
      "30000",
    ],
    value: (r) => r.per_s,
    detail: latency,
    limitMs: 15_000,
  },
  {
    id: "idle",
    title: "Idle: 10,000 connections held open (each has read its welcome line); server RSS",
    kind: "tcp",
    unit: "MB RSS",
    higherIsBetter: false,
    args: ["idle", "--conns", tiny("10000", "200"), "--hold", tiny("1", "0.1"), "--timeout", "30"],
    value: (r) => r.rss_kb / 1024,
    detail: (r) =>
      `${fmt(r.bytes_per_conn / 1024)} KiB per connection, connected in ${fmt(r.connect_s)} s`,
    limitMs: 45_000,
  },
  {
    id: "udp1",
    title: "UDP ping-pong, 1 client: 64-byte datagrams, one in flight",
    kind: "udp",
    unit: "dgram/s",
    higherIsBetter: true,
    args: [
      "udp",
      "--clients",
      "1",
      "--size",
      "64",
      "--warmup",
      tiny("0.2", "0.05"),
      "--duration",
      tiny("1", "0.2"),
    ],
    value: (r) => r.per_s,
    detail: latency,
    limitMs: 15_000,
  },
  {
    id: "udp8",
    title: "UDP ping-pong, 8 clients: 64-byte datagrams, one in flight per client",
    kind: "udp",
    unit: "dgram/s",
    higherIsBetter: true,
    args: [
      "udp",
      "--clients",
      "8",
      "--size",
      "64",
      "--warmup",
      tiny("0.2", "0.05"),
      "--duration",
      tiny("1", "0.2"),
    ],
    value: (r) => r.per_s,
    detail: latency,
    limitMs: 15_000,
  },
  {
    id: "chat100",
    title:
      "Chat, 100 members: 1 sends 64-byte lines as fast as the room takes them (at most 256 in flight)",
    kind: "chat",
    unit: "lines/s",
    higherIsBetter: true,
    args: [
      "chat",
      "--members",
      tiny("100", "5"),
      "--senders",
      "1",
      "--inflight",
      "256",
      "--warmup",
      tiny("0.3", "0.05"),
      "--duration",
      tiny("1", "0.2"),
      "--timeout",
      tiny("20", "10"),
    ],
    value: (r) => r.deliveries_per_s,
    detail: (r) => `${fmt(r.lines_per_s)} lines sent/s to all, ${latency(r)}`,
    limitMs: 30_000,
  },
  {
    id: "chat1000",
    title:
      "Chat, 1,000 members: 10 send 64-byte lines, 100 lines/s in all; p99 from sending to the last member",
    kind: "chat",
    unit: "ms p99",
    higherIsBetter: false,
    args: [
      "chat",
      "--members",
      tiny("1000", "20"),
      "--senders",
      tiny("10", "2"),
      "--rate",
      "100",
      "--inflight",
      "256",
      "--warmup",
      tiny("0.5", "0.05"),
      "--duration",
      tiny("3", "0.3"),
      "--timeout",
      tiny("30", "10"),
    ],
    value: (r) => r.p99_us / 1000,
    detail: (r) =>
      `p50 ${fmt(r.p50_us / 1000)} ms, ${fmt(r.deliveries_per_s)} lines delivered/s, joined in ${
        fmt(r.joined_s)
      } s`,
    limitMs: 45_000,
  },
  {
    id: "startup",
    title: "Start-up: process start to the `listening on` line (median of 5 starts per run)",
    kind: "all",
    unit: "ms",
    higherIsBetter: false,
    args: [],
    value: (r) => r.ms,
    limitMs: 15_000,
  },
];
const STARTS_PER_RUN = smoke ? 1 : 5;
// Every phase has its own count and time limit; this stops the whole run short of 7 minutes anyway:
// no phase starts with less than 5 s left, and none may run past the budget.
const BUDGET_S = 400;

// The targets: each is a ratio of two servers measured in the same run.
interface Target {
  text: string;
  measure: string;
  server: string;
  against: string;
  goal: number;
  atLeast: boolean; // the ratio must be >= goal (otherwise <=)
}
const TARGETS: Target[] = [
  {
    text: "bulk ≥ 0.9× C",
    measure: "bulk",
    server: "deno",
    against: "c",
    goal: 0.9,
    atLeast: true,
  },
  {
    text: "100-connection ping-pong ≥ 0.9× C",
    measure: "pp100",
    server: "deno",
    against: "c",
    goal: 0.9,
    atLeast: true,
  },
  {
    text: "10,000 idle connections ≤ 1.2× Node's RSS",
    measure: "idle",
    server: "deno",
    against: "node",
    goal: 1.2,
    atLeast: false,
  },
  {
    text: "UDP, 8 clients ≥ 1.0× Node dgram",
    measure: "udp8",
    server: "deno-udp",
    against: "node-dgram",
    goal: 1,
    atLeast: true,
  },
  {
    text: "chat, 100 members: lines delivered/s ≥ 1.0× Node",
    measure: "chat100",
    server: "deno-chat",
    against: "node-chat",
    goal: 1,
    atLeast: true,
  },
  {
    text: "chat, 1,000 members: p99 latency ≤ 1.0× Node's",
    measure: "chat1000",
    server: "deno-chat",
    against: "node-chat",
    goal: 1,
    atLeast: false,
  },
  {
    text: "start-up (server.ts) ≤ 1.5× Python's",
    measure: "startup",
    server: "deno",
    against: "py-threads",
    goal: 1.5,
    atLeast: false,
  },
  {
    text: "start-up (udp_server.ts) ≤ 1.5× Python's",
    measure: "startup",
    server: "deno-udp",
    against: "py-udp",
    goal: 1.5,
    atLeast: false,
  },
];

// ---- small helpers -----------------------------------------------------------------------------

function fmt(x: number): string {
  if (!Number.isFinite(x)) return "–";
  const digits = Math.abs(x) >= 100 ? 0 : Math.abs(x) >= 10 ? 1 : 2;
  return x.toLocaleString("en-US", {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function output(cmd: string, args: string[]): Promise<string> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
    return new TextDecoder().decode(out.stdout).trim() ||
      new TextDecoder().decode(out.stderr).trim();
  } catch {
    return "";
  }
}

async function have(cmd: string): Promise<boolean> {
  const out = await new Deno.Command("sh", {
    args: ["-c", `command -v ${cmd}`],
    stdout: "null",
    stderr: "null",
  })
    .output();
  return out.success;
}

// Anything missing is installed from Debian's packages, saying so.
let aptUpdated = false;
async function ensure(cmd: string, debianPackages: string[]) {
  if (await have(cmd)) return;
  console.log(`bench: ${cmd} is missing; installing ${debianPackages.join(" ")} with apt-get`);
  const apt = async (args: string[]) => {
    const out = await new Deno.Command("apt-get", { args, stdout: "inherit", stderr: "inherit" })
      .output();
    if (!out.success) throw new Error(`apt-get ${args.join(" ")} failed`);
  };
  if (!aptUpdated) await apt(["update"]);
  aptUpdated = true;
  await apt(["install", "-y", "--no-install-recommends", ...debianPackages]);
  if (!(await have(cmd))) {
    throw new Error(`${cmd} is still missing after installing ${debianPackages.join(" ")}`);
  }
}

async function build(source: string, binary: string) {
  await Deno.mkdir(BIN, { recursive: true });
  const out = await new Deno.Command("cc", {
    args: ["-O2", "-Wall", "-o", `${BIN}${binary}`, `${ROOT}bench/${source}`],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`cc failed for bench/${source}`);
}

// Every process the harness starts runs through this: more descriptors, then pinned to one CPU.
function pinned(cpu: string, cmd: string[]): string[] {
  return [
    "-c",
    `ulimit -n ${NOFILE} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec taskset -c ${cpu} "$@"`,
    "sh",
    ...cmd,
  ];
}

// ---- running a server and the load generator ---------------------------------------------------

interface Running {
  pid: number;
  port: number;
  startupMs: number;
  stop(): Promise<void>;
}

async function startServer(server: Server): Promise<Running> {
  const started = performance.now();
  const child = new Deno.Command("sh", {
    args: pinned(SERVER_CPU, server.cmd),
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let exited = false;
  const status = child.status.then((s) => (exited = true, s));
  let stdout = "", stderr = "";
  let listening: (() => void) | undefined;
  const decoder = new TextDecoder(), errDecoder = new TextDecoder();
  // Keep reading both pipes to the end: a child whose pipe fills up stops.
  const drained = Promise.all([
    (async () => {
      for await (const chunk of child.stdout) {
        stdout += decoder.decode(chunk, { stream: true });
        if (listening && listeningPort(stdout) !== undefined) listening();
      }
    })(),
    (async () => {
      for await (const chunk of child.stderr) {
        stderr = (stderr + errDecoder.decode(chunk, { stream: true })).slice(-4000);
      }
    })(),
  ]);
  const stop = async () => {
    if (!exited) {
      try {
        child.kill("SIGTERM");
      } catch { /* it exited meanwhile */ }
      const timer = setTimeout(() => {
        try {
          if (!exited) child.kill("SIGKILL");
        } catch { /* it exited meanwhile */ }
      }, 3000);
      await status;
      clearTimeout(timer);
    }
    await drained;
  };
  const ready = new Promise<void>((resolve) => (listening = resolve));
  if (listeningPort(stdout) !== undefined) listening!();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const outcome = await Promise.race([
    ready.then(() => "ready"),
    status.then(() => "exited"),
    new Promise<string>((resolve) => timer = setTimeout(() => resolve("timeout"), 15_000)),
  ]);
  clearTimeout(timer);
  const startupMs = performance.now() - started;
  if (outcome !== "ready") {
    await stop();
    throw new Error(
      `${server.id} did not start (${outcome}): ${stderr.trim().split("\n").slice(-3).join(" | ")}`,
    );
  }
  return { pid: child.pid, port: listeningPort(stdout)!, startupMs, stop };
}

async function loadgen(
  args: string[],
  limitMs: number,
  rawLog: string[],
): Promise<Record<string, number>> {
  const out = await new Deno.Command("sh", {
    args: pinned(GEN_CPU, [`${BIN}loadgen`, ...args]),
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(limitMs),
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  rawLog.push(`loadgen ${args.join(" ")}\n${text}\n${new TextDecoder().decode(out.stderr)}`);
  if (out.signal) throw new Error(`load generator stopped after ${limitMs / 1000} s`);
  let result: Record<string, number> & { error?: string };
  try {
    result = JSON.parse(text.split("\n").at(-1) ?? "");
  } catch {
    throw new Error(`load generator said: ${text || "nothing"} (exit ${out.code})`);
  }
  if (result.error) throw new Error(String(result.error));
  if (!out.success) throw new Error(`load generator exited ${out.code}: ${text}`);
  return result;
}

// ---- the run -----------------------------------------------------------------------------------

interface Sample {
  run: number;
  value?: number;
  result?: Record<string, number>;
  error?: string;
  firstTry?: Record<string, number>; // a disturbed first try, measured again
}

// A fresh server, one run of the load generator against it, and the server stopped again.
async function measureOnce(server: Server, measure: Measure, leftMs: number) {
  const running = await startServer(server);
  try {
    await delay(50); // let it settle after start-up
    const args = [
      ...measure.args,
      ...[
        "--host",
        HOST,
        "--port",
        `${running.port}`,
        "--pid",
        `${running.pid}`,
        "--server-cpu",
        SERVER_CPU,
      ],
    ];
    const result = await loadgen(args, Math.min(measure.limitMs, leftMs), rawLog);
    return { value: measure.value(result), result } as Omit<Sample, "run">;
  } finally {
    await running.stop();
  }
}

// Disturbed: other processes took more than 15% of the server's CPU or of the generator's. At most
// 15 cells per run are measured again (about 30 s), and none when less than 30 s of the budget is left.
const DISTURBED = 0.15;
let retriesLeft = 15;
const disturbed = (r?: Record<string, number>) =>
  r !== undefined && ((r.others_cpu ?? 0) > DISTURBED || (r.others_gen_cpu ?? 0) > DISTURBED);

const only = (list: string | undefined) => list?.split(",").map((s) => s.trim()).filter(Boolean);
const wantedServers = only(flags.servers);
const wantedMeasures = only(flags.measures);
const measures = ALL_MEASURES.filter((m) => !wantedMeasures || wantedMeasures.includes(m.id));
let servers = ALL_SERVERS.filter((s) => !wantedServers || wantedServers.includes(s.id));
const notes: string[] = [];
if (servers.some((s) => s.id === "deno-udp")) {
  try {
    await Deno.stat(`${ROOT}udp_server.ts`);
  } catch {
    servers = servers.filter((s) => s.id !== "deno-udp");
    notes.push("udp_server.ts is not in this checkout yet: its rows are missing.");
  }
}

const benchStarted = performance.now();
await ensure("cc", ["gcc", "libc6-dev"]);
await ensure("taskset", ["util-linux"]);
if (servers.some((s) => s.cmd[0] === "python3")) await ensure("python3", ["python3"]);
if (servers.some((s) => s.cmd[0] === "node")) await ensure("node", ["nodejs"]);
await build("loadgen.c", "loadgen");
await build("servers/echo_epoll.c", "echo_epoll");
if (servers.some((s) => s.id === "c-chat")) await build("servers/chat_epoll.c", "chat_epoll");
await Deno.mkdir(`${flags.out}/raw`, { recursive: true });

const machine = {
  cpu: (await output("cat", ["/proc/cpuinfo"])).match(/model name\s*:\s*(.*)/)?.[1] ?? "unknown",
  cores: navigator.hardwareConcurrency,
  kernel: Deno.osRelease(),
  deno: Deno.version.deno,
  node: await output("node", ["--version"]),
  python: await output("python3", ["--version"]),
  cc: (await output("cc", ["--version"])).split("\n")[0],
  loadavgBefore: await output("cat", ["/proc/loadavg"]),
  loadavgAfter: "",
};
console.log(
  `bench: ${runs} run(s) on ${machine.cores} cores (${machine.cpu}), load average ${machine.loadavgBefore}`,
);

// A first start of each server, not measured: Deno and Python compile and cache the script.
for (const server of servers) {
  try {
    await (await startServer(server)).stop();
  } catch (error) {
    notes.push(`${server.id}: ${(error as Error).message}`);
    console.log(`bench: ${(error as Error).message}`);
  }
}

const samples: Record<string, Record<string, Sample[]>> = {};
const rawLog: string[] = [];
const rotate = <T>(list: T[], by: number) => list.map((_, i) => list[(i + by) % list.length]);

for (let run = 1; run <= runs; run++) {
  for (const measure of measures) {
    const group = servers.filter((s) =>
      measure.kind === "all" ? s.kind !== "chat" : s.kind === measure.kind
    );
    if (group.length === 0) continue; // --servers left none of this measure's kind
    const phaseStarted = performance.now();
    for (const server of rotate(group, run - 1)) {
      const list = ((samples[measure.id] ??= {})[server.id] ??= []);
      const leftMs = BUDGET_S * 1000 - (performance.now() - benchStarted);
      if (leftMs < 5000) {
        list.push({ run, error: `skipped: the run's ${BUDGET_S} s budget is spent` });
        continue;
      }
      try {
        if (measure.id === "startup") {
          const times: number[] = [];
          for (let i = 0; i < STARTS_PER_RUN; i++) {
            const running = await startServer(server);
            times.push(running.startupMs);
            await running.stop();
          }
          list.push({
            run,
            value: median(times),
            result: { ms: median(times), starts: times.length },
          });
        } else {
          let sample = await measureOnce(server, measure, leftMs);
          // Other processes took a real share of a CPU meanwhile: measure once more, and keep the
          // second try whatever it says (each cell is tried at most twice; both go to latest.json).
          if (!smoke && disturbed(sample.result) && retriesLeft > 0) {
            const left = BUDGET_S * 1000 - (performance.now() - benchStarted);
            if (left > 30_000) {
              retriesLeft--;
              const first = sample.result;
              sample = await measureOnce(server, measure, left);
              sample.result!.retried = 1;
              sample.firstTry = first;
            }
          }
          list.push({ run, ...sample });
        }
      } catch (error) {
        list.push({ run, error: (error as Error).message });
        console.log(`bench: run ${run} ${measure.id} ${server.id}: ${(error as Error).message}`);
      }
    }
    const line = group.map((s) => {
      const last = samples[measure.id][s.id].at(-1);
      return `${s.id} ${last?.value === undefined ? "failed" : fmt(last.value)}`;
    }).join(", ");
    console.log(
      `run ${run}/${runs} ${measure.id} (${
        ((performance.now() - phaseStarted) / 1000).toFixed(1)
      } s): ${line} ${measure.unit}`,
    );
  }
}
machine.loadavgAfter = await output("cat", ["/proc/loadavg"]);
const totalSeconds = (performance.now() - benchStarted) / 1000;

// ---- summary ---------------------------------------------------------------------------------

interface Summary {
  median: number;
  min: number;
  max: number;
  runs: number;
  failed: number;
  ratio?: { median: number; min: number; max: number }; // to the C server of the same run
  detail?: string;
  serverCpu?: number; // median share of one core used by the server (1 = all of CPU 0)
  genCpu?: number; // the same for the load generator on CPU 1
  othersCpu?: number; // the share of CPU 0 that other processes took meanwhile
  othersGenCpu?: number; // the same for CPU 1, the load generator's
  perCpuRatio?: { median: number; min: number; max: number }; // work per CPU-second, to C's
}

// Ratio of two servers' values, run by run (only runs where both have a value). With perCpu, each
// value is first divided by the share of CPU 0 its server got: work per CPU-second, which other
// processes on the machine disturb much less than work per second.
function ratios(measure: string, server: string, against: string, perCpu = false): number[] {
  const a = samples[measure]?.[server] ?? [], b = samples[measure]?.[against] ?? [];
  const cost = (s: Sample) => (perCpu ? s.result?.server_cpu ?? 0 : 1);
  const out: number[] = [];
  for (const sample of a) {
    const other = b.find((x) => x.run === sample.run);
    if (sample.value === undefined || other?.value === undefined || !(other.value > 0)) continue;
    if (cost(sample) < 0.05 || cost(other) < 0.05) continue; // no CPU figure (or too small to trust)
    out.push((sample.value / cost(sample)) / (other.value / cost(other)));
  }
  return out;
}
const spread = (r: number[]) =>
  r.length ? { median: median(r), min: Math.min(...r), max: Math.max(...r) } : undefined;

// The median CPU share over the runs, when the load generator measured it (not for idle or start-up).
function cpuShare(list: Sample[], key: string): number | undefined {
  const shares: number[] = [];
  for (const { result } of list) {
    if (result && result[key] >= 0 && result.rss_kb === undefined) shares.push(result[key]);
  }
  return shares.length ? median(shares) : undefined;
}

// Measures where the server is busy all the time, so that work per CPU-second means something.
const PER_CPU = ["bulk", "pp100", "connrate", "udp8", "chat100"];
const summary: Record<string, Record<string, Summary>> = {};
for (const measure of measures) {
  for (const [serverId, list] of Object.entries(samples[measure.id] ?? {})) {
    const values = list.flatMap((s) => s.value === undefined ? [] : [s.value]);
    if (values.length === 0) continue;
    const server = ALL_SERVERS.find((s) => s.id === serverId)!;
    const ceiling = CEILING[server.kind];
    const r = ratios(measure.id, serverId, ceiling);
    const mid = list.filter((s) =>
      s.result
    ).sort((a, b) => a.value! - b.value!)[Math.floor(values.length / 2)];
    (summary[measure.id] ??= {})[serverId] = {
      median: median(values),
      min: Math.min(...values),
      max: Math.max(...values),
      runs: values.length,
      failed: list.length - values.length,
      ratio: r.length ? { median: median(r), min: Math.min(...r), max: Math.max(...r) } : undefined,
      detail: measure.detail && mid?.result ? measure.detail(mid.result) : undefined,
      serverCpu: cpuShare(list, "server_cpu"),
      genCpu: cpuShare(list, "gen_cpu"),
      othersCpu: cpuShare(list, "others_cpu"),
      othersGenCpu: cpuShare(list, "others_gen_cpu"),
      perCpuRatio: PER_CPU.includes(measure.id)
        ? spread(ratios(measure.id, serverId, ceiling, true))
        : undefined,
    };
  }
}

const targets = TARGETS.filter((t) => samples[t.measure]).map((t) => {
  const r = ratios(t.measure, t.server, t.against);
  const med = r.length ? median(r) : NaN;
  return {
    ...t,
    ratio: med,
    min: r.length ? Math.min(...r) : NaN,
    max: r.length ? Math.max(...r) : NaN,
    runs: r.length,
    met: r.length ? (t.atLeast ? med >= t.goal : med <= t.goal) : undefined,
    perCpu: PER_CPU.includes(t.measure)
      ? spread(ratios(t.measure, t.server, t.against, true))
      : undefined,
  };
});

// ---- Markdown ----------------------------------------------------------------------------------

const range = (a: number, b: number) => `${fmt(a)}–${fmt(b)}`;
const md: string[] = [];
md.push(`# Benchmark results`);
md.push("");
md.push(
  `${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC · ${runs} interleaved run(s)${
    smoke ? " (smoke: tiny counts, not a measurement)" : ""
  } · total ${fmt(totalSeconds)} s`,
);
md.push("");
md.push(
  `Machine: ${machine.cores} cores (${machine.cpu}), Linux ${machine.kernel}; Deno ${machine.deno}, Node ${machine.node}, ` +
    `${machine.python}, ${machine.cc}. Load average before the run: ` +
    `${
      machine.loadavgBefore.split(" ").slice(0, 3).join(" ")
    } (the idle phase's 10,000 Python threads inflate ` +
    `it afterwards). Server pinned to CPU ${SERVER_CPU}, ` +
    `load generator to CPU ${GEN_CPU}. The machine is shared with other work: read the ratios (same run), ` +
    `and the min–max spread, rather than the absolute numbers.`,
);
md.push("");
for (const note of notes) md.push(`- Note: ${note}`);
if (notes.length) md.push("");
md.push("## Targets");
md.push("");
md.push("| target | median ratio | min–max | runs | met? | per CPU-second: median (min–max) |");
md.push("| --- | --- | --- | --- | --- | --- |");
for (const t of targets) {
  md.push(
    `| ${t.text} | ${fmt(t.ratio)}× | ${range(t.min, t.max)} | ${t.runs} | ${
      t.met === undefined ? "not measured" : t.met ? "yes" : "**no**"
    } | ${t.perCpu ? `${fmt(t.perCpu.median)}× (${range(t.perCpu.min, t.perCpu.max)})` : ""} |`,
  );
}
md.push("");
md.push(
  "Each ratio compares two servers' figures from the same run. Work per CPU-second divides each figure by " +
    "the share of CPU 0 its server actually got, which corrects for other processes taking turns on that CPU.",
);
const cells = Object.values(samples).flatMap((byServer) => Object.values(byServer).flat())
  .filter((c) => c.result?.others_cpu !== undefined);
const retried = cells.filter((c) => c.firstTry).length;
const stillDisturbed = cells.filter((c) => disturbed(c.result)).length;
md.push("");
md.push(
  `Disturbed cells: of the ${cells.length} cells with CPU figures, ${retried} saw other processes take more than ` +
    `${
      DISTURBED * 100
    }% of the server's or the generator's CPU and were measured a second time, and ` +
    `${stillDisturbed} count a disturbed measurement in the end (latest.json keeps both tries).`,
);
md.push("");
// One table for all: the median of each measure, and its ratio to C from the same runs.
const COLUMNS = [
  { title: "C (ceiling)", ids: ["c", "c-udp", "c-chat"] },
  { title: "Deno: the kit", ids: ["deno", "deno-udp", "deno-chat"] },
  { title: "Node", ids: ["node", "node-dgram", "node-chat"] },
  { title: "Python, lesson style", ids: ["py-threads", "py-udp"] },
  { title: "Python asyncio", ids: ["py-asyncio", "py-asyncio-udp"] },
];
md.push("## Overview: median (× C in the same runs)");
md.push("");
md.push(
  "Each ratio is the median of the per-run ratios to the C server, so it need not equal the ratio of the two medians.",
);
md.push("");
md.push(`| measure | ${COLUMNS.map((c) => c.title).join(" | ")} |`);
md.push(`| --- |${COLUMNS.map(() => " --- |").join("")}`);
for (const measure of measures) {
  const rows = summary[measure.id];
  if (!rows) continue;
  const better = measure.higherIsBetter ? "higher is better" : "lower is better";
  const cells = COLUMNS.map((column) => {
    const id = column.ids.find((id) => rows[id]);
    if (!id) return "–";
    const row = rows[id];
    const ratio = row.ratio && !id.startsWith("c") ? ` (${fmt(row.ratio.median)}×)` : "";
    const name = measure.id === "startup" && column.ids.length > 1 && rows[column.ids[1]]
      ? ` · UDP ${fmt(rows[column.ids[1]].median)}`
      : "";
    return `${fmt(row.median)}${ratio}${name}`;
  });
  md.push(`| ${measure.id}, ${measure.unit} (${better}) | ${cells.join(" | ")} |`);
}
md.push("");
for (const measure of measures) {
  const rows = summary[measure.id];
  if (!rows) continue;
  md.push(`## ${measure.title}`);
  md.push("");
  const cpu = Object.values(rows).some((row) => row.serverCpu !== undefined);
  const perCpu = PER_CPU.includes(measure.id);
  md.push(
    `| server | ${measure.unit} (median) | min–max | × C (median) | × C min–max |${
      perCpu ? " × C per CPU-second |" : ""
    }${cpu ? " CPU: server / gen / others on CPU 0 / on CPU 1 |" : ""}${
      measure.detail ? " detail (median run) |" : ""
    }`,
  );
  md.push(
    `| --- | --- | --- | --- | --- |${perCpu ? " --- |" : ""}${cpu ? " --- |" : ""}${
      measure.detail ? " --- |" : ""
    }`,
  );
  const order = ALL_SERVERS.filter((s) => rows[s.id]);
  order.sort((a, b) => (measure.higherIsBetter ? -1 : 1) * (rows[a.id].median - rows[b.id].median));
  for (const server of order) {
    const s = rows[server.id];
    const failed = s.failed ? ` (${s.failed} failed)` : "";
    const shares = cpu
      ? ` ${
        [s.serverCpu, s.genCpu, s.othersCpu, s.othersGenCpu].map((x) => fmt(x ?? NaN)).join(" / ")
      } |`
      : "";
    const efficiency = perCpu
      ? ` ${
        s.perCpuRatio
          ? `${fmt(s.perCpuRatio.median)} (${range(s.perCpuRatio.min, s.perCpuRatio.max)})`
          : "–"
      } |`
      : "";
    md.push(
      `| ${server.name}${failed} | ${fmt(s.median)} | ${range(s.min, s.max)} | ${
        s.ratio ? fmt(s.ratio.median) : "–"
      } | ${s.ratio ? range(s.ratio.min, s.ratio.max) : "–"} |${efficiency}${shares}${
        measure.detail ? ` ${s.detail ?? ""} |` : ""
      }`,
    );
  }
  for (const server of servers) {
    const failures = (samples[measure.id]?.[server.id] ?? []).filter((s) => s.error);
    for (const f of failures) md.push(`- ${server.name}, run ${f.run}: failed: ${f.error}`);
  }
  md.push("");
}
md.push(
  `Every figure is the median of the runs, with the lowest and highest run. "× C" is the ratio to the C epoll server ` +
    `measured in the same run (for RSS and start-up, lower is better, so a ratio above 1 is worse than C). ` +
    `"CPU" is the share of one core the server and the load generator used while measuring, and what other ` +
    `processes took of each one's CPU meanwhile (above 0, that cell was disturbed).`,
);
md.push("");

const stamp = new Date().toISOString().replace(/[:.]/g, "-");
await Deno.writeTextFile(`${flags.out}/latest.md`, md.join("\n"));
await Deno.writeTextFile(
  `${flags.out}/latest.json`,
  JSON.stringify(
    {
      date: new Date().toISOString(),
      smoke,
      runs,
      totalSeconds,
      machine,
      notes,
      targets,
      summary,
      samples,
      settings: {
        host: HOST,
        serverCpu: SERVER_CPU,
        genCpu: GEN_CPU,
        measures: Object.fromEntries(measures.map((m) => [m.id, m.args.join(" ")])),
        servers: Object.fromEntries(
          servers.map((s) => [s.id, s.cmd.join(" ").replace(deno, "deno")]),
        ),
      },
    },
    null,
    2,
  ) + "\n",
);
await Deno.writeTextFile(`${flags.out}/raw/${stamp}.log`, rawLog.join("\n"));
const firstMeasure = md.findIndex((line, i) =>
  i > 0 && line.startsWith("## ") && !line.startsWith("## Targets")
);
console.log(`\n${md.slice(0, firstMeasure).join("\n")}`);
console.log(`bench: done in ${fmt(totalSeconds)} s; wrote ${flags.out}/latest.md and latest.json`);
