// The class on two computers: every command of the plan (leccion/clase.md) run as written, the
// server on one computer and the students' clients on another, each a network namespace joined by a
// virtual cable. Standard input is never a terminal here, so a missing permission shows as
// NotCapable (a failure) instead of Deno's `Allow? [y/n/A]` prompt, which in a classroom would stop
// the teacher's server or a student's client until someone answers it.
//
// Needs Linux, root and `ip` (iproute2): without them the test is ignored, with the reason in its
// name. The namespaces' names are unique to this run (classroom-PID-a, -b); everything is removed
// on every path. Run it under `flock /tmp/kit-netns.lock`, as everything that makes namespaces.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const PROMPT_OR_REFUSAL = /NotCapable|Requires net access|no permission|cannot reply|Allow\?/;

async function succeeds(command: string, args: string[]): Promise<string | undefined> {
  try {
    const result = await new Deno.Command(command, { args, stdin: "null" }).output();
    return result.success ? new TextDecoder().decode(result.stdout) : undefined;
  } catch {
    return undefined; // not installed
  }
}

async function whyNot(): Promise<string | undefined> {
  if (Deno.build.os !== "linux") return "needs Linux (network namespaces)";
  if ((await succeeds("id", ["-u"]))?.trim() !== "0") return "needs root";
  if (await succeeds("ip", ["-V"]) === undefined) return "needs ip (apt-get install iproute2)";
  return undefined;
}
const reason = await whyNot();
if (reason) console.log(`classroom_test.ts: IGNORED: ${reason}`);

// ---------------------------------------------------------------------------------------------
// Two computers: the teacher's (servidor) and a student's (alumno).

const TAG = `classroom-${Deno.pid}`;
const SERVIDOR = { ns: `${TAG}-b`, dev: `cl${Deno.pid}b`, ip: "10.231.42.2" };
const ALUMNO = { ns: `${TAG}-a`, dev: `cl${Deno.pid}a`, ip: "10.231.42.1" };

async function ip(...args: string[]) {
  const result = await new Deno.Command("ip", { args, stdin: "null", stderr: "piped" }).output();
  if (!result.success) {
    throw new Error(`ip ${args.join(" ")}: ${new TextDecoder().decode(result.stderr).trim()}`);
  }
}

async function buildComputers() {
  await ip("netns", "add", ALUMNO.ns);
  await ip("netns", "add", SERVIDOR.ns);
  await ip(
    ..."link add".split(" "),
    ALUMNO.dev,
    "netns",
    ALUMNO.ns,
    ..."type veth peer name".split(" "),
    SERVIDOR.dev,
    "netns",
    SERVIDOR.ns,
  );
  for (const computer of [ALUMNO, SERVIDOR]) {
    await ip("-n", computer.ns, "addr", "add", `${computer.ip}/24`, "dev", computer.dev);
    await ip("-n", computer.ns, "link", "set", "lo", "up");
    await ip("-n", computer.ns, "link", "set", computer.dev, "up");
  }
}

/** End every process left in our namespaces, then delete them (and so the cable). */
async function removeComputers() {
  for (const { ns } of [ALUMNO, SERVIDOR]) {
    const pids = (await succeeds("ip", ["netns", "pids", ns]) ?? "").split("\n").filter(Boolean);
    for (const pid of pids) {
      try {
        Deno.kill(Number(pid), "SIGKILL");
      } catch { /* already gone */ }
    }
    await succeeds("ip", ["netns", "delete", ns]);
  }
  const left = await succeeds("ip", ["netns", "list"]) ?? "";
  assert.ok(!left.includes(TAG), `left behind: ${left}`);
}

// ---------------------------------------------------------------------------------------------
// Commands run inside a computer, from the project's folder, as the plan writes them.

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** A command inside a computer: `deno ARGS`, its output collected, stdin piped or null. */
function spawnIn(computer: { ns: string }, args: string[], stdin = false) {
  const child = new Deno.Command("ip", {
    args: ["netns", "exec", computer.ns, Deno.execPath(), ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", LC_ALL: "C", PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" },
    stdin: stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let stdout = "", stderr = "";
  const pump = async (stream: ReadableStream<Uint8Array>, add: (text: string) => void) => {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) add(text);
  };
  const output = Promise.all([
    pump(child.stdout, (text) => stdout += text),
    pump(child.stderr, (text) => stderr += text),
  ]);
  let exited = false;
  const status = child.status.finally(() => exited = true);
  const killer = setTimeout(() => exited || child.kill("SIGKILL"), 60_000); // never hangs
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    /** Wait (at most `ms`) until stdout matches. */
    async waitFor(pattern: RegExp, ms = 20_000): Promise<boolean> {
      const deadline = Date.now() + ms;
      while (!pattern.test(stdout) && !exited && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return pattern.test(stdout);
    },
    async finish(): Promise<Ran> {
      const { code } = await status;
      await output;
      clearTimeout(killer);
      return { code, stdout, stderr };
    },
    async stop(): Promise<Ran> {
      // `deno task` runs the script as its child: end the whole namespace's processes of this
      // command by ending the runner and its child (SIGINT: the servers' Ctrl-C).
      if (!exited) {
        const pids = (await succeeds("ip", ["netns", "pids", computer.ns]) ?? "").split("\n");
        for (const pid of pids.filter(Boolean)) {
          try {
            Deno.kill(Number(pid), "SIGINT");
          } catch { /* gone */ }
        }
      }
      return await this.finish();
    },
  };
}

async function runIn(computer: { ns: string }, args: string[], input?: string): Promise<Ran> {
  const process = spawnIn(computer, args, input !== undefined);
  if (input !== undefined) {
    const writer = process.child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(input)).catch(() => {});
    await writer.close().catch(() => {});
  }
  return await process.finish();
}

/** A twin client with its HOST changed to the teacher's address, as the pair exercise asks. */
async function editedTwin(dir: string, name: string): Promise<string> {
  const text = await Deno.readTextFile(`${ROOT}leccion/${name}`);
  const edited = text.replace('const HOST = "127.0.0.1";', `const HOST = "${SERVIDOR.ip}";`);
  assert.notEqual(edited, text, `leccion/${name} has const HOST = "127.0.0.1";`);
  const path = `${dir}/${name}`;
  await Deno.writeTextFile(path, edited);
  return path;
}

function assertNoPrompt(what: string, ran: { stderr: string }) {
  assert.doesNotMatch(ran.stderr, PROMPT_OR_REFUSAL, `${what}: ${ran.stderr}`);
}

Deno.test({
  name: reason
    ? `classroom: the plan's commands on two computers (IGNORED: ${reason})`
    : "classroom: the plan's commands, on two computers, run with no permission prompt",
  ignore: reason !== undefined,
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "classroom_" });
    await Deno.chmod(dir, 0o755);
    await buildComputers();
    try {
      const host = ["--host", SERVIDOR.ip];
      const twinTcp = await editedTwin(dir, "client.ts");
      const twinUdp = await editedTwin(dir, "udp_client.ts");

      // TCP: the teacher's `deno task server` and the twin server, a student's task and twin.
      for (const serverArgs of [["task", "server"], ["run", "--allow-net", "leccion/server.ts"]]) {
        const server = spawnIn(SERVIDOR, serverArgs);
        try {
          assert.ok(
            await server.waitFor(/^(listening on|escuchando en) \S+:21042$/m),
            server.stderr(),
          );
          const task = await runIn(ALUMNO, ["task", "client", ...host, "hola"]);
          assertNoPrompt(`deno task client against ${serverArgs.join(" ")}`, task);
          assert.equal(task.code, 0, task.stderr);
          assert.match(task.stdout, /\nhola\n$/);
          const twin = await runIn(ALUMNO, ["run", "--allow-net", twinTcp]);
          assert.equal(twin.code, 0, twin.stderr);
          assert.match(twin.stdout, /\nhola desde Deno\n$/);
        } finally {
          const ran = await server.stop();
          assertNoPrompt(serverArgs.join(" "), ran);
        }
      }

      // UDP: the server must answer a student's computer, at a port it cannot know in advance.
      for (
        const serverArgs of [["task", "udp-server"], [
          "run",
          "--allow-net",
          "leccion/udp_server.ts",
        ]]
      ) {
        const server = spawnIn(SERVIDOR, serverArgs);
        try {
          assert.ok(
            await server.waitFor(/^(listening on|escuchando en) \S+:21042$/m),
            server.stderr(),
          );
          const task = await runIn(ALUMNO, [
            "task",
            "udp-client",
            ...host,
            "--retries",
            "1",
            "hola",
          ]);
          assertNoPrompt(`deno task udp-client against ${serverArgs.join(" ")}`, task);
          assert.equal(task.code, 0, task.stderr);
          assert.match(task.stdout, /^hola {2}\(reply in /);
          const twin = await runIn(ALUMNO, ["run", "--unstable-net", "--allow-net", twinUdp]);
          assert.equal(twin.code, 0, twin.stderr);
          assert.equal(twin.stdout, "hola desde Deno\n");
        } finally {
          const ran = await server.stop();
          assertNoPrompt(serverArgs.join(" "), ran);
        }
      }

      // The chat: `deno task chat` on the teacher's computer, two students with `deno task client`.
      const chat = spawnIn(SERVIDOR, ["task", "chat"]);
      try {
        assert.ok(await chat.waitFor(/listening on 0\.0\.0\.0:21042\n/), chat.stderr());
        const bo = spawnIn(ALUMNO, ["task", "client", ...host, "--name", "Bo"], true);
        const boInput = bo.child.stdin.getWriter();
        try {
          assert.ok(await bo.waitFor(/welcome to the chat/), bo.stderr());
          const ana = await runIn(ALUMNO, ["task", "client", ...host, "--name", "Ana"], "hola\n");
          assertNoPrompt("deno task client --name Ana", ana);
          assert.equal(ana.code, 0, ana.stderr);
          assert.ok(await bo.waitFor(/^Ana: hola$/m), bo.stdout());
        } finally {
          await boInput.close().catch(() => {});
          const ran = await bo.finish();
          assertNoPrompt("deno task client --name Bo", ran);
        }
      } finally {
        const ran = await chat.stop();
        assertNoPrompt("deno task chat", ran);
      }
    } finally {
      await removeComputers();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
