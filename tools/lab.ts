// Two computers on one machine: `deno task lab` (Linux, as root).
//
// Builds two "computers" as network namespaces, kit-alumno (10.213.42.1) and kit-servidor
// (10.213.42.2), joined by a virtual cable (a veth pair) whose addresses exist only inside them.
// Then it runs the kit's own scripts in them with `ip netns exec NAMESPACE deno run ...` and says
// what happens, step by step. Each scenario gets two fresh computers and removes them at its end;
// Ctrl-C, SIGTERM or an error remove them too, and a run that finds leftovers of an earlier run
// (one killed with SIGKILL) removes those first. It never touches the machine's own interfaces,
// routes or firewall: everything it makes lives inside its two namespaces.
//
//   deno task lab                       every scenario
//   deno task lab --only lossy-link     one of them (see --help)

import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const PORT = 21042; // free by construction: each namespace has its own ports
const PREFIX = "kit-"; // every name the lab creates starts with it, so leftovers are recognisable
const NFT_TABLE = "kit_lab"; // the nftables table that drops packets, inside each namespace
// The chat room's script. Until issue 10 lands it is server.ts --chat; after it, chat_server.ts.
const CHAT_SERVER = ["chat_server.ts"];

interface Computer {
  name: string; // as printed
  ns: string; // the network namespace
  dev: string; // its end of the cable
  ip: string;
}
const ALUMNO: Computer = {
  name: "alumno",
  ns: "kit-alumno",
  dev: "kit-alumno0",
  ip: "10.213.42.1",
};
const SERVIDOR: Computer = {
  name: "servidor",
  ns: "kit-servidor",
  dev: "kit-servidor0",
  ip: "10.213.42.2",
};
const NOBODY = "10.213.42.3"; // on the cable's network, but no computer has it
const NO_ROUTE = "10.213.43.1"; // a network neither computer has a route to

const SCENARIOS = ["two-computers", "wrong-address", "lossy-link", "chat"] as const;
type Scenario = typeof SCENARIOS[number];

const USAGE = `usage: deno task lab [--only NAME] [--loss P] [--lines N] [--datagrams N] [--help]
  (as root on Linux; the task is deno run --allow-run --allow-read --allow-sys=uid tools/lab.ts)
  --only NAME      run one scenario (default: all, in this order):
                   ${SCENARIOS.join(", ")}
  --loss P         percent of packets the lossy link drops, each way, 0 to 90 (default 20)
  --lines N        lines client.ts sends over the lossy link, 1 to 100000 (default 3000)
  --datagrams N    datagrams udp_client.ts sends over the lossy link, 1 to 500 (default 20)
It needs the commands ip (Debian package iproute2) and, for lossy-link, nft (package nftables).`;

function usageError(message: string): never {
  console.error(`lab.ts: ${message}\n${USAGE}`);
  Deno.exit(2);
}

function fail(message: string): never {
  console.error(`lab.ts: ${message}`);
  Deno.exit(1);
}

function parseWholeNumber(text: string, flag: string, min: number, max: number): number {
  if (!/^\d+$/.test(text) || +text < min || +text > max) {
    usageError(`${flag} must be a whole number from ${min} to ${max}`);
  }
  return Number(text);
}

function parseFlags() {
  let values;
  try {
    values = parseArgs({
      options: {
        only: { type: "string" },
        loss: { type: "string", default: "20" },
        lines: { type: "string", default: "3000" },
        datagrams: { type: "string", default: "20" },
        help: { type: "boolean", default: false },
      },
    }).values;
  } catch (error) {
    usageError((error as Error).message);
  }
  if (values.help) {
    console.log(USAGE);
    Deno.exit(0);
  }
  if (values.only !== undefined && !SCENARIOS.includes(values.only as Scenario)) {
    usageError(`--only must be one of ${SCENARIOS.join(", ")}`);
  }
  return {
    scenarios: values.only === undefined ? [...SCENARIOS] : [values.only as Scenario],
    loss: parseWholeNumber(values.loss, "--loss", 0, 90),
    lines: parseWholeNumber(values.lines, "--lines", 1, 100_000),
    datagrams: parseWholeNumber(values.datagrams, "--datagrams", 1, 500),
  };
}

// ---------------------------------------------------------------------------------------------
// Commands: ip and nft, each bounded in time.

interface Output {
  code: number;
  out: string;
  err: string;
}

async function run(command: string, args: string[], input?: string): Promise<Output> {
  const child = new Deno.Command(command, {
    args,
    stdin: input === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(10_000),
  }).spawn();
  if (input !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(input));
    await writer.close();
  }
  const result = await child.output();
  const decoder = new TextDecoder();
  return {
    code: result.code,
    out: decoder.decode(result.stdout),
    err: decoder.decode(result.stderr),
  };
}

/** Run a command that must work; an error names the command and what it said. */
async function must(command: string, args: string[], input?: string): Promise<string> {
  const result = await run(command, args, input);
  if (result.code !== 0) {
    throw new Error(`${command} ${args.join(" ")}: ${result.err.trim() || `exit ${result.code}`}`);
  }
  return result.out;
}

async function hasCommand(command: string, versionFlag: string): Promise<boolean> {
  try {
    return (await run(command, [versionFlag])).code === 0;
  } catch {
    return false; // not installed (NotFound)
  }
}

async function ourNamespaces(): Promise<string[]> {
  const listed = await must("ip", ["netns", "list"]);
  return listed.split("\n").map((line) => line.split(" ")[0]).filter((name) =>
    name.startsWith(PREFIX)
  );
}

// ---------------------------------------------------------------------------------------------
// The two computers: build, and remove with everything in them.

let stopping = false; // a signal came: make nothing more
let building: Promise<void> | undefined;

function build(): Promise<void> {
  building = buildBoth();
  return building;
}

async function buildBoth(): Promise<void> {
  for (const computer of [ALUMNO, SERVIDOR]) {
    if (stopping) throw new Error("stopping");
    await must("ip", ["netns", "add", computer.ns]);
  }
  // Both ends of the cable are created right inside the namespaces: the machine never has them.
  await must("ip", [
    "link",
    "add",
    ALUMNO.dev,
    "netns",
    ALUMNO.ns,
    "type",
    "veth",
    "peer",
    "name",
    SERVIDOR.dev,
    "netns",
    SERVIDOR.ns,
  ]);
  for (const computer of [ALUMNO, SERVIDOR]) {
    await must("ip", ["-n", computer.ns, "addr", "add", `${computer.ip}/24`, "dev", computer.dev]);
    await must("ip", ["-n", computer.ns, "link", "set", "lo", "up"]);
    await must("ip", ["-n", computer.ns, "link", "set", computer.dev, "up"]);
  }
  // Who owns them, so that a second run can tell a live run from leftovers.
  await must("ip", [
    "-n",
    ALUMNO.ns,
    "link",
    "set",
    ALUMNO.dev,
    "alias",
    `kit lab pid ${Deno.pid}`,
  ]);
}

/** The pid of the lab run that made the namespaces, if it still runs. */
async function liveOwner(): Promise<number | undefined> {
  const shown = await run("ip", ["-n", ALUMNO.ns, "-o", "link", "show", ALUMNO.dev]);
  const pid = Number(shown.out.match(/alias kit lab pid (\d+)/)?.[1]);
  if (!pid || pid === Deno.pid) return undefined;
  // Deno reads /proc only with --allow-all: cat reads it for us. Nothing there: it has ended.
  return (await run("cat", [`/proc/${pid}/cmdline`])).out.includes("lab.ts") ? pid : undefined;
}

const running = new Set<Running>();

/** Stop every process we started, end any process left in our namespaces, delete them. */
async function removeAll(): Promise<void> {
  await Promise.all([...running].map((process) => process.stop("SIGKILL")));
  for (const ns of await ourNamespaces()) {
    // A namespace with a process still in it would live on, unnamed, after `ip netns delete`.
    // These are the kit's scripts from a run that was killed: they are ours to end.
    const pids = (await run("ip", ["netns", "pids", ns])).out.split("\n").filter(Boolean);
    for (const pid of pids) {
      try {
        Deno.kill(Number(pid), "SIGKILL");
      } catch { /* already gone */ }
    }
    // Deleting a namespace also deletes the cable's end in it (and so the whole pair), its
    // addresses and its nftables table.
    await run("ip", ["netns", "delete", ns]);
  }
  const left = await ourNamespaces();
  if (left.length > 0) throw new Error(`could not remove ${left.join(", ")}`);
}

// ---------------------------------------------------------------------------------------------
// The kit's scripts, run inside a computer, each line shown as it arrives.

interface Running {
  who: Computer;
  child: Deno.ChildProcess;
  stdout: string; // everything printed on stdout so far
  lines: { stream: "out" | "err"; text: string }[];
  exited: boolean;
  status: Promise<Deno.CommandStatus>;
  write(text: string): Promise<void>;
  endInput(): Promise<void>;
  waitFor(pattern: RegExp, ms: number): Promise<string | undefined>;
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
  finish(ms: number): Promise<Deno.CommandStatus>;
}

/** Show a command as the user would type it. */
function shown(args: string[]): string {
  return args.map((arg) => /[\s"]/.test(arg) ? JSON.stringify(arg) : arg).join(" ");
}

/** "N lines, "first" to "last"", for a client's input. */
function inputNote(lines: string[]): string {
  const count = `${lines.length} ${lines.length === 1 ? "line" : "lines"}`;
  if (lines.length === 1) return `${count}, ${JSON.stringify(lines[0])}`;
  return `${count}, ${JSON.stringify(lines[0])} to ${JSON.stringify(lines.at(-1))}`;
}

function label(who: Computer, person = ""): string {
  return `  ${`${who.name} ${person}`.padEnd(13)}`;
}

function start(
  who: Computer,
  denoArgs: string[],
  options: { show?: boolean; input?: boolean; person?: string } = {},
): Running {
  if (stopping) throw new Error("stopping");
  const show = options.show ?? true;
  const tag = label(who, options.person);
  console.log(`${tag} $ deno ${shown(denoArgs)}`);
  const child = new Deno.Command("ip", {
    args: ["netns", "exec", who.ns, Deno.execPath(), ...denoArgs],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: options.input ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const writer = options.input ? child.stdin.getWriter() : undefined;
  const process: Running = {
    who,
    child,
    stdout: "",
    lines: [],
    exited: false,
    status: child.status,
    async write(text) {
      await writer?.write(new TextEncoder().encode(text));
    },
    async endInput() {
      await writer?.close().catch(() => {});
    },
    waitFor(pattern, ms) {
      const seen = process.lines.find((line) => pattern.test(line.text));
      if (seen) return Promise.resolve(seen.text);
      return new Promise((resolve) => {
        const waiter = { pattern, resolve };
        waiters.push(waiter);
        setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          resolve(undefined);
        }, ms);
      });
    },
    async stop(signal = "SIGINT") {
      if (!process.exited) {
        try {
          child.kill(signal);
        } catch { /* it has just exited */ }
      }
      return await process.finish(5_000);
    },
    async finish(ms) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<"late">((resolve) => timer = setTimeout(() => resolve("late"), ms));
      const ended = await Promise.race([output.then(() => child.status), late]);
      clearTimeout(timer);
      if (ended === "late") {
        try {
          child.kill("SIGKILL");
        } catch { /* it has just exited */ }
      }
      await output;
      return await child.status;
    },
  };
  const read = async (stream: ReadableStream<Uint8Array>, kind: "out" | "err") => {
    let pending = "";
    const take = (text: string) => {
      process.lines.push({ stream: kind, text });
      if (show) console.log(`${tag} | ${text}`);
      for (const waiter of waiters.filter((waiter) => waiter.pattern.test(text))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(text);
      }
    };
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      if (kind === "out") process.stdout += text;
      pending += text;
      for (let end; (end = pending.indexOf("\n")) !== -1; pending = pending.slice(end + 1)) {
        take(pending.slice(0, end));
      }
    }
    if (pending) take(pending);
  };
  const output = Promise.all([read(child.stdout, "out"), read(child.stderr, "err")]);
  running.add(process);
  child.status.then(() => {
    process.exited = true;
    running.delete(process);
  });
  return process;
}

/** Start a server and wait (15 s at most) for its "listening on" line. */
async function startServer(who: Computer, denoArgs: string[]): Promise<Running> {
  const server = start(who, denoArgs);
  const ready = await server.waitFor(/^listening on /, 15_000);
  if (!ready) {
    await server.stop("SIGKILL");
    throw new Error(`${denoArgs.join(" ")} did not start on ${who.name}`);
  }
  return server;
}

/** Run a client to its end (at most `ms`), and say how long it took. */
async function runClient(
  who: Computer,
  denoArgs: string[],
  options: { show?: boolean; input?: string; note?: string; ms?: number } = {},
) {
  const began = performance.now();
  const client = start(who, denoArgs, { show: options.show, input: options.input !== undefined });
  if (options.note) console.log(`${label(who)}   (${options.note})`);
  if (options.input !== undefined) {
    await client.write(options.input).catch(() => {}); // it may have ended early: its output says why
    await client.endInput();
  }
  const status = await client.finish(options.ms ?? 30_000);
  const seconds = (performance.now() - began) / 1000;
  const stderr = client.lines.filter((line) => line.stream === "err").map((line) => line.text);
  return { ...client, code: status.code, seconds, stderr };
}

// ---------------------------------------------------------------------------------------------
// Saying what happened.

let checks = 0;
let failures = 0;

function say(text: string) {
  console.log(`\n${text}`);
}

function check(ok: boolean, expected: string, instead = "") {
  checks++;
  if (!ok) failures++;
  console.log(ok ? `  -> as expected: ${expected}` : `  -> NOT as expected: ${expected}${instead}`);
}

function oneErrorLine(stderr: string[], script: string, pattern: RegExp): boolean {
  return stderr.length === 1 && stderr[0].startsWith(`${script}: `) && pattern.test(stderr[0]);
}

const netFlag = (...addresses: string[]) => `--allow-net=${addresses.join(",")}`;
const at = (computer: Computer, port = PORT) => `${computer.ip}:${port}`;

// ---------------------------------------------------------------------------------------------
// Scenario: two computers.

async function twoComputers() {
  say(`Step 1. On servidor, server.ts listens on 0.0.0.0, the lesson's "": every address servidor
has, ${SERVIDOR.ip} included. On alumno, client.ts connects to ${SERVIDOR.ip}.`);
  let server = await startServer(SERVIDOR, ["run", netFlag(`0.0.0.0:${PORT}`), "server.ts"]);
  const echo = await runClient(ALUMNO, [
    "run",
    netFlag(at(SERVIDOR)),
    "client.ts",
    "--host",
    SERVIDOR.ip,
    "hola",
    "qué tal",
  ]);
  const seen = await server.waitFor(/^closed /, 3_000);
  check(
    echo.code === 0 && echo.stdout.endsWith("hola\nqué tal\n"),
    "alumno's lines crossed the cable and came back",
    ` (client exit ${echo.code})`,
  );
  check(
    seen?.startsWith(`closed ${ALUMNO.ip}:`) ?? false,
    `servidor saw the client come from ${ALUMNO.ip}, alumno's address`,
  );
  await server.stop();

  say(`Step 2. server.ts listens on 127.0.0.1 only: the loopback address that every computer has
for itself. alumno tries ${SERVIDOR.ip}; then a client on servidor itself tries 127.0.0.1.`);
  server = await startServer(SERVIDOR, [
    "run",
    netFlag(`127.0.0.1:${PORT}`),
    "server.ts",
    "--host",
    "127.0.0.1",
  ]);
  const refused = await runClient(ALUMNO, [
    "run",
    netFlag(at(SERVIDOR)),
    "client.ts",
    "--host",
    SERVIDOR.ip,
    "hola",
  ]);
  check(
    refused.code === 1 && oneErrorLine(refused.stderr, "client.ts", /refused/i),
    `refused from alumno: nothing listens on ${SERVIDOR.ip}:${PORT}, so servidor's system ` +
      "answers the connection with a reset",
  );
  const local = await runClient(SERVIDOR, [
    "run",
    netFlag(`127.0.0.1:${PORT}`),
    "client.ts",
    "--host",
    "127.0.0.1",
    "hola",
  ]);
  check(
    local.code === 0 && local.stdout.endsWith("hola\n"),
    "the same server answers a client on its own computer",
  );
  await server.stop();

  say(`Step 3. The UDP pair across the cable. udp_server.ts may reply to alumno: its permission
names alumno's address.`);
  server = await startServer(SERVIDOR, [
    "run",
    netFlag(`0.0.0.0:${PORT}`, ALUMNO.ip),
    "udp_server.ts",
  ]);
  const udpArgs = ["udp_client.ts", "--host", SERVIDOR.ip, "--timeout", "500", "--retries", "1"];
  const udp = await runClient(ALUMNO, [
    "run",
    netFlag("0.0.0.0:0", at(SERVIDOR)),
    ...udpArgs,
    "hola",
  ]);
  check(
    udp.code === 0 && /^hola {2}\(reply in /.test(udp.stdout),
    `the datagram crossed the cable, and the reply came back to ${ALUMNO.ip}`,
  );
  await server.stop();

  say(`Step 4. The class's own commands, as leccion/clase.md gives them: deno task udp-server on
servidor, deno task udp-client --host ${SERVIDOR.ip} on alumno. The tasks' permissions cover another
computer (docs/permissions.md), so neither Deno asks "Allow?" nor refuses.`);
  server = await startServer(SERVIDOR, ["task", "udp-server"]);
  const task = await runClient(ALUMNO, ["task", "udp-client", "--host", SERVIDOR.ip, "hola"]);
  const balked = [...server.lines, ...task.lines].some((line) =>
    /NotCapable|no permission|cannot reply|Allow\?/.test(line.text)
  );
  check(
    task.code === 0 && /^hola {2}\(reply in /.test(task.stdout) && !balked,
    "the reply came back to alumno, with the tasks' own permissions and no prompt",
  );
  await server.stop();
}

// ---------------------------------------------------------------------------------------------
// Scenario: wrong address.

async function wrongAddress() {
  say(`Step 1. client.ts on alumno connects to ${NOBODY}: an address on the cable's network
(${ALUMNO.ip.replace(/\d+$/, "0")}/24), where no computer answers. alumno asks the cable "who has
${NOBODY}?" (ARP) three times, a second apart, then gives up.`);
  const nobody = await runClient(ALUMNO, [
    "run",
    netFlag(`${NOBODY}:${PORT}`),
    "client.ts",
    "--host",
    NOBODY,
    "hola",
  ]);
  console.log(`  (client.ts ended after ${nobody.seconds.toFixed(1)} s, exit ${nobody.code})`);
  check(
    nobody.code === 1 && oneErrorLine(nobody.stderr, "client.ts", /no route/i) &&
      nobody.seconds >= 2 && nobody.seconds < 8,
    "No route to host, after about 3 s",
  );

  say(`Step 2. client.ts on alumno connects to ${NO_ROUTE}: alumno knows only its own network,
${ALUMNO.ip.replace(/\d+$/, "0")}/24, and has no route (no gateway) to any other.`);
  const noRoute = await runClient(ALUMNO, [
    "run",
    netFlag(`${NO_ROUTE}:${PORT}`),
    "client.ts",
    "--host",
    NO_ROUTE,
    "hola",
  ]);
  console.log(`  (client.ts ended after ${noRoute.seconds.toFixed(1)} s, exit ${noRoute.code})`);
  check(
    noRoute.code === 1 && oneErrorLine(noRoute.stderr, "client.ts", /unreachable/i) &&
      noRoute.seconds < 2,
    "Network is unreachable, at once: not a single packet left alumno",
  );

  say(`Step 3. Every school computer has a gateway: a default route, here through servidor. Now
alumno sends what is not for its own network to the gateway, which passes nothing on and answers
nothing (as the routers on the way do with an address that is nobody's): client.ts gives up at 5 s.`);
  await must("ip", ["-n", ALUMNO.ns, "route", "add", "default", "via", SERVIDOR.ip]);
  const silent = await runClient(ALUMNO, [
    "run",
    netFlag(`${NO_ROUTE}:${PORT}`),
    "client.ts",
    "--host",
    NO_ROUTE,
    "hola",
  ]);
  console.log(`  (client.ts ended after ${silent.seconds.toFixed(1)} s, exit ${silent.code})`);
  check(
    silent.code === 1 && oneErrorLine(silent.stderr, "client.ts", /no answer from .* within 5 s/) &&
      silent.seconds >= 4,
    "no answer within 5 s: with a gateway, a wrong address on another network is silence",
  );
}

// ---------------------------------------------------------------------------------------------
// Scenario: a lossy link.

/** The kernel's count of TCP segments sent again, inside a computer. */
async function tcpResent(who: Computer): Promise<number> {
  const snmp = await must("ip", ["netns", "exec", who.ns, "cat", "/proc/net/snmp"]);
  const [names, values] = snmp.split("\n").filter((line) => line.startsWith("Tcp:"));
  return Number(values.split(" ")[names.split(" ").indexOf("RetransSegs")]);
}

/** Packets that reached the two computers from the cable so far, and how many were dropped. */
async function counted(): Promise<{ arrived: number; dropped: number }> {
  const total = { arrived: 0, dropped: 0 };
  for (const who of [ALUMNO, SERVIDOR]) {
    const table = await must("ip", [
      "netns",
      "exec",
      who.ns,
      "nft",
      "list",
      "table",
      "inet",
      NFT_TABLE,
    ]);
    const [arrived, dropped] = [...table.matchAll(/counter packets (\d+)/g)].map((m) => +m[1]);
    total.arrived += arrived;
    total.dropped += dropped;
  }
  return total;
}

/** What the link counted since `before`. */
async function linkCount(withLoss: boolean, before: { arrived: number; dropped: number }) {
  if (!withLoss) return { arrived: 0, dropped: 0 };
  const now = await counted();
  return { arrived: now.arrived - before.arrived, dropped: now.dropped - before.dropped };
}

function lossRules(who: Computer, loss: number): string {
  return `table inet ${NFT_TABLE} {
  chain input {
    type filter hook input priority filter; policy accept;
    iifname "${who.dev}" counter
    iifname "${who.dev}" tcp flags & syn == syn accept
    iifname "${who.dev}" numgen random mod 100 < ${loss} counter drop
  }
}
`;
}

interface TcpResult {
  sentLines: number;
  sentBytes: number;
  backLines: number;
  backBytes: number;
  inOrder: boolean;
  firstDifference: number; // line number, or 0
  seconds: number;
  finished: boolean;
  resent: number;
  arrived: number;
  dropped: number;
}

async function tcpOverLink(lines: number, withLoss: boolean): Promise<TcpResult> {
  const text = Array.from(
    { length: lines },
    (_, n) => `line ${n + 1} of ${lines}: every byte of it must come back, in order\n`,
  ).join("");
  const resentBefore = await tcpResent(ALUMNO) + await tcpResent(SERVIDOR);
  const before = withLoss ? await counted() : { arrived: 0, dropped: 0 };
  const server = await startServer(SERVIDOR, ["run", netFlag(`0.0.0.0:${PORT}`), "server.ts"]);
  const client = await runClient(
    ALUMNO,
    ["run", netFlag(at(SERVIDOR)), "client.ts", "--host", SERVIDOR.ip],
    {
      show: false,
      input: text,
      ms: 120_000,
      note: `its input: ${inputNote(text.split("\n").slice(0, -1))}`,
    },
  );
  for (const line of client.stderr) console.log(`${label(ALUMNO)} | ${line}`);
  await server.waitFor(/^closed /, 3_000);
  await server.stop();
  // What came back is the welcome line, then the echo.
  const back = client.stdout.slice(client.stdout.indexOf("\n") + 1);
  const sent = text.split("\n");
  const got = back.split("\n");
  const firstDifference = back === text ? 0 : 1 + sent.findIndex((line, n) => got[n] !== line);
  const bytes = (s: string) => new TextEncoder().encode(s).length;
  return {
    sentLines: lines,
    sentBytes: bytes(text),
    backLines: back.split("\n").length - 1,
    backBytes: bytes(back),
    inOrder: back === text,
    firstDifference,
    seconds: client.seconds,
    finished: client.code === 0,
    resent: await tcpResent(ALUMNO) + await tcpResent(SERVIDOR) - resentBefore,
    ...await linkCount(withLoss, before),
  };
}

interface UdpResult {
  sent: number;
  answered: number;
  givenUp: number;
  tries: number;
  seconds: number;
  arrived: number;
  dropped: number;
}

const UDP_TIMEOUT_MS = 250;
const UDP_RETRIES = 3;

async function udpOverLink(
  datagrams: number,
  withLoss: boolean,
  show: boolean,
): Promise<UdpResult> {
  const messages = Array.from(
    { length: datagrams },
    (_, n) => `datagram ${String(n + 1).padStart(3, "0")}`,
  );
  const before = withLoss ? await counted() : { arrived: 0, dropped: 0 };
  const server = await startServer(SERVIDOR, [
    "run",
    netFlag(`0.0.0.0:${PORT}`, ALUMNO.ip),
    "udp_server.ts",
    "--quiet",
  ]);
  const result: UdpResult = {
    sent: datagrams,
    answered: 0,
    givenUp: 0,
    tries: 0,
    seconds: 0,
    arrived: 0,
    dropped: 0,
  };
  // udp_client.ts stops at the first message it gives up on: start it again with the rest.
  // At most one run per message, each bounded in time.
  let next = 0;
  for (let runs = 0; next < messages.length && runs < messages.length; runs++) {
    const rest = messages.slice(next);
    const client = await runClient(ALUMNO, [
      "run",
      netFlag("0.0.0.0:0", at(SERVIDOR)),
      "udp_client.ts",
      "--host",
      SERVIDOR.ip,
      "--timeout",
      String(UDP_TIMEOUT_MS),
      "--retries",
      String(UDP_RETRIES),
    ], {
      show,
      ms: 60_000,
      input: rest.map((message) => message + "\n").join(""),
      note: `its input: ${inputNote(rest)}`,
    });
    result.seconds += client.seconds;
    for (const line of client.stdout.split("\n")) {
      const reply = line.match(/^(datagram \d+) {2}\(reply in [\d.]+ ms, (\d+) tr(?:y|ies)\)$/);
      if (reply && reply[1] === messages[next]) {
        result.answered++;
        result.tries += Number(reply[2]);
        next++;
      }
    }
    if (client.code === 0) break;
    if (oneErrorLine(client.stderr, "udp_client.ts", /no reply/i)) {
      result.givenUp++;
      result.tries += UDP_RETRIES + 1;
      next++;
    } else {
      throw new Error(`udp_client.ts failed: ${client.stderr.join(" ")}`);
    }
  }
  await server.stop();
  Object.assign(result, await linkCount(withLoss, before));
  return result;
}

async function lossyLink(options: { loss: number; lines: number; datagrams: number }) {
  say(`Step 1. The same transfers over a perfect cable first, to have a time to compare with:
client.ts sends ${options.lines} lines to server.ts, which sends each one back; udp_client.ts sends
${options.datagrams} datagrams to udp_server.ts, which sends each one back.`);
  const tcpClean = await tcpOverLink(options.lines, false);
  const udpClean = await udpOverLink(options.datagrams, false, false);
  console.log(
    `  TCP: ${tcpClean.backLines} of ${tcpClean.sentLines} lines back in ` +
      `${tcpClean.seconds.toFixed(1)} s; UDP: ${udpClean.answered} of ${udpClean.sent} replies ` +
      `in ${udpClean.seconds.toFixed(1)} s, ${udpClean.tries} tries`,
  );

  say(`Step 2. Now each computer drops ${options.loss}% of the packets that reach it from the
cable, at random (an nftables rule inside each namespace; connection requests, TCP's SYN, are
spared so that client.ts's 5 s limit to connect is not what we measure):`);
  for (const who of [ALUMNO, SERVIDOR]) {
    const rules = lossRules(who, options.loss);
    console.log(`${label(who)} # nft -f -   ${rules.split("\n")[5].trim()}`);
    await must("ip", ["netns", "exec", who.ns, "nft", "-f", "-"], rules);
  }

  say(`Step 3. TCP over the lossy link: ${options.lines} lines out and back.`);
  const tcp = await tcpOverLink(options.lines, true);
  console.log(
    `  ${tcp.backLines} of ${tcp.sentLines} lines and ${tcp.backBytes} of ${tcp.sentBytes} ` +
      `bytes came back in ${
        tcp.seconds.toFixed(1)
      } s; the link dropped ${tcp.dropped} of ${tcp.arrived} packets ` +
      `and TCP sent ${tcp.resent} segments again`,
  );
  check(
    tcp.finished && tcp.inOrder,
    "every byte came back, in order: TCP sent the lost ones again by itself",
    tcp.firstDifference ? ` (first different line: ${tcp.firstDifference})` : "",
  );

  say(`Step 4. UDP over the lossy link: ${options.datagrams} datagrams, each waiting
${UDP_TIMEOUT_MS} ms for its reply and sent up to ${UDP_RETRIES} more times. udp_client.ts stops
at a message it gives up on; the lab then starts it again with the rest.`);
  const udp = await udpOverLink(options.datagrams, true, true);
  check(
    udp.tries > udp.answered + udp.givenUp,
    `datagrams were lost and udp_client.ts had to send again (${
      udp.tries - udp.sent
    } times); ${udp.givenUp} given up`,
  );

  const rows: [string, string, string][] = [
    ["", "TCP: client.ts", "UDP: udp_client.ts"],
    ["sent", `${tcp.sentLines} lines, ${tcp.sentBytes} bytes`, `${udp.sent} datagrams`],
    [
      "came back",
      tcp.inOrder ? `all ${tcp.backLines} lines, in order` : `${tcp.backLines} lines, NOT in order`,
      `${udp.answered} replies`,
    ],
    ["given up", tcp.finished ? "none" : "the transfer", `${udp.givenUp}`],
    [
      "sent again",
      `${tcp.resent} segments, by the kernel`,
      `${udp.tries - udp.sent} datagrams, by the client`,
    ],
    ["packets dropped", `${tcp.dropped} of ${tcp.arrived}`, `${udp.dropped} of ${udp.arrived}`],
    ["time, no loss", `${tcpClean.seconds.toFixed(1)} s`, `${udpClean.seconds.toFixed(1)} s`],
    [`time, ${options.loss}% loss`, `${tcp.seconds.toFixed(1)} s`, `${udp.seconds.toFixed(1)} s`],
  ];
  const width = [0, 1, 2].map((column) => Math.max(...rows.map((row) => row[column].length)));
  say(`The lossy link (${options.loss}% of packets dropped each way), side by side:`);
  for (const row of rows) {
    console.log(`  ${row.map((cell, column) => cell.padEnd(width[column])).join("   ").trimEnd()}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Scenario: the chat across computers.

async function chat() {
  say(`Step 1. The chat room on servidor; Ana and Beto both on alumno, each with client.ts.`);
  const server = await startServer(SERVIDOR, [
    "run",
    netFlag(`0.0.0.0:${PORT}`),
    ...CHAT_SERVER,
  ]);
  const client = (name: string) =>
    start(ALUMNO, [
      "run",
      netFlag(at(SERVIDOR)),
      "client.ts",
      "--host",
      SERVIDOR.ip,
      "--name",
      name,
    ], { input: true, person: name });
  const ana = client("Ana");
  const anaIn = await ana.waitFor(/^welcome to the chat/, 10_000);
  const beto = client("Beto");
  const betoIn = await beto.waitFor(/^welcome to the chat/, 10_000);
  check(!!anaIn && !!betoIn, "both joined the room across the cable");
  await ana.waitFor(/is now Beto$/, 5_000);

  say(`Step 2. Ana types a line (shown after ">"), then Beto answers.`);
  console.log(`${label(ALUMNO, "Ana")} > hola Beto, ¿me leés?`);
  await ana.write("hola Beto, ¿me leés?\n");
  const heard = await beto.waitFor(/^Ana: hola Beto/, 5_000);
  console.log(`${label(ALUMNO, "Beto")} > sí, Ana: te leo a través de servidor`);
  await beto.write("sí, Ana: te leo a través de servidor\n");
  const answered = await ana.waitFor(/^Beto: sí, Ana/, 5_000);
  check(!!heard && !!answered, "each one's line reached the other through servidor");

  say(`Step 3. Ana, then Beto, end their input (Ctrl-D): servidor closes each one's connection,
and each client exits.`);
  await ana.endInput();
  await beto.waitFor(/^\* Ana left/, 5_000);
  await beto.endInput();
  const [anaEnd, betoEnd] = [await ana.finish(10_000), await beto.finish(10_000)];
  check(anaEnd.code === 0 && betoEnd.code === 0, "both clients ended cleanly");
  await server.stop();
}

// ---------------------------------------------------------------------------------------------
// Plumbing: checks before anything is made, scenarios in order, removal on every path.

const TITLES: Record<Scenario, string> = {
  "two-computers": "Two computers: a server on one, a client on the other",
  "wrong-address": "Wrong address: nobody there, no way there, and a gateway that stays silent",
  "lossy-link": "A lossy link: TCP against UDP",
  "chat": "The chat across computers",
};

async function preflight(scenarios: Scenario[]) {
  if (Deno.build.os !== "linux") fail(`needs Linux (network namespaces); this is ${Deno.build.os}`);
  let uid: number | null;
  try {
    uid = Deno.uid();
  } catch {
    fail("needs --allow-sys=uid to check for root: run it as deno task lab");
  }
  if (uid !== 0) fail("needs root to make network namespaces: run it as sudo deno task lab");
  const missing = [];
  if (!await hasCommand("ip", "-V")) missing.push("ip (Debian package iproute2)");
  if (scenarios.includes("lossy-link") && !await hasCommand("nft", "--version")) {
    missing.push("nft (Debian package nftables)");
  }
  if (missing.length > 0) {
    fail(`needs ${missing.join(" and ")}: apt-get install iproute2 nftables`);
  }
  if ((await ourNamespaces()).length > 0) {
    const owner = await liveOwner();
    if (owner) fail(`another lab run (pid ${owner}) is using ${ALUMNO.ns} and ${SERVIDOR.ns}`);
    console.log(
      `Found leftovers of an earlier run (${(await ourNamespaces()).join(", ")}): ` +
        "removing them first.",
    );
    await removeAll();
  }
}

let removing: Promise<void> | undefined;
function removeOnce(): Promise<void> {
  removing ??= removeAll();
  return removing;
}

async function main() {
  const options = parseFlags();
  await preflight(options.scenarios);
  // Ctrl-C, SIGTERM, or the terminal closing: remove everything, then exit as a signal would.
  const codes: Partial<Record<Deno.Signal, number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };
  for (const [signal, code] of Object.entries(codes) as [Deno.Signal, number][]) {
    Deno.addSignalListener(signal, async () => {
      console.log(`\nlab.ts: ${signal}: removing the two computers and everything in them`);
      stopping = true;
      try {
        await building?.catch(() => {}); // a half-built pair is removed whole
        await removeOnce();
        console.log("lab.ts: removed; nothing is left behind");
      } catch (error) {
        console.error(`lab.ts: ${(error as Error).message}`);
      }
      Deno.exit(code);
    });
  }

  console.log(
    `Two computers on one machine: ${ALUMNO.ns} (${ALUMNO.ip}) and ${SERVIDOR.ns} ` +
      `(${SERVIDOR.ip}),
network namespaces joined by a virtual cable (${ALUMNO.dev} <-> ${SERVIDOR.dev}). Each command
below runs inside one of them as: ip netns exec NAMESPACE deno run ...`,
  );
  let number = 0;
  try {
    for (const scenario of options.scenarios) {
      console.log(`\n=== ${++number}. ${TITLES[scenario]} (--only ${scenario}) ===`);
      await build();
      if (scenario === "two-computers") await twoComputers();
      if (scenario === "wrong-address") await wrongAddress();
      if (scenario === "lossy-link") await lossyLink(options);
      if (scenario === "chat") await chat();
      await removeAll(); // the next scenario starts from two fresh computers
    }
  } catch (error) {
    if (stopping) await new Promise(() => {}); // the signal handler removes everything and exits
    checks++;
    failures++;
    console.error(`lab.ts: ${(error as Error).message}`);
  } finally {
    await removeOnce();
  }
  const left = await ourNamespaces();
  console.log(
    `\nlab finished: ${checks - failures} of ${checks} checks as expected; ` +
      (left.length === 0
        ? "nothing left behind (no kit- namespace, cable or nftables table)"
        : `LEFT BEHIND: ${left.join(", ")}`),
  );
  Deno.exit(failures === 0 ? 0 : 1);
}

if (import.meta.main) await main();
