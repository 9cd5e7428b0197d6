// deno task lab: two computers as network namespaces (tools/lab.ts). The lab runs as its own
// process, with the permissions of its task; these tests read what it prints, as a user would,
// and check that nothing of it is left behind: no namespace, no cable, no nftables table, no process.
// They need root, `ip` (iproute2) and `nft` (nftables): without them they are ignored, with the
// reason in their name. The lab runs in English (LC_ALL=C), the language these tests read;
// tests/lang_tools_test.ts runs it in Spanish.
import assert from "node:assert/strict";
import { nobodyFolder, WHY_NOT_NOBODY } from "./helpers/nobody.ts";
import { ROOT } from "./helpers/process.ts";
const LAB = ["run", "--allow-run", "--allow-read", "--allow-sys=uid", "tools/lab.ts"];

async function succeeds(command: string, args: string[]): Promise<string | undefined> {
  try {
    const result = await new Deno.Command(command, { args, stdin: "null" }).output();
    return result.success ? new TextDecoder().decode(result.stdout) : undefined;
  } catch {
    return undefined; // not installed
  }
}

async function whyNot(): Promise<string | undefined> {
  if (Deno.build.os !== "linux") return "needs Linux";
  if ((await succeeds("id", ["-u"]))?.trim() !== "0") return "needs root";
  if (await succeeds("ip", ["-V"]) === undefined) return "needs ip (apt-get install iproute2)";
  if (await succeeds("nft", ["--version"]) === undefined) {
    return "needs nft (apt-get install nftables)";
  }
  return undefined;
}
const reason = await whyNot();
if (reason) console.log(`lab_test.ts: the lab tests are IGNORED: ${reason}`);

function labTest(name: string, fn: () => Promise<void>) {
  Deno.test({
    name: reason ? `${name} (IGNORED: ${reason})` : name,
    ignore: reason !== undefined,
    sanitizeOps: true,
    sanitizeResources: true,
    fn,
  });
}

/** What the machine shows of namespaces, links, nftables tables, and processes in a namespace. */
async function snapshot() {
  const netns = await succeeds("ip", ["netns", "list"]) ?? "ip netns list failed";
  const links = (await succeeds("ip", ["-o", "link", "show"]) ?? "ip link failed").split("\n")
    .map((line) => line.split(":")[1]?.trim()).filter(Boolean).join(" ");
  const tables = await succeeds("nft", ["list", "tables"]) ?? "nft list tables failed";
  // Any process started in this folder that lives in another network namespace than ours (Deno
  // reads /proc only with --allow-all: sh reads it for us).
  const strays = await succeeds("sh", [
    "-c",
    `me=$(readlink /proc/$$/ns/net)
    for p in /proc/[0-9]*; do
      [ "$(readlink "$p/cwd" 2>/dev/null)" = "$1" ] &&
        [ "$(readlink "$p/ns/net" 2>/dev/null)" != "$me" ] && echo "\${p#/proc/}"
    done; true`,
    "sh",
    ROOT.replace(/\/$/, ""),
  ]) ?? "sh failed";
  return { netns, links, tables, strays };
}

async function assertNothingOfOurs(before: Awaited<ReturnType<typeof snapshot>>) {
  const after = await snapshot();
  assert.deepStrictEqual(after, before);
  assert(!/kit[-_]/.test(JSON.stringify(after)), `left behind: ${JSON.stringify(after)}`);
}

interface LabRun {
  code: number;
  stdout: string;
  stderr: string;
}

function spawnLab(args: string[]) {
  return new Deno.Command(Deno.execPath(), {
    args: [...LAB, ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", LC_ALL: "C" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(180_000), // every run is bounded: SIGTERM after 3 minutes
  }).spawn();
}

async function runLab(args: string[]): Promise<LabRun> {
  const result = await spawnLab(args).output();
  const decoder = new TextDecoder();
  return {
    code: result.code,
    stdout: decoder.decode(result.stdout),
    stderr: decoder.decode(result.stderr),
  };
}

/** Read a child's stdout until a pattern shows (or 30 s), then keep draining it in the background. */
async function readUntil(child: Deno.ChildProcess, pattern: RegExp) {
  let text = "";
  let found = false;
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const deadline = Date.now() + 30_000;
  while (!found && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
    found = pattern.test(text);
  }
  const rest = (async () => {
    for (let next = await reader.read(); !next.done; next = await reader.read()) text += next.value;
    return text;
  })();
  return { found, rest };
}

function assertNoStackTrace(run: LabRun) {
  for (const text of [run.stdout, run.stderr]) {
    assert(!/^\s+at |Stack backtrace|Uncaught/m.test(text), `a stack trace:\n${text}`);
  }
}

/** Lines a computer's processes printed, as the lab shows them: "  alumno Ana    | text". */
function printed(stdout: string, who: string): string[] {
  const pattern = new RegExp(`^ {2}${who}\\s*\\| (.*)$`, "gm");
  return [...stdout.matchAll(pattern)].map((match) => match[1]);
}

labTest(
  "lab two-computers: reached across the cable, 127.0.0.1 refused, UDP with the tasks' permissions",
  async () => {
    const before = await snapshot();
    const run = await runLab(["--only", "two-computers"]);
    await assertNothingOfOurs(before);
    assert.deepStrictEqual(run.code, 0, run.stdout + run.stderr);
    assertNoStackTrace(run);
    const alumno = printed(run.stdout, "alumno");
    const servidor = printed(run.stdout, "servidor");
    // Step 1: the echo pair across the link, seen by the server as coming from alumno.
    assert(alumno.includes("hola") && alumno.includes("qué tal"), alumno.join("\n"));
    assert(servidor.some((line) => line.startsWith("connection from 10.213.42.1:")));
    // Step 2: refused from the other computer, one line, while the same computer connects.
    const refused = alumno.filter((line) => line.startsWith("client.ts:"));
    assert.deepStrictEqual(refused.length, 1, alumno.join("\n"));
    assert.match(refused[0], /refused/i);
    assert(servidor.includes("hola"), "the client on servidor itself got its echo");
    assert(servidor.some((line) => line.startsWith("connection from 127.0.0.1:")));
    // Steps 3-4: the UDP reply across the link, with narrow permissions, then the tasks' own.
    const replies = alumno.filter((line) => /^hola {2}\(reply in [\d.]+ ms, 1 try\)$/.test(line));
    assert.deepStrictEqual(replies.length, 2, alumno.join("\n"));
    assert(!/cannot reply|NotCapable|no permission/.test(run.stdout), run.stdout);
    assert.match(run.stdout, /lab finished: 6 of 6 checks as expected; nothing left behind/);
  },
);

labTest(
  "lab wrong-address: the exact lines for No route to host, Network is unreachable, and silence",
  async () => {
    const before = await snapshot();
    const run = await runLab(["--only", "wrong-address"]);
    await assertNothingOfOurs(before);
    assert.deepStrictEqual(run.code, 0, run.stdout + run.stderr);
    assertNoStackTrace(run);
    const lines = printed(run.stdout, "alumno");
    // Only the three error lines: each client printed one line on stderr and nothing else.
    assert.deepStrictEqual(lines.length, 3, lines.join("\n"));
    // The exact lines the guide's troubleshooting table quotes (leccion/README.md).
    const where = "is the address right, and is that computer on the same network and switched on?";
    assert.equal(lines[0], `client.ts: no route to 10.213.42.3:21042: ${where}`);
    assert.equal(
      lines[1],
      "client.ts: network unreachable for 10.213.43.1:21042: is this computer connected to a network?",
    );
    // With a gateway, the same address on another network is silence: the client's 5 s limit.
    assert.equal(lines[2], `client.ts: no answer from 10.213.43.1:21042 within 5 s: ${where}`);
    const times = [...run.stdout.matchAll(/\(client\.ts ended after ([\d.]+) s, exit (\d+)\)/g)];
    assert.deepStrictEqual(times.map((time) => time[2]), ["1", "1", "1"]);
    const [noRoute, unreachable, silence] = times.map((time) => Number(time[1]));
    assert(noRoute >= 2 && noRoute < 8, `No route to host after ${noRoute} s, not about 3`);
    assert(unreachable < 2, `Network is unreachable after ${unreachable} s, not at once`);
    assert(silence >= 4, `no answer after ${silence} s, not 5`);
  },
);

labTest("lab lossy-link: every TCP byte back in order, UDP retries counted", async () => {
  const before = await snapshot();
  // 20% each way: the chance that 20 datagrams all get through at the first try is 0.64^20
  // (1 in 7,000). At 30%, TCP's backed-off resends once left client.ts 5 s without a byte, and it
  // gave up (its --timeout): more loss makes that likelier, and it is luck, not a machine's speed.
  const run = await runLab(["--only", "lossy-link", "--loss", "20", "--lines", "400"]);
  await assertNothingOfOurs(before);
  assert.deepStrictEqual(run.code, 0, run.stdout + run.stderr);
  assertNoStackTrace(run);
  const tcp = run.stdout.match(/(\d+) of (\d+) lines and (\d+) of (\d+) bytes came back/);
  assert(tcp, run.stdout);
  assert.deepStrictEqual([tcp[1], tcp[3]], [tcp[2], tcp[4]]);
  assert.deepStrictEqual(tcp[1], "400");
  assert.match(run.stdout, /^ {2}came back +all 400 lines, in order +\d+ replies$/m);
  // UDP: the client's own lines say how many tries each datagram took.
  const replies = printed(run.stdout, "alumno").map((line) =>
    line.match(/^datagram \d+ {2}\(reply in [\d.]+ ms, (\d+) tr(?:y|ies)\)$/)
  ).filter((match) => match !== null);
  const givenUp = printed(run.stdout, "alumno").filter((line) =>
    /^udp_client\.ts: no reply/.test(line)
  );
  assert.deepStrictEqual(replies.length + givenUp.length, 20);
  const retries = replies.reduce((sum, match) => sum + Number(match[1]) - 1, 0) +
    3 * givenUp.length;
  assert(retries > 0, "no datagram was sent again: was anything lost?");
  const table = run.stdout.match(
    /^ {2}sent again +(\d+) segments, by the kernel +(\d+) datagrams/m,
  );
  assert(table, run.stdout);
  assert.deepStrictEqual(Number(table[2]), retries);
  const dropped = run.stdout.match(/^ {2}packets dropped +(\d+) of \d+ +(\d+) of \d+$/m);
  assert(dropped && Number(dropped[1]) > 0 && Number(dropped[2]) > 0, "the link dropped nothing");
});

labTest("lab chat: two clients on alumno talk through the chat server on servidor", async () => {
  const before = await snapshot();
  const run = await runLab(["--only", "chat"]);
  await assertNothingOfOurs(before);
  assert.deepStrictEqual(run.code, 0, run.stdout + run.stderr);
  assertNoStackTrace(run);
  assert(printed(run.stdout, "alumno Beto").includes("Ana: hola Beto, ¿me leés?"), run.stdout);
  assert(printed(run.stdout, "alumno Ana").includes("Beto: sí, Ana: te leo a través de servidor"));
  const joined = printed(run.stdout, "servidor").filter((line) =>
    line.startsWith("connection from 10.213.42.1:")
  );
  assert.deepStrictEqual(joined.length, 2);
});

labTest("lab: Ctrl-C in the middle removes everything, exit 130", async () => {
  const before = await snapshot();
  const lab = spawnLab([]);
  const started = await readUntil(lab, /\| listening on /);
  assert(started.found, "the lab never started a server");
  assert.match((await succeeds("ip", ["netns", "list"])) ?? "", /kit-servidor/);
  lab.kill("SIGINT");
  const [status, stdout] = await Promise.all([lab.status, started.rest]);
  await lab.stderr.cancel();
  assert.deepStrictEqual(status.code, 130);
  assert.match(stdout, /lab\.ts: removed; nothing is left behind/);
  await assertNothingOfOurs(before);
});

labTest("lab: a run killed with SIGKILL leaves leftovers; the next run removes them", async () => {
  const before = await snapshot();
  const lab = spawnLab(["--only", "chat"]);
  const started = await readUntil(lab, /\| listening on /);
  assert(started.found, "the lab never started a server");
  lab.kill("SIGKILL");
  await Promise.all([lab.status, started.rest, lab.stderr.cancel()]);
  assert.match((await succeeds("ip", ["netns", "list"])) ?? "", /kit-alumno/, "no leftovers?");
  const run = await runLab(["--only", "wrong-address"]);
  assert.match(run.stdout, /^Found leftovers of an earlier run \(.*kit-.*\): removing them first/m);
  assert.deepStrictEqual(run.code, 0, run.stdout + run.stderr);
  await assertNothingOfOurs(before);
});

Deno.test({
  name: `lab without root: one line saying what it needs, exit 1${
    WHY_NOT_NOBODY ? ` (IGNORED: ${WHY_NOT_NOBODY})` : ""
  }`,
  ignore: WHY_NOT_NOBODY !== "",
  sanitizeOps: true,
  sanitizeResources: true,
  fn: async () => {
    // As the user nobody, with a copy of lab.ts (and the language.ts it imports) in a folder nobody may read (the checkout may be
    // in one that nobody cannot enter).
    const nobody = await nobodyFolder(["tools/lab.ts", "tools/language.ts"]);
    try {
      const result = await nobody.run([...LAB.slice(0, -1), "lab.ts"]);
      assert.deepStrictEqual(result.code, 1, result.stderr);
      assert.deepStrictEqual(
        result.stderr,
        "lab.ts: needs root to make network namespaces: run it as sudo deno task lab\n",
      );
    } finally {
      await nobody.remove();
    }
  },
});

Deno.test("lab: a bad --only is a usage error, exit 2 (runs anywhere)", async () => {
  const run = await runLab(["--only", "nowhere"]);
  assert.deepStrictEqual(run.code, 2);
  assert.match(run.stderr, /^lab\.ts: --only must be one of two-computers, wrong-address/);
  assert.match(run.stderr, /^usage: deno task lab/m);
  assert.deepStrictEqual(run.stdout, "");
});
