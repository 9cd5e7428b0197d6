// deno task compat [VERSION ...]: does the kit work on the Deno 2 a student may have installed?
//
// For each version (by default the newest patch of 2.0, 2.2, 2.4, 2.6 and the pinned one in .ci/run)
// it installs that Deno from the npm registry into a cache folder of its own, beside and never over
// the global one (~/.cache/socket-kit-deno/VERSION, or $SOCKET_KIT_DENO_CACHE/VERSION), and runs
// the interop subset with it: the scripts talking to each other and to the lesson's Python peers,
// --help, exit codes, `deno check`, the leccion/ twins. It prints a table, version × check:
//   ok    passed
//   no    failed, as docs/versions.md says it does on this version (see KNOWN)
//   FAIL  failed where it should pass: the exit code is then 1
//   n/a   not there to check (no leccion/ or chat_server.ts yet; no `ss` to read the backlog)
// Every child runs on loopback with a free port, under a timer; each is killed and awaited.
// On Windows, Python is `python` or `py` rather than `python3`, and a child cannot be sent Ctrl-C
// (the SIGINT checks are then n/a); `ss` is Linux's (the backlog check is n/a without it).

import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const WINDOWS = Deno.build.os === "windows";
const GREETING = "welcome: every line you send comes back to you\n";
const CI_RUN = await Deno.readTextFile(`${ROOT}.ci/run`);
const PINNED = CI_RUN.match(/^DENO_VERSION=(\S+)$/m)?.[1] ?? "2.9.6";
const USAGE =
  "usage: deno task compat [VERSION ...]   (default: 2.0.6 2.2.15 2.4.4 2.6.8 and the pinned one)";
if (Deno.args.includes("--help")) {
  console.log(USAGE);
  Deno.exit(0);
}
const wrong = Deno.args.find((arg) => !/^\d+\.\d+\.\d+$/.test(arg));
if (wrong !== undefined) {
  console.error(`compat: "${wrong}" is not a Deno version such as 2.4.4\n${USAGE}`);
  Deno.exit(2);
}
const VERSIONS = Deno.args.length > 0 ? Deno.args : ["2.0.6", "2.2.15", "2.4.4", "2.6.8", PINNED];
const HOME = Deno.env.get("HOME") ?? Deno.env.get("USERPROFILE") ?? "/tmp";
const CACHE = Deno.env.get("SOCKET_KIT_DENO_CACHE") ??
  `${Deno.env.get("XDG_CACHE_HOME") ?? `${HOME}/.cache`}/socket-kit-deno`;
/** Python 3 as this system calls it: python3 (Linux, macOS), python or py (Windows), or none. */
const PYTHON = await (async () => {
  for (const name of ["python3", "python", "py"]) {
    const out = await new Deno.Command(name, { args: ["--version"], stdin: "null" }).output()
      .catch(() => undefined);
    const said = new TextDecoder().decode(out?.stdout) + new TextDecoder().decode(out?.stderr);
    if (out?.success && /^Python 3\./.test(said)) return name;
  }
})();
const exists = (path: string) => Deno.stat(`${ROOT}${path}`).then(() => true, () => false);
const HAS_CHAT = await exists("chat_server.ts");
const HAS_LECCION = await exists("leccion");
const SCRIPTS = ["server.ts", "client.ts", "udp_server.ts", "udp_client.ts"]
  .concat(HAS_CHAT ? ["chat_server.ts"] : []);

/**
 * Checks that fail on versions older than the one named, for a reason docs/versions.md gives: the check
 * is then "no" there, not "FAIL". Measured with `deno task compat` and the versions in between.
 */
const KNOWN: Record<string, { since: string; why: string }> = {
  // Deno 2.0-2.1 bundle @types/node 22.5, whose parseArgs types leave a flag with a default as
  // `string | undefined`; `signal` in Deno.connect (types and effect) is from 2.3; `tcpBacklog`
  // in Deno.listen (types and effect) is from 2.5.
  "deno check server.ts": { since: "2.5.0", why: "tcpBacklog" },
  "deno check client.ts": { since: "2.3.0", why: "Deno.connect signal" },
  "deno check chat_server.ts": { since: "2.5.0", why: "tcpBacklog" },
  "deno check leccion/*.ts": { since: "2.3.0", why: "Deno.connect signal" },
  "server.ts --backlog 7 takes effect": { since: "2.5.0", why: "tcpBacklog" },
};

type Cell = "ok" | "no" | "FAIL" | "n/a";
interface Outcome {
  ok: boolean | "n/a";
  detail?: string;
}

// ---------------------------------------------------------------------------------------------
// Children: every one under a timer, killed and awaited.

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Collect a stream as text in the background. */
function collect(stream: ReadableStream<Uint8Array>) {
  let text = "";
  const done = (async () => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) text += chunk;
  })().catch(() => {});
  return { text: () => text, done };
}

/** Environment for a version's children: its own DENO_DIR, no update check, no colour. */
function envFor(version: string): Record<string, string> {
  const env: Record<string, string> = {
    NO_COLOR: "1",
    DENO_DIR: `${CACHE}/${version}/deno_dir`,
    DENO_NO_UPDATE_CHECK: "1",
  };
  // Deno before 2.6 reads only DENO_CERT; behind a TLS proxy `deno check` needs it for @types/node.
  const extra = Deno.env.get("NODE_EXTRA_CA_CERTS");
  if (extra && !Deno.env.get("DENO_CERT")) env.DENO_CERT = extra;
  return env;
}

/** Start a program with piped output; `stop` signals it (SIGKILL after 5 s) and awaits it. */
function spawn(command: string, args: string[], env: Record<string, string>, stdin = false) {
  const child = new Deno.Command(command, {
    args,
    cwd: ROOT,
    env,
    stdin: stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const out = collect(child.stdout), err = collect(child.stderr);
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  const stop = async (signal: Deno.Signal = "SIGTERM"): Promise<Ran> => {
    if (!exited) child.kill(signal);
    const timer = setTimeout(() => exited || child.kill("SIGKILL"), 5000);
    const { code } = await status;
    clearTimeout(timer);
    await Promise.all([out.done, err.done]);
    return { code, stdout: out.text(), stderr: err.text() };
  };
  return { child, stdout: out.text, stderr: err.text, exited: () => exited, status, stop };
}

/** Run a program to its end, killed after `timeoutMs`. */
async function run(
  command: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 20_000,
): Promise<Ran & { timedOut: boolean }> {
  const started = spawn(command, args, env);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    started.stop("SIGKILL").catch(() => {});
  }, timeoutMs);
  await started.status;
  clearTimeout(timer);
  return { ...(await started.stop()), timedOut };
}

/** Start a server and wait (10 s at most) for its first line to match `ready`; group 1 is the port. */
async function startServer(
  command: string,
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
) {
  const server = spawn(command, args, env);
  const deadline = Date.now() + 10_000;
  while (!ready.test(server.stdout())) {
    if (server.exited() || Date.now() > deadline) {
      const ran = await server.stop("SIGKILL");
      throw new Error(`did not start: ${JSON.stringify(ran).slice(0, 300)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { ...server, port: ready.exec(server.stdout())![1] };
}

/** Run `work` with a server running; the server is always stopped. */
async function withServer(
  command: string,
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
  work: (port: string) => Promise<Outcome>,
): Promise<Outcome> {
  const server = await startServer(command, args, env, ready);
  try {
    return await work(server.port);
  } finally {
    await server.stop();
  }
}

/** A TCP and a UDP port on 127.0.0.1 that nothing listens on (bound, then let go). */
function freePorts() {
  const tcp = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const udp = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const ports = { tcp: `${tcp.addr.port}`, udp: `${(udp.addr as Deno.NetAddr).port}` };
  tcp.close();
  udp.close();
  return ports;
}

const expect = (ok: boolean, detail: string): Outcome => ({ ok, detail: ok ? undefined : detail });
const LISTENING = /^listening on 127\.0\.0\.1:(\d+)\n/;

// ---------------------------------------------------------------------------------------------
// The checks: each gets the deno binary and its environment.

type Check = (deno: string, env: Record<string, string>) => Promise<Outcome>;
/** A check that needs Python (`python`): n/a where there is none. */
const python = PYTHON ?? "python3";
const withPython = (check: Check): Check => (deno, env) =>
  PYTHON === undefined ? Promise.resolve({ ok: "n/a" }) : check(deno, env);
const checks: [string, Check][] = [];
const server = (
  script: string,
  ...flags: string[]
) => ["run", "--allow-net=127.0.0.1", script, "--host", "127.0.0.1", "--port", "0", ...flags];

checks.push([
  "tcp: server.ts <-> client.ts",
  (deno, env) =>
    withServer(deno, server("server.ts", "--quiet"), env, LISTENING, async (port) => {
      const c = await run(deno, ["run", "--allow-net", "client.ts", "--port", port, "hola"], env);
      return expect(c.code === 0 && c.stdout === GREETING + "hola\n", JSON.stringify(c));
    }),
]);

checks.push([
  "udp: udp_server.ts <-> udp_client.ts",
  (deno, env) =>
    withServer(deno, server("udp_server.ts", "--quiet"), env, LISTENING, async (port) => {
      const c = await run(
        deno,
        ["run", "--allow-net", "udp_client.ts", "--port", port, "hola"],
        env,
      );
      return expect(c.code === 0 && /^hola {2}\(reply in /.test(c.stdout), JSON.stringify(c));
    }),
]);

for (const script of ["server.ts", "udp_server.ts"]) {
  checks.push([`${script}: SIGINT (Ctrl-C) -> exit 0`, async (deno, env) => {
    if (WINDOWS) return { ok: "n/a" }; // kill("SIGINT") ends a Windows child without its handler
    const s = await startServer(deno, server(script), env, LISTENING);
    const ran = await s.stop("SIGINT");
    return expect(ran.code === 0, `exit ${ran.code}: ${ran.stderr.slice(0, 200)}`);
  }]);
}

checks.push([
  "python lesson_client.py -> server.ts",
  withPython((deno, env) =>
    withServer(deno, server("server.ts", "--quiet"), env, LISTENING, async (port) => {
      const p = await run(python, ["tests/lesson_client.py", "127.0.0.1", port], env);
      return expect(
        p.code === 0 && p.stdout === GREETING + "hola desde Python\n",
        JSON.stringify(p),
      );
    })
  ),
]);

checks.push([
  "python lesson_server.py <- client.ts",
  withPython((deno, env) =>
    withServer(
      python,
      ["tests/lesson_server.py", "0"],
      env,
      /^listening on .*:(\d+)\n/,
      async (port) => {
        const c = await run(deno, ["run", "--allow-net", "client.ts", "--port", port, "hola"], env);
        return expect(
          c.code === 0 && c.stdout === "Gracias por conectarte\neco: hola\n",
          JSON.stringify(c),
        );
      },
    )
  ),
]);

checks.push([
  "python lesson_udp_client.py -> udp_server.ts",
  withPython((deno, env) =>
    withServer(deno, server("udp_server.ts", "--quiet"), env, LISTENING, async (port) => {
      const p = await run(python, ["tests/lesson_udp_client.py", "127.0.0.1", port], env);
      return expect(p.code === 0 && p.stdout === "hola desde Python\n", JSON.stringify(p));
    })
  ),
]);

checks.push([
  "python lesson_udp_server.py <- udp_client.ts",
  withPython((deno, env) =>
    withServer(
      python,
      ["tests/lesson_udp_server.py", "127.0.0.1", "0", "1"],
      env,
      /^listening on .*:(\d+)\n/,
      async (port) => {
        const c = await run(
          deno,
          ["run", "--allow-net", "udp_client.ts", "--port", port, "hola"],
          env,
        );
        return expect(c.code === 0 && /^hola {2}\(reply in /.test(c.stdout), JSON.stringify(c));
      },
    )
  ),
]);

checks.push([`--help -> exit 0, usage on stdout (${SCRIPTS.length} scripts)`, async (deno, env) => {
  const bad = [];
  for (const script of SCRIPTS) {
    const r = await run(deno, ["run", script, "--help"], env);
    if (r.code !== 0 || !r.stdout.includes("usage")) bad.push(`${script}: exit ${r.code}`);
  }
  return expect(bad.length === 0, bad.join("; "));
}]);

checks.push([`a bad flag -> exit 2, one line (${SCRIPTS.length} scripts)`, async (deno, env) => {
  const bad = [];
  for (const script of SCRIPTS) {
    const r = await run(deno, ["run", "--allow-net", script, "--no-such-flag"], env);
    if (r.code !== 2 || !r.stderr.startsWith(`${script}: `)) bad.push(`${script}: exit ${r.code}`);
  }
  return expect(bad.length === 0, bad.join("; "));
}]);

checks.push(["deno.json: the class's client tasks may reach another address", async (deno, env) => {
  // A student's client goes to the teacher's computer: the task's permission must cover an
  // address other than this computer's (127.0.0.2 stands in for it here), with no prompt.
  const tasks = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).tasks;
  const bad = [];
  for (
    const [task, script, port] of [["client", "client.ts", "tcp"], [
      "udp-client",
      "udp_client.ts",
      "udp",
    ]]
  ) {
    const flags = tasks[task].split(" ").slice(2, -1);
    const args = ["--host", "127.0.0.2", "--port", freePorts()[port as "tcp" | "udp"]];
    const r = await run(deno, ["run", ...flags, script, ...args, "--timeout", "200", "x"], env);
    if (/permission|NotCapable/.test(r.stderr) || r.code !== 1) bad.push(`${task}: ${r.stderr}`);
  }
  return expect(bad.length === 0, bad.join("; "));
}]);

checks.push(["client.ts: connection refused -> exit 1", async (deno, env) => {
  const r = await run(
    deno,
    ["run", "--allow-net", "client.ts", "--port", freePorts().tcp, "x"],
    env,
  );
  return expect(r.code === 1 && /^client\.ts: .*refused/m.test(r.stderr), JSON.stringify(r));
}]);

checks.push(["udp_client.ts: no reply -> exit 1", async (deno, env) => {
  const args = ["--port", freePorts().udp, "--timeout", "200", "--retries", "1", "x"];
  const r = await run(deno, ["run", "--allow-net", "udp_client.ts", ...args], env);
  return expect(r.code === 1 && /^udp_client\.ts: no reply/m.test(r.stderr), JSON.stringify(r));
}]);

checks.push(["server.ts --backlog 7 takes effect", async (deno, env) => {
  const haveSs = await run("ss", ["-V"], env).then((r) => r.code === 0, () => false);
  if (!haveSs) return { ok: "n/a" };
  return await withServer(
    deno,
    server("server.ts", "--backlog", "7"),
    env,
    LISTENING,
    async (port) => {
      // For a listening socket, ss shows the backlog in its Send-Q column.
      const ss = await run("ss", ["-ltnH", `sport = :${port}`], env);
      const backlog = ss.stdout.trim().split(/\s+/)[2];
      return expect(backlog === "7", `ss shows a backlog of ${backlog}`);
    },
  );
}]);

for (const script of SCRIPTS) {
  checks.push([`deno check ${script}`, async (deno, env) => {
    const r = await run(deno, ["check", script], env, 180_000);
    return expect(r.code === 0, firstError(r.stderr));
  }]);
}

if (HAS_CHAT) {
  checks.push([
    "chat_server.ts: a line reaches the other member",
    (deno, env) =>
      withServer(deno, server("chat_server.ts", "--quiet"), env, LISTENING, async (port) => {
        const ana = await Deno.connect({ hostname: "127.0.0.1", port: Number(port) });
        const bo = await Deno.connect({ hostname: "127.0.0.1", port: Number(port) });
        try {
          await bo.write(new TextEncoder().encode("/name Bo\nhola Ana\n"));
          const heard = await readUntil(ana, "Bo: hola Ana\n", 5000);
          return expect(heard.includes("Bo: hola Ana\n"), JSON.stringify(heard));
        } finally {
          ana.close();
          bo.close();
        }
      }),
  ]);
}

const ESCUCHANDO = /^escuchando en .*:(\d+)\n/;
for (const [twin, unstable] of [["", []], ["udp_", ["--unstable-net"]]] as const) {
  checks.push([`leccion/${twin}server.ts <-> leccion/${twin}client.ts`, async (deno, env) => {
    if (!HAS_LECCION) return { ok: "n/a" };
    const args = ["run", "--allow-net", ...unstable, `leccion/${twin}server.ts`, "0"];
    return await withServer(deno, args, env, ESCUCHANDO, async (port) => {
      const c = await run(deno, [
        "run",
        "--allow-net",
        ...unstable,
        `leccion/${twin}client.ts`,
        port,
      ], env);
      return expect(c.code === 0 && c.stdout.trim() !== "", JSON.stringify(c));
    });
  }]);
}
checks.push(["deno check leccion/*.ts", async (deno, env) => {
  if (!HAS_LECCION) return { ok: "n/a" };
  const files = [...Deno.readDirSync(`${ROOT}leccion`)].map((e) => e.name).filter((n) =>
    n.endsWith(".ts")
  );
  const r = await run(deno, ["check", ...files.sort().map((n) => `leccion/${n}`)], env, 180_000);
  return expect(r.code === 0, firstError(r.stderr));
}]);

/** The first error line of `deno check`, without Deno's colours and stack. */
function firstError(stderr: string): string {
  const lines = stderr.split("\n");
  const at = lines.findIndex((line) => /TS\d+ \[ERROR\]|^error:/.test(line));
  return lines.slice(Math.max(at, 0), at + 3).join(" ").replace(/\s+/g, " ").slice(0, 300);
}

/** Read from a connection until `wanted` appears, the peer closes, or `ms` pass. */
async function readUntil(conn: Deno.Conn, wanted: string, ms: number): Promise<string> {
  let text = "";
  const buffer = new Uint8Array(4096);
  const timer = setTimeout(() => conn.close(), ms); // ends a pending read
  try {
    while (!text.includes(wanted)) {
      const n = await conn.read(buffer);
      if (n === null) break;
      text += new TextDecoder().decode(buffer.subarray(0, n));
    }
  } catch {
    /* closed by the timer */
  } finally {
    clearTimeout(timer);
  }
  return text;
}

// ---------------------------------------------------------------------------------------------
// Installing a version, running every check under it, and the table.

/** The path of Deno `version` in the cache, installed from the npm registry if it is not there. */
async function install(version: string): Promise<string> {
  const dir = `${CACHE}/${version}`;
  const deno = `${dir}/node_modules/deno/deno${WINDOWS ? ".exe" : ""}`;
  const has = await run(deno, ["--version"], {}).catch(() => undefined);
  if (has?.stdout.startsWith(`deno ${version} `)) return deno;
  console.error(`compat: installing deno@${version} into ${dir}`);
  const npm = await run(
    "npm",
    ["install", "--prefix", dir, "--no-save", "--no-audit", "--no-fund", `deno@${version}`],
    {},
    300_000,
  );
  const now = await run(deno, ["--version"], {}).catch(() => undefined);
  if (!now?.stdout.startsWith(`deno ${version} `)) {
    throw new Error(`npm could not install deno@${version}: ${npm.stderr.trim().slice(-300)}`);
  }
  return deno;
}

const olderThan = (a: string, b: string) => {
  const [x, y] = [a, b].map((v) => v.split(".").map(Number));
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] < y[i];
  return false;
};

const table = new Map<string, Map<string, Cell>>(checks.map(([name]) => [name, new Map()]));
const seconds: string[] = [];
const failures: string[] = [];
for (const version of VERSIONS) {
  const began = performance.now();
  let deno: string;
  try {
    deno = await install(version);
  } catch (error) {
    failures.push(`${version}: ${(error as Error).message}`);
    for (const [name] of checks) table.get(name)!.set(version, "FAIL");
    seconds.push("-");
    continue;
  }
  const installed = performance.now();
  const env = envFor(version);
  for (const [name, check] of checks) {
    const outcome = await check(deno, env).catch((error): Outcome => ({
      ok: false,
      detail: (error as Error).message,
    }));
    const known = KNOWN[name];
    let cell: Cell = outcome.ok === "n/a" ? "n/a" : outcome.ok ? "ok" : "FAIL";
    if (cell === "FAIL" && known && olderThan(version, known.since)) cell = "no";
    if (cell === "FAIL") failures.push(`${version} ${name}: ${outcome.detail}`);
    table.get(name)!.set(version, cell);
    console.error(`compat: ${version} ${name}: ${cell}`);
  }
  seconds.push(`${((performance.now() - installed) / 1000).toFixed(0)} s`);
  console.error(`compat: ${version} took ${((performance.now() - began) / 1000).toFixed(1)} s`);
}

const rows = [
  ["check", ...VERSIONS],
  ...[...table].map(([name, cells]) => [
    KNOWN[name] ? `${name} (${KNOWN[name].why}: ${KNOWN[name].since.replace(/\.0$/, "")}+)` : name,
    ...VERSIONS.map((v) => cells.get(v) ?? "-"),
  ]),
  ["seconds (after install)", ...seconds],
];
const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
const line = (row: string[]) => `| ${row.map((cell, i) => cell.padEnd(widths[i])).join(" | ")} |`;
console.log(line(rows[0]));
console.log(`| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`);
for (const row of rows.slice(1)) console.log(line(row));
for (const failure of failures) console.log(`FAIL ${failure}`);
const cells = [...table.values()].flatMap((m) => [...m.values()]);
const tally = (c: Cell) => cells.filter((x) => x === c).length;
console.log(
  `compat: ${tally("ok")} ok, ${tally("no")} no (known), ${tally("FAIL")} FAIL, ${
    tally("n/a")
  } n/a`,
);
Deno.exit(failures.length === 0 ? 0 : 1);
