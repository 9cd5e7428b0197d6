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
//
// It speaks Spanish on a Spanish machine and English elsewhere (--lang es|en forces one), and the
// scripts it starts speak the same: they get it in LC_ALL (docs/language.md). Its messages are in
// one table at the end; what it reads of the scripts' lines is in SAID, below.

import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
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
const PORT = 21042; // free by construction: each namespace has its own ports
const PREFIX = "kit-"; // every name the lab creates starts with it, so leftovers are recognisable
const NFT_TABLE = "kit_lab"; // the nftables table that drops packets, inside each namespace
// The chat room's script.
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

const escapeRegExp = (literal: string) => literal.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

// What the lab reads in the scripts' lines. The scripts speak the lab's language, so it reads what
// never changes with it where it can (addresses, numbers, exit codes, the "* " of a chat notice,
// the "client.ts: " of an error line); where it must read words, it takes the English ones and the
// Spanish ones of the scripts' MESSAGES tables (quoted beside each). Check these when those change.
const SAID = {
  /** server.ts's last line about a client: "closed 10.213.42.1:40000: 2 lines, 14 bytes". */
  closedFrom: (ip: string) => new RegExp(`${ip.replaceAll(".", "\\.")}:\\d+: `),
  /** client.ts: "connection refused by ..." / "... rechazó la conexión". */
  refused: /refused|rechazó/i,
  /** client.ts, udp_client.ts: "no route to ..." / "no hay ruta hasta ...". */
  noRoute: /no route|no hay ruta/i,
  /** client.ts, udp_client.ts: "network unreachable for ..." / "no se llega a la red de ...". */
  unreachable: /unreachable|no se llega a la red/i,
  /** client.ts gives up connecting after 5 s: "no answer from ... within 5 s" / "no contestó en 5 s". */
  noAnswer: /\b5 s\b/,
  /**
   * udp_client.ts's reply line, "hola  (reply in 0.4 ms, 1 try)" / "hola  (respuesta en 0.4 ms,
   * 1 intento)": the message, then its tries.
   */
  reply: (message: string) =>
    new RegExp(`^${escapeRegExp(message)} {2}\\(\\D*[\\d.,]+ ms, (\\d+) [^)]*\\)$`),
  /** udp_client.ts: "no reply from ... after 4 tries" / "sin respuesta de ... tras 4 intentos". */
  noReply: /no reply|sin respuesta/i,
  /** chat_server.ts: "welcome to the chat, Ana: ..." / "bienvenido al chat, Ana: ...". */
  chatWelcome: /^(welcome to the chat|bienvenid[oa] al chat)\b/i,
  /** A chat notice that names someone: "* guest-2 is now Beto", "* Ana left (1 online)". */
  notice: (name: string) => new RegExp(`^\\* .*\\b${name}\\b`),
  /** A line that another member of the chat sent: "Ana: hola Beto, ...". */
  from: (name: string, start: string) => new RegExp(`^${name}: ${start}`),
  /**
   * Deno's prompt or a refused permission ("no permission" / "no hay permiso"), or udp_server.ts's
   * "cannot reply to ..." / "no se puede responder a ...".
   */
  balked: /NotCapable|no permission|no hay permiso|cannot reply|no se puede responder|Allow\?/i,
};

let lang: Lang = "en";
let text: Texts<typeof MESSAGES>;

function usageError(message: string): never {
  console.error(`lab.ts: ${message}\n${text.usage(SCENARIOS.join(", "))}`);
  Deno.exit(2);
}

function fail(message: string): never {
  console.error(`lab.ts: ${message}`);
  Deno.exit(1);
}

function parseWholeNumber(given: string, flag: string, min: number, max: number): number {
  if (!/^\d+$/.test(given) || +given < min || +given > max) {
    usageError(text.wholeNumber(flag, min, max));
  }
  return Number(given);
}

/** The language first (a usage error must already be in it), then the flags. */
function parseFlags() {
  const chosen = chooseLanguage(Deno.args);
  if ("error" in chosen) {
    console.error(`lab.ts: ${chosen.error}\n${MESSAGES.usage.en(SCENARIOS.join(", "))}`);
    Deno.exit(2);
  }
  lang = chosen.lang;
  text = pickTexts(MESSAGES, lang);
  let values;
  try {
    values = parseArgs({
      options: {
        only: { type: "string" },
        loss: { type: "string", default: "20" },
        lines: { type: "string", default: "3000" },
        datagrams: { type: "string", default: "20" },
        lang: { type: "string" },
        help: { type: "boolean", default: false },
      },
    }).values;
  } catch (error) {
    const { kind, what } = argsProblem(error);
    usageError(text.badArgs(kind, what));
  }
  if (values.help) {
    console.log(text.usage(SCENARIOS.join(", ")));
    Deno.exit(0);
  }
  if (values.only !== undefined && !SCENARIOS.includes(values.only as Scenario)) {
    usageError(text.onlyOneOf(SCENARIOS.join(", ")));
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
    const why = result.err.trim() || text.exitCode(result.code);
    throw new Error(`${command} ${args.join(" ")}: ${why}`);
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
  if (left.length > 0) throw new Error(text.couldNotRemove(left.join(", ")));
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
  /** The first line (from line number `from` on) that matches, waiting `ms` at most for it. */
  waitFor(pattern: RegExp, ms: number, from?: number): Promise<string | undefined>;
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
  finish(ms: number): Promise<Deno.CommandStatus>;
}

/** Show a command as the user would type it. */
function shown(args: string[]): string {
  return args.map((arg) => /[\s"]/.test(arg) ? JSON.stringify(arg) : arg).join(" ");
}

/** "its input: N lines, "first" to "last"", for a client's input. */
function inputNote(lines: string[]): string {
  const [first, last] = [JSON.stringify(lines[0]), JSON.stringify(lines.at(-1))];
  return lines.length === 1 ? text.inputOne(first) : text.inputMany(lines.length, first, last);
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
    env: { NO_COLOR: "1", ...languageEnv(lang) },
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
    waitFor(pattern, ms, from = 0) {
      const seen = process.lines.slice(from).find((line) => pattern.test(line.text));
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
    const take = (line: string) => {
      process.lines.push({ stream: kind, text: line });
      if (show) console.log(`${tag} | ${line}`);
      for (const waiter of waiters.filter((waiter) => waiter.pattern.test(line))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    };
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      if (kind === "out") process.stdout += chunk;
      pending += chunk;
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
    throw new Error(text.didNotStart(denoArgs.join(" "), who.name));
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
  if (options.note) console.log(`${label(who)}   (${options.note})`); // a note of the lab's own
  if (options.input !== undefined) {
    // It may have ended early: its output says why.
    await client.write(options.input).catch(() => {});
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

function say(paragraph: string) {
  console.log(`\n${paragraph}`);
}

function check(ok: boolean, expected: string, instead = "") {
  checks++;
  if (!ok) failures++;
  console.log(ok ? text.asExpected(expected) : text.notAsExpected(expected, instead));
}

/** "(client.ts ended after 3.1 s, exit 1)": how a client that had to fail ended. */
function ended(client: { seconds: number; code: number }) {
  console.log(`  ${text.clientEnded(client.seconds.toFixed(1), client.code)}`);
}

function oneErrorLine(stderr: string[], script: string, pattern: RegExp): boolean {
  return stderr.length === 1 && stderr[0].startsWith(`${script}: `) && pattern.test(stderr[0]);
}

const netFlag = (...addresses: string[]) => `--allow-net=${addresses.join(",")}`;
const at = (computer: Computer, port = PORT) => `${computer.ip}:${port}`;

// ---------------------------------------------------------------------------------------------
// Scenario: two computers.

async function twoComputers() {
  say(text.twoStep1(SERVIDOR.ip));
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
  const seen = await server.waitFor(SAID.closedFrom(ALUMNO.ip), 3_000);
  check(
    echo.code === 0 && echo.stdout.endsWith("hola\nqué tal\n"),
    text.crossedAndBack,
    text.clientExit(echo.code),
  );
  check(seen !== undefined, text.sawAlumno(ALUMNO.ip));
  await server.stop();

  say(text.twoStep2(SERVIDOR.ip));
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
    refused.code === 1 && oneErrorLine(refused.stderr, "client.ts", SAID.refused),
    text.refused(at(SERVIDOR)),
  );
  const local = await runClient(SERVIDOR, [
    "run",
    netFlag(`127.0.0.1:${PORT}`),
    "client.ts",
    "--host",
    "127.0.0.1",
    "hola",
  ]);
  check(local.code === 0 && local.stdout.endsWith("hola\n"), text.answersItsOwn);
  await server.stop();

  say(text.twoStep3);
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
  const replied = (stdout: string) =>
    stdout.split("\n").some((line) => SAID.reply("hola").test(line));
  check(udp.code === 0 && replied(udp.stdout), text.datagramCrossed(ALUMNO.ip));
  await server.stop();

  say(text.twoStep4(SERVIDOR.ip));
  server = await startServer(SERVIDOR, ["task", "udp-server"]);
  const task = await runClient(ALUMNO, ["task", "udp-client", "--host", SERVIDOR.ip, "hola"]);
  const balked = [...server.lines, ...task.lines].some((line) => SAID.balked.test(line.text));
  check(task.code === 0 && replied(task.stdout) && !balked, text.tasksReply);
  await server.stop();
}

// ---------------------------------------------------------------------------------------------
// Scenario: wrong address.

async function wrongAddress() {
  const network = `${ALUMNO.ip.replace(/\d+$/, "0")}/24`;
  say(text.wrongStep1(NOBODY, network));
  const nobody = await runClient(ALUMNO, [
    "run",
    netFlag(`${NOBODY}:${PORT}`),
    "client.ts",
    "--host",
    NOBODY,
    "hola",
  ]);
  ended(nobody);
  check(
    nobody.code === 1 && oneErrorLine(nobody.stderr, "client.ts", SAID.noRoute) &&
      nobody.seconds >= 2 && nobody.seconds < 8,
    text.noRouteAfter3s,
  );

  say(text.wrongStep2(NO_ROUTE, network));
  const noRoute = await runClient(ALUMNO, [
    "run",
    netFlag(`${NO_ROUTE}:${PORT}`),
    "client.ts",
    "--host",
    NO_ROUTE,
    "hola",
  ]);
  ended(noRoute);
  check(
    noRoute.code === 1 && oneErrorLine(noRoute.stderr, "client.ts", SAID.unreachable) &&
      noRoute.seconds < 2,
    text.unreachableAtOnce,
  );

  say(text.wrongStep3);
  await must("ip", ["-n", ALUMNO.ns, "route", "add", "default", "via", SERVIDOR.ip]);
  const silent = await runClient(ALUMNO, [
    "run",
    netFlag(`${NO_ROUTE}:${PORT}`),
    "client.ts",
    "--host",
    NO_ROUTE,
    "hola",
  ]);
  ended(silent);
  const named = silent.stderr.some((line) => line.includes(`${NO_ROUTE}:${PORT}`));
  check(
    silent.code === 1 && oneErrorLine(silent.stderr, "client.ts", SAID.noAnswer) && named &&
      silent.seconds >= 4,
    text.silence,
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
  const input = Array.from({ length: lines }, (_, n) => `${text.lineOfData(n + 1, lines)}\n`)
    .join("");
  const resentBefore = await tcpResent(ALUMNO) + await tcpResent(SERVIDOR);
  const before = withLoss ? await counted() : { arrived: 0, dropped: 0 };
  const server = await startServer(SERVIDOR, ["run", netFlag(`0.0.0.0:${PORT}`), "server.ts"]);
  const client = await runClient(
    ALUMNO,
    ["run", netFlag(at(SERVIDOR)), "client.ts", "--host", SERVIDOR.ip],
    {
      show: false,
      input,
      ms: 120_000,
      note: inputNote(input.split("\n").slice(0, -1)),
    },
  );
  for (const line of client.stderr) console.log(`${label(ALUMNO)} | ${line}`);
  await server.waitFor(SAID.closedFrom(ALUMNO.ip), 3_000);
  await server.stop();
  // What came back is the welcome line, then the echo.
  const back = client.stdout.slice(client.stdout.indexOf("\n") + 1);
  const sent = input.split("\n");
  const got = back.split("\n");
  const firstDifference = back === input ? 0 : 1 + sent.findIndex((line, n) => got[n] !== line);
  const bytes = (s: string) => new TextEncoder().encode(s).length;
  return {
    sentLines: lines,
    sentBytes: bytes(input),
    backLines: back.split("\n").length - 1,
    backBytes: bytes(back),
    inOrder: back === input,
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
  const messages = Array.from({ length: datagrams }, (_, n) => text.datagram(n + 1));
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
      note: inputNote(rest),
    });
    result.seconds += client.seconds;
    for (const line of client.stdout.split("\n")) {
      const reply = next < messages.length ? line.match(SAID.reply(messages[next])) : null;
      if (reply) {
        result.answered++;
        result.tries += Number(reply[1]);
        next++;
      }
    }
    if (client.code === 0) break;
    if (oneErrorLine(client.stderr, "udp_client.ts", SAID.noReply)) {
      result.givenUp++;
      result.tries += UDP_RETRIES + 1;
      next++;
    } else {
      throw new Error(text.udpFailed(client.stderr.join(" ")));
    }
  }
  await server.stop();
  Object.assign(result, await linkCount(withLoss, before));
  return result;
}

async function lossyLink(options: { loss: number; lines: number; datagrams: number }) {
  say(text.lossyStep1(options.lines, options.datagrams));
  const tcpClean = await tcpOverLink(options.lines, false);
  const udpClean = await udpOverLink(options.datagrams, false, false);
  console.log(`  ${text.cleanSummary(tcpClean, udpClean)}`);

  say(text.lossyStep2(options.loss));
  for (const who of [ALUMNO, SERVIDOR]) {
    const rules = lossRules(who, options.loss);
    console.log(`${label(who)} # nft -f -   ${rules.split("\n")[5].trim()}`);
    await must("ip", ["netns", "exec", who.ns, "nft", "-f", "-"], rules);
  }

  say(text.lossyStep3(options.lines));
  const tcp = await tcpOverLink(options.lines, true);
  console.log(`  ${text.tcpSummary(tcp)}`);
  check(tcp.finished && tcp.inOrder, text.everyByteBack, text.firstDifference(tcp.firstDifference));

  say(text.lossyStep4(options.datagrams, UDP_TIMEOUT_MS, UDP_RETRIES));
  const udp = await udpOverLink(options.datagrams, true, true);
  check(udp.tries > udp.answered + udp.givenUp, text.udpResent(udp.tries - udp.sent, udp.givenUp));

  const rows = text.sideBySide(tcp, udp, { tcp: tcpClean.seconds, udp: udpClean.seconds }, options);
  const width = [0, 1, 2].map((column) => Math.max(...rows.map((row) => row[column].length)));
  say(text.sideBySideTitle(options.loss));
  for (const row of rows) {
    console.log(`  ${row.map((cell, column) => cell.padEnd(width[column])).join("   ").trimEnd()}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Scenario: the chat across computers.

async function chat() {
  say(text.chatStep1);
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
  const anaIn = await ana.waitFor(SAID.chatWelcome, 10_000);
  const beto = client("Beto");
  const betoIn = await beto.waitFor(SAID.chatWelcome, 10_000);
  check(!!anaIn && !!betoIn, text.bothJoined);
  await ana.waitFor(SAID.notice("Beto"), 5_000); // the room knows Beto by name

  say(text.chatStep2);
  console.log(`${label(ALUMNO, "Ana")} > hola Beto, ¿me leés?`);
  await ana.write("hola Beto, ¿me leés?\n");
  const heard = await beto.waitFor(SAID.from("Ana", "hola Beto"), 5_000);
  console.log(`${label(ALUMNO, "Beto")} > sí, Ana: te leo a través de servidor`);
  await beto.write("sí, Ana: te leo a través de servidor\n");
  const answered = await ana.waitFor(SAID.from("Beto", "sí, Ana"), 5_000);
  check(!!heard && !!answered, text.eachReached);

  say(text.chatStep3);
  const seenByBeto = beto.lines.length;
  await ana.endInput();
  await beto.waitFor(SAID.notice("Ana"), 5_000, seenByBeto); // Ana left
  await beto.endInput();
  const [anaEnd, betoEnd] = [await ana.finish(10_000), await beto.finish(10_000)];
  check(anaEnd.code === 0 && betoEnd.code === 0, text.bothEnded);
  await server.stop();
}

// ---------------------------------------------------------------------------------------------
// Plumbing: checks before anything is made, scenarios in order, removal on every path.

async function preflight(scenarios: Scenario[]) {
  if (Deno.build.os !== "linux") fail(text.needsLinux(Deno.build.os));
  let uid: number | null;
  try {
    uid = Deno.uid();
  } catch {
    fail(text.needsUidFlag);
  }
  if (uid !== 0) fail(text.needsRoot);
  const missing = [];
  if (!await hasCommand("ip", "-V")) missing.push(text.ipPackage);
  if (scenarios.includes("lossy-link") && !await hasCommand("nft", "--version")) {
    missing.push(text.nftPackage);
  }
  if (missing.length > 0) fail(text.needs(missing));
  if ((await ourNamespaces()).length > 0) {
    const owner = await liveOwner();
    if (owner) fail(text.anotherRun(owner, ALUMNO.ns, SERVIDOR.ns));
    console.log(text.leftovers((await ourNamespaces()).join(", ")));
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
      console.log(`\nlab.ts: ${text.removing(signal)}`);
      stopping = true;
      try {
        await building?.catch(() => {}); // a half-built pair is removed whole
        await removeOnce();
        console.log(`lab.ts: ${text.removed}`);
      } catch (error) {
        console.error(`lab.ts: ${(error as Error).message}`);
      }
      Deno.exit(code);
    });
  }

  console.log(text.header(ALUMNO, SERVIDOR));
  let number = 0;
  try {
    for (const scenario of options.scenarios) {
      console.log(`\n=== ${++number}. ${text.titles[scenario]} (--only ${scenario}) ===`);
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
  console.log(`\n${text.finished(checks - failures, checks, left)}`);
  Deno.exit(failures === 0 ? 0 : 1);
}

// Every line for a person, English and Spanish side by side (--lang, or the system's language).
// Flags, scenario names, commands, addresses and the system's error texts ("No route to host")
// stay as they are in both.
const MESSAGES = {
  usage: {
    en: (scenarios: string) =>
      `usage: deno task lab [--only NAME] [--loss P] [--lines N] [--datagrams N] [--lang es|en]
  (as root on Linux; the task is deno run --allow-run --allow-read --allow-sys=uid tools/lab.ts)
  --only NAME      run one scenario (default: all, in this order):
                   ${scenarios}
  --loss P         percent of packets the lossy link drops, each way, 0 to 90 (default 20)
  --lines N        lines client.ts sends over the lossy link, 1 to 100000 (default 3000)
  --datagrams N    datagrams udp_client.ts sends over the lossy link, 1 to 500 (default 20)
  --lang es|en     the language of what it prints (default: the system's)
  --help           this help
It needs the commands ip (Debian package iproute2) and, for lossy-link, nft (package nftables).`,
    es: (scenarios: string) =>
      `uso: deno task lab [--only NOMBRE] [--loss P] [--lines N] [--datagrams N] [--lang es|en]
  (como root, en Linux; la tarea es deno run --allow-run --allow-read --allow-sys=uid tools/lab.ts)
  --only NOMBRE    corre un solo escenario (si no lo das, todos, en este orden):
                   ${scenarios}
  --loss P         porcentaje de paquetes que pierde el enlace malo, en cada sentido, de 0 a 90
                   (si no lo das, 20)
  --lines N        líneas que manda client.ts por el enlace malo, de 1 a 100000 (si no, 3000)
  --datagrams N    datagramas que manda udp_client.ts por el enlace malo, de 1 a 500 (si no, 20)
  --lang es|en     el idioma de lo que muestra (si no lo das, el del sistema)
  --help           esta ayuda
Necesita los comandos ip (paquete de Debian iproute2) y, para lossy-link, nft (paquete nftables).`,
  },
  badArgs: badArgsTexts({ en: "the lab takes none", es: "el laboratorio no lleva argumentos" }),
  wholeNumber: {
    en: (flag: string, min: number, max: number) =>
      `${flag} must be a whole number from ${min} to ${max}`,
    es: (flag: string, min: number, max: number) =>
      `${flag} tiene que ser un número entero de ${min} a ${max}`,
  },
  onlyOneOf: {
    en: (scenarios: string) => `--only must be one of ${scenarios}`,
    es: (scenarios: string) => `--only tiene que ser uno de ${scenarios}`,
  },
  needsLinux: {
    en: (os: string) => `needs Linux (network namespaces); this is ${os}`,
    es: (os: string) => `necesita Linux (espacios de nombres de red); esto es ${os}`,
  },
  needsUidFlag: {
    en: "needs --allow-sys=uid to check for root: run it as deno task lab",
    es: "necesita --allow-sys=uid para ver si es root: correlo como deno task lab",
  },
  needsRoot: {
    en: "needs root to make network namespaces: run it as sudo deno task lab",
    es: "necesita ser root para crear espacios de nombres de red: correlo como sudo deno task lab",
  },
  ipPackage: { en: "ip (Debian package iproute2)", es: "ip (paquete de Debian iproute2)" },
  nftPackage: { en: "nft (Debian package nftables)", es: "nft (paquete de Debian nftables)" },
  needs: {
    en: (missing: string[]) => `needs ${missing.join(" and ")}: apt-get install iproute2 nftables`,
    es: (missing: string[]) => `necesita ${missing.join(" y ")}: apt-get install iproute2 nftables`,
  },
  anotherRun: {
    en: (pid: number, a: string, b: string) =>
      `another lab run (pid ${pid}) is using ${a} and ${b}`,
    es: (pid: number, a: string, b: string) =>
      `otra corrida del laboratorio (pid ${pid}) está usando ${a} y ${b}`,
  },
  leftovers: {
    en: (names: string) => `Found leftovers of an earlier run (${names}): removing them first.`,
    es: (names: string) => `Quedaron restos de una corrida anterior (${names}): primero los borro.`,
  },
  removing: {
    en: (signal: string) => `${signal}: removing the two computers and everything in them`,
    es: (signal: string) => `${signal}: borrando las dos computadoras y todo lo que tienen adentro`,
  },
  removed: { en: "removed; nothing is left behind", es: "borradas; no quedó nada" },
  couldNotRemove: {
    en: (names: string) => `could not remove ${names}`,
    es: (names: string) => `no se pudo borrar ${names}`,
  },
  exitCode: {
    en: (code: number) => `exit ${code}`,
    es: (code: number) => `código de salida ${code}`,
  },
  didNotStart: {
    en: (command: string, computer: string) => `${command} did not start on ${computer}`,
    es: (command: string, computer: string) => `${command} no arrancó en ${computer}`,
  },
  udpFailed: {
    en: (said: string) => `udp_client.ts failed: ${said}`,
    es: (said: string) => `udp_client.ts falló: ${said}`,
  },
  header: {
    en: (a: Computer, b: Computer) =>
      `Two computers on one machine: ${a.ns} (${a.ip}) and ${b.ns} (${b.ip}),
network namespaces joined by a virtual cable (${a.dev} <-> ${b.dev}). Each command
below runs inside one of them as: ip netns exec NAMESPACE deno run ...`,
    es: (a: Computer, b: Computer) =>
      `Dos computadoras en una sola máquina: ${a.ns} (${a.ip}) y ${b.ns} (${b.ip}),
espacios de nombres de red unidos por un cable virtual (${a.dev} <-> ${b.dev}). Cada comando
de abajo corre dentro de una de ellas así: ip netns exec ESPACIO deno run ...`,
  },
  titles: {
    en: {
      "two-computers": "Two computers: a server on one, a client on the other",
      "wrong-address": "Wrong address: nobody there, no way there, and a gateway that stays silent",
      "lossy-link": "A lossy link: TCP against UDP",
      "chat": "The chat across computers",
    } as Record<Scenario, string>,
    es: {
      "two-computers": "Dos computadoras: un servidor en una, un cliente en la otra",
      "wrong-address":
        "Dirección equivocada: nadie ahí, ningún camino, y una puerta de enlace que se calla",
      "lossy-link": "Un enlace malo, que pierde paquetes: TCP contra UDP",
      "chat": "El chat entre computadoras",
    } as Record<Scenario, string>,
  },
  asExpected: {
    en: (what: string) => `  -> as expected: ${what}`,
    es: (what: string) => `  -> como se esperaba: ${what}`,
  },
  notAsExpected: {
    en: (what: string, instead: string) => `  -> NOT as expected: ${what}${instead}`,
    es: (what: string, instead: string) => `  -> NO como se esperaba: ${what}${instead}`,
  },
  inputOne: {
    en: (line: string) => `its input: 1 line, ${line}`,
    es: (line: string) => `su entrada: 1 línea, ${line}`,
  },
  inputMany: {
    en: (count: number, first: string, last: string) =>
      `its input: ${count} lines, ${first} to ${last}`,
    es: (count: number, first: string, last: string) =>
      `su entrada: ${count} líneas, de ${first} a ${last}`,
  },
  clientEnded: {
    en: (seconds: string, code: number) => `(client.ts ended after ${seconds} s, exit ${code})`,
    es: (seconds: string, code: number) =>
      `(client.ts terminó a los ${seconds} s, código de salida ${code})`,
  },
  clientExit: {
    en: (code: number) => ` (client exit ${code})`,
    es: (code: number) => ` (client.ts salió con código ${code})`,
  },
  // Scenario: two computers.
  twoStep1: {
    en: (ip: string) =>
      `Step 1. On servidor, server.ts listens on 0.0.0.0, the lesson's "": every address servidor
has, ${ip} included. On alumno, client.ts connects to ${ip}.`,
    es: (ip: string) =>
      `Paso 1. En servidor, server.ts escucha en 0.0.0.0, el "" de la lección: todas las direcciones
que tiene servidor, ${ip} incluida. En alumno, client.ts se conecta a ${ip}.`,
  },
  crossedAndBack: {
    en: "alumno's lines crossed the cable and came back",
    es: "las líneas de alumno cruzaron el cable y volvieron",
  },
  sawAlumno: {
    en: (ip: string) => `servidor saw the client come from ${ip}, alumno's address`,
    es: (ip: string) => `servidor vio llegar al cliente desde ${ip}, la dirección de alumno`,
  },
  twoStep2: {
    en: (ip: string) =>
      `Step 2. server.ts listens on 127.0.0.1 only: the loopback address that every computer has
for itself. alumno tries ${ip}; then a client on servidor itself tries 127.0.0.1.`,
    es: (ip: string) =>
      `Paso 2. server.ts escucha solo en 127.0.0.1: la dirección de loopback que cada computadora
tiene para sí misma. alumno prueba ${ip}; después, un cliente en el mismo servidor prueba
127.0.0.1.`,
  },
  refused: {
    en: (address: string) =>
      `refused from alumno: nothing listens on ${address}, so servidor's system answers the ` +
      "connection with a reset",
    es: (address: string) =>
      `rechazada desde alumno: nada escucha en ${address}, así que el sistema de servidor ` +
      "contesta la conexión con un reset",
  },
  answersItsOwn: {
    en: "the same server answers a client on its own computer",
    es: "el mismo servidor atiende a un cliente en su propia computadora",
  },
  twoStep3: {
    en: `Step 3. The UDP pair across the cable. udp_server.ts may reply to alumno: its permission
names alumno's address.`,
    es: `Paso 3. El par UDP a través del cable. udp_server.ts puede contestarle a alumno: su permiso
nombra la dirección de alumno.`,
  },
  datagramCrossed: {
    en: (ip: string) => `the datagram crossed the cable, and the reply came back to ${ip}`,
    es: (ip: string) => `el datagrama cruzó el cable, y la respuesta volvió a ${ip}`,
  },
  twoStep4: {
    en: (ip: string) =>
      `Step 4. The class's own commands, as leccion/clase.md gives them: deno task udp-server on
servidor, deno task udp-client --host ${ip} on alumno. The tasks' permissions cover another
computer (docs/permissions.md), so neither Deno asks "Allow?" nor refuses.`,
    es: (ip: string) =>
      `Paso 4. Los comandos de la clase, como los da leccion/clase.md: deno task udp-server en
servidor, deno task udp-client --host ${ip} en alumno. Los permisos de las tareas alcanzan
a otra computadora (docs/permissions.md), así que ningún Deno pregunta "Allow?" ni se niega.`,
  },
  tasksReply: {
    en: "the reply came back to alumno, with the tasks' own permissions and no prompt",
    es: "la respuesta volvió a alumno, con los permisos de las tareas y sin ninguna pregunta",
  },
  // Scenario: wrong address.
  wrongStep1: {
    en: (nobody: string, network: string) =>
      `Step 1. client.ts on alumno connects to ${nobody}: an address on the cable's network
(${network}), where no computer answers. alumno asks the cable "who has
${nobody}?" (ARP) three times, a second apart, then gives up.`,
    es: (nobody: string, network: string) =>
      `Paso 1. client.ts en alumno se conecta a ${nobody}: una dirección de la red del cable
(${network}), donde ninguna computadora contesta. alumno pregunta por el cable "¿quién tiene
${nobody}?" (ARP) tres veces, con un segundo entre una y otra, y después se rinde.`,
  },
  noRouteAfter3s: {
    en: "No route to host, after about 3 s",
    es: `"No route to host", después de unos 3 s`,
  },
  wrongStep2: {
    en: (noRoute: string, network: string) =>
      `Step 2. client.ts on alumno connects to ${noRoute}: alumno knows only its own network,
${network}, and has no route (no gateway) to any other.`,
    es: (noRoute: string, network: string) =>
      `Paso 2. client.ts en alumno se conecta a ${noRoute}: alumno conoce solo su propia red,
${network}, y no tiene ruta (ni puerta de enlace) hacia ninguna otra.`,
  },
  unreachableAtOnce: {
    en: "Network is unreachable, at once: not a single packet left alumno",
    es: `"Network is unreachable", al instante: no salió ni un paquete de alumno`,
  },
  wrongStep3: {
    en: `Step 3. Every school computer has a gateway: a default route, here through servidor. Now
alumno sends what is not for its own network to the gateway, which passes nothing on and answers
nothing (as the routers on the way do with an address that is nobody's): client.ts gives up at
5 s.`,
    es:
      `Paso 3. Toda computadora de la escuela tiene una puerta de enlace: una ruta por defecto, acá
a través de servidor. Ahora alumno le manda a la puerta de enlace lo que no es para su propia red,
y ella no lo pasa ni contesta nada (como hacen los routers del camino con una dirección que no es
de nadie): client.ts se rinde a los 5 s.`,
  },
  silence: {
    en: "no answer within 5 s: with a gateway, a wrong address on another network is silence",
    es: "sin respuesta en 5 s: con puerta de enlace, una dirección equivocada de otra red " +
      "es silencio",
  },
  // Scenario: a lossy link.
  lineOfData: {
    en: (n: number, of: number) => `line ${n} of ${of}: every byte of it must come back, in order`,
    es: (n: number, of: number) => `línea ${n} de ${of}: cada byte tiene que volver, en orden`,
  },
  datagram: {
    en: (n: number) => `datagram ${String(n).padStart(3, "0")}`,
    es: (n: number) => `datagrama ${String(n).padStart(3, "0")}`,
  },
  lossyStep1: {
    en: (lines: number, datagrams: number) =>
      `Step 1. The same transfers over a perfect cable first, to have a time to compare with:
client.ts sends ${lines} lines to server.ts, which sends each one back; udp_client.ts sends
${datagrams} datagrams to udp_server.ts, which sends each one back.`,
    es: (lines: number, datagrams: number) =>
      `Paso 1. Primero, las mismas transferencias por un cable perfecto, para tener un tiempo
con qué comparar: client.ts le manda ${lines} líneas a server.ts, que devuelve cada una;
udp_client.ts le manda ${datagrams} datagramas a udp_server.ts, que devuelve cada uno.`,
  },
  cleanSummary: {
    en: (tcp: TcpResult, udp: UdpResult) =>
      `TCP: ${tcp.backLines} of ${tcp.sentLines} lines back in ${tcp.seconds.toFixed(1)} s; ` +
      `UDP: ${udp.answered} of ${udp.sent} replies in ${udp.seconds.toFixed(1)} s, ` +
      `${udp.tries} tries`,
    es: (tcp: TcpResult, udp: UdpResult) =>
      `TCP: volvieron ${tcp.backLines} de ${tcp.sentLines} líneas en ${
        tcp.seconds.toFixed(1)
      } s; ` +
      `UDP: ${udp.answered} de ${udp.sent} respuestas en ${udp.seconds.toFixed(1)} s, ` +
      `${udp.tries} intentos`,
  },
  lossyStep2: {
    en: (loss: number) =>
      `Step 2. Now each computer drops ${loss}% of the packets that reach it from the
cable, at random (an nftables rule inside each namespace; connection requests, TCP's SYN, are
spared so that client.ts's 5 s limit to connect is not what we measure):`,
    es: (loss: number) =>
      `Paso 2. Ahora cada computadora descarta al azar el ${loss}% de los paquetes que le llegan por
el cable (una regla de nftables dentro de cada espacio de nombres; los pedidos de conexión, el SYN
de TCP, se salvan, para no medir el límite de 5 s que tiene client.ts para conectarse):`,
  },
  lossyStep3: {
    en: (lines: number) => `Step 3. TCP over the lossy link: ${lines} lines out and back.`,
    es: (lines: number) => `Paso 3. TCP por el enlace malo: ${lines} líneas de ida y vuelta.`,
  },
  tcpSummary: {
    en: (tcp: TcpResult) =>
      `${tcp.backLines} of ${tcp.sentLines} lines and ${tcp.backBytes} of ${tcp.sentBytes} ` +
      `bytes came back in ${tcp.seconds.toFixed(1)} s; the link dropped ${tcp.dropped} of ` +
      `${tcp.arrived} packets and TCP sent ${tcp.resent} segments again`,
    es: (tcp: TcpResult) =>
      `volvieron ${tcp.backLines} de ${tcp.sentLines} líneas y ${tcp.backBytes} de ` +
      `${tcp.sentBytes} bytes en ${tcp.seconds.toFixed(1)} s; el enlace descartó ${tcp.dropped} ` +
      `de ${tcp.arrived} paquetes y TCP reenvió ${tcp.resent} segmentos`,
  },
  everyByteBack: {
    en: "every byte came back, in order: TCP sent the lost ones again by itself",
    es: "volvió cada byte, en orden: TCP reenvió solo lo que se perdió",
  },
  firstDifference: {
    en: (line: number) => line ? ` (first different line: ${line})` : "",
    es: (line: number) => line ? ` (primera línea distinta: ${line})` : "",
  },
  lossyStep4: {
    en: (datagrams: number, ms: number, retries: number) =>
      `Step 4. UDP over the lossy link: ${datagrams} datagrams, each waiting
${ms} ms for its reply and sent up to ${retries} more times. udp_client.ts stops
at a message it gives up on; the lab then starts it again with the rest.`,
    es: (datagrams: number, ms: number, retries: number) =>
      `Paso 4. UDP por el enlace malo: ${datagrams} datagramas; cada uno espera ${ms} ms su
respuesta y se manda hasta ${retries} veces más. udp_client.ts se detiene en el mensaje con el
que se rinde; entonces el laboratorio lo arranca de nuevo con el resto.`,
  },
  udpResent: {
    en: (times: number, givenUp: number) =>
      `datagrams were lost and udp_client.ts had to send again (${times} times); ` +
      `${givenUp} given up`,
    es: (times: number, givenUp: number) =>
      `se perdieron datagramas y udp_client.ts tuvo que reenviar (${times} veces); ` +
      `${givenUp} ${givenUp === 1 ? "abandonado" : "abandonados"}`,
  },
  sideBySideTitle: {
    en: (loss: number) => `The lossy link (${loss}% of packets dropped each way), side by side:`,
    es: (loss: number) =>
      `El enlace malo (${loss}% de los paquetes descartados en cada sentido), lado a lado:`,
  },
  sideBySide: {
    en: (
      tcp: TcpResult,
      udp: UdpResult,
      clean: { tcp: number; udp: number },
      options: { loss: number },
    ): [string, string, string][] => [
      ["", "TCP: client.ts", "UDP: udp_client.ts"],
      ["sent", `${tcp.sentLines} lines, ${tcp.sentBytes} bytes`, `${udp.sent} datagrams`],
      [
        "came back",
        tcp.inOrder
          ? `all ${tcp.backLines} lines, in order`
          : `${tcp.backLines} lines, NOT in order`,
        `${udp.answered} replies`,
      ],
      ["given up", tcp.finished ? "none" : "the transfer", `${udp.givenUp}`],
      [
        "sent again",
        `${tcp.resent} segments, by the kernel`,
        `${udp.tries - udp.sent} datagrams, by the client`,
      ],
      ["packets dropped", `${tcp.dropped} of ${tcp.arrived}`, `${udp.dropped} of ${udp.arrived}`],
      ["time, no loss", `${clean.tcp.toFixed(1)} s`, `${clean.udp.toFixed(1)} s`],
      [`time, ${options.loss}% loss`, `${tcp.seconds.toFixed(1)} s`, `${udp.seconds.toFixed(1)} s`],
    ],
    es: (
      tcp: TcpResult,
      udp: UdpResult,
      clean: { tcp: number; udp: number },
      options: { loss: number },
    ): [string, string, string][] => [
      ["", "TCP: client.ts", "UDP: udp_client.ts"],
      ["enviado", `${tcp.sentLines} líneas, ${tcp.sentBytes} bytes`, `${udp.sent} datagramas`],
      [
        "volvió",
        tcp.inOrder
          ? `las ${tcp.backLines} líneas, en orden`
          : `${tcp.backLines} líneas, NO en orden`,
        `${udp.answered} respuestas`,
      ],
      ["abandonado", tcp.finished ? "nada" : "la transferencia", `${udp.givenUp}`],
      [
        "reenviado",
        `${tcp.resent} segmentos, por el kernel`,
        `${udp.tries - udp.sent} datagramas, por el cliente`,
      ],
      [
        "paquetes descartados",
        `${tcp.dropped} de ${tcp.arrived}`,
        `${udp.dropped} de ${udp.arrived}`,
      ],
      ["tiempo, sin pérdida", `${clean.tcp.toFixed(1)} s`, `${clean.udp.toFixed(1)} s`],
      [
        `tiempo, ${options.loss}% de pérdida`,
        `${tcp.seconds.toFixed(1)} s`,
        `${udp.seconds.toFixed(1)} s`,
      ],
    ],
  },
  // Scenario: the chat.
  chatStep1: {
    en: "Step 1. The chat room on servidor; Ana and Beto both on alumno, each with client.ts.",
    es:
      "Paso 1. La sala de chat en servidor; Ana y Beto, los dos en alumno, cada uno con client.ts.",
  },
  bothJoined: {
    en: "both joined the room across the cable",
    es: "los dos entraron a la sala a través del cable",
  },
  chatStep2: {
    en: `Step 2. Ana types a line (shown after ">"), then Beto answers.`,
    es: `Paso 2. Ana escribe una línea (se ve después de ">"), y Beto contesta.`,
  },
  eachReached: {
    en: "each one's line reached the other through servidor",
    es: "la línea de cada uno le llegó al otro a través de servidor",
  },
  chatStep3: {
    en: `Step 3. Ana, then Beto, end their input (Ctrl-D): servidor closes each one's connection,
and each client exits.`,
    es: `Paso 3. Ana, y después Beto, terminan su entrada (Ctrl-D): servidor cierra la conexión de
cada uno, y cada cliente termina.`,
  },
  bothEnded: {
    en: "both clients ended cleanly",
    es: "los dos clientes terminaron bien",
  },
  finished: {
    en: (ok: number, checks: number, left: string[]) =>
      `lab finished: ${ok} of ${checks} checks as expected; ` +
      (left.length === 0
        ? "nothing left behind (no kit- namespace, cable or nftables table)"
        : `LEFT BEHIND: ${left.join(", ")}`),
    es: (ok: number, checks: number, left: string[]) =>
      `laboratorio terminado: ${ok} de ${checks} comprobaciones como se esperaba; ` +
      (left.length === 0
        ? "no quedó nada (ningún espacio de nombres kit-, cable ni tabla de nftables)"
        : `QUEDÓ SIN BORRAR: ${left.join(", ")}`),
  },
};

if (import.meta.main) await main();
