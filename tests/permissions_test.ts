// Least privilege: the run commands of deno.json and docs/permissions.md give each script the
// address it uses (--allow-net=HOST:PORT), and nothing less works: the script says so in one line
// and exits 1.
import assert from "node:assert/strict";
import { decode, encode } from "./helpers/io.ts";
import { freePort, ROOT, run, startServer } from "./helpers/process.ts";
import { UdpPeer } from "./helpers/udp.ts";
import { testNeeding } from "./helpers/needs.ts";

const GREETING = "welcome: every line you send comes back to you\n";

const TASKS: Record<string, string> = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).tasks;

/**
 * A deno.json run task, taken apart: its deno flags with the default port 21042 changed to `port`
 * (the tests never use 21042), and its script. Only `deno run FLAGS SCRIPT` tasks are taken.
 */
function task(name: string, port: number): { flags: string[]; script: string } {
  const words = TASKS[name]?.split(" ") ?? [];
  assert.deepEqual(words.slice(0, 2), ["deno", "run"], `deno.json task ${name}: ${TASKS[name]}`);
  assert.ok(words.at(-1)!.endsWith(".ts"), `deno.json task ${name} ends with its script`);
  const flags = words.slice(2, -1).map((flag) => flag.replaceAll("21042", `${port}`));
  return { flags, script: words.at(-1)! };
}

/**
 * `work(port)` on a port that was free a moment ago, and again on another (5 tries at most) while
 * the result says that another process took it meanwhile (the machine may be shared).
 */
async function onFreePort<T extends { stderr: string }>(
  work: (port: number) => Promise<T>,
): Promise<[T, number]> {
  for (let tries = 1;; tries++) {
    const port = freePort();
    const result = await work(port);
    if (tries === 5 || !/already in use/.test(result.stderr)) return [result, port];
  }
}

/** Start a deno.json server task as written, on a free port instead of 21042 (see onFreePort). */
async function startTask(name: string) {
  for (let tries = 1;; tries++) {
    const port = freePort();
    const { flags, script } = task(name, port);
    try {
      const server = await startServer(["--port", `${port}`], {
        script,
        denoFlags: flags,
        host: null,
      });
      return { server, port };
    } catch (error) {
      if (tries === 5 || !/already in use/.test((error as Error).message)) throw error;
    }
  }
}

/**
 * Start server.ts with these deno flags and server flags, read its first line, then stop it. (Its
 * exit code is not checked here: a SIGTERM right after "listening on" can come before server.ts
 * has set its signal handlers, and then it ends with 143.)
 */
async function firstLine(
  denoFlags: string[],
  args: string[],
): Promise<{ line: string; code: number; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...denoFlags, "server.ts", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const stderr = new Response(child.stderr).text();
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  try {
    const line = (await lines.read()).value ?? "";
    try {
      child.kill("SIGTERM");
    } catch { /* it had exited already */ }
    return { line, code: (await child.status).code, stderr: await stderr };
  } finally {
    clearTimeout(timer);
    await lines.cancel();
  }
}

testNeeding(
  ["signals"],
  "deno.json's run tasks, run as written (another port), let each script do its job",
  async () => {
    for (const [serverTask, greeting] of [["server", GREETING], ["chat", "welcome to the chat"]]) {
      if (serverTask === "chat" && TASKS.chat === undefined) continue; // until the chat has its task
      // No --host: the script's default host must be what the task allows.
      const { server, port } = await startTask(serverTask);
      try {
        assert.match(server.stdout(), new RegExp(`^listening on 0\\.0\\.0\\.0:${port}\n`));
        const client = task("client", port);
        // In the chat nothing comes back to the sender: --name says so to client.ts.
        const name = serverTask === "chat" ? ["--name", "Ana"] : [];
        const args = [...client.flags, client.script, "--port", `${port}`, ...name, "hola"];
        const talk = await run(["run", ...args]);
        assert.equal(talk.code, 0, `${TASKS.client}: ${talk.stderr}`);
        assert.ok(talk.stdout.startsWith(greeting), `${TASKS[serverTask]}: ${talk.stdout}`);
      } finally {
        const finished = await server.stop();
        assert.equal(finished.code, 0, `${TASKS[serverTask]}: ${finished.stderr}`);
        assert.equal(finished.stderr, "", TASKS[serverTask]);
      }
    }

    const { server, port } = await startTask("udp-server");
    const peer = new UdpPeer();
    try {
      assert.match(server.stdout(), new RegExp(`^listening on 0\\.0\\.0\\.0:${port}\n`));
      const client = task("udp-client", port);
      const talk = await run(["run", ...client.flags, client.script, "--port", `${port}`, "hola"]);
      assert.equal(talk.code, 0, `${TASKS["udp-client"]}: ${talk.stderr}`);
      assert.match(talk.stdout, /^hola {2}\(reply in /);
      await peer.send(encode("de otro puerto"), port); // any client of this machine is answered
      assert.equal(decode((await peer.receive())?.[0] ?? new Uint8Array()), "de otro puerto");
    } finally {
      await peer.close();
      const finished = await server.stop();
      assert.equal(finished.code, 0, `${TASKS["udp-server"]}: ${finished.stderr}`);
      assert.equal(finished.stderr, "", TASKS["udp-server"]);
    }

    // The scripts' own default port is the 21042 the tasks allow.
    for (const name of ["server", "client", "udp-server", "udp-client", "chat"]) {
      if (TASKS[name] === undefined && name === "chat") continue;
      const { flags, script } = task(name, 21042);
      const help = await run(["run", ...flags, script, "--help"]);
      assert.match(help.stdout, /--port\b.*\b21042\b/, `${script} --help`);
    }
    // stress: loopback only.
    assert.match(TASKS.stress, /^sh stress\/run\.sh$/);
    const wrapper = await Deno.readTextFile(`${ROOT}stress/run.sh`);
    assert.match(wrapper, /deno run --allow-net=127\.0\.0\.1 /);
  },
);

Deno.test("server.ts starts with --allow-net=HOST:PORT of its own address (the task's form)", async () => {
  const [everywhere, port] = await onFreePort((port) =>
    firstLine([`--allow-net=0.0.0.0:${port}`], ["--port", `${port}`])
  );
  assert.equal(everywhere.line.split("\n")[0], `listening on 0.0.0.0:${port}`);
  assert.equal(everywhere.stderr, "");
  const [loopback, other] = await onFreePort((port) =>
    firstLine([`--allow-net=127.0.0.1:${port}`], ["--host", "127.0.0.1", "--port", `${port}`])
  );
  assert.equal(loopback.line.split("\n")[0], `listening on 127.0.0.1:${other}`);
  assert.equal(loopback.stderr, "");
});

Deno.test("server.ts refuses to start with less than its address: one clear line, exit 1", async () => {
  const port = freePort();
  const cases = [
    { flags: [], args: ["--port", `${port}`], address: `0.0.0.0:${port}` }, // no permission at all
    {
      flags: [`--allow-net=127.0.0.1:${port}`],
      args: ["--port", `${port}`],
      address: `0.0.0.0:${port}`,
    }, // host
    {
      flags: [`--allow-net=0.0.0.0:${port}`],
      args: ["--port", `${port + 1}`],
      address: `0.0.0.0:${port + 1}`,
    }, // port
    {
      flags: [`--allow-net=0.0.0.0:${port}`],
      args: ["--host", "127.0.0.1", "--port", `${port}`],
      address: `127.0.0.1:${port}`,
    },
  ];
  for (const { flags, args, address } of cases) {
    const refused = await run(["run", ...flags, "server.ts", ...args]);
    assert.equal(refused.code, 1, `${flags} ${args}: ${refused.stderr}`);
    assert.equal(refused.stdout, "");
    assert.equal(
      refused.stderr,
      `server.ts: no permission to listen on ${address}: run with --allow-net=${address}\n`,
    );
  }
});

Deno.test("client.ts works with --allow-net for the server's address only, and refuses with less", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  const serving = (async () => {
    const conn = await listener.accept();
    await conn.write(new TextEncoder().encode(GREETING));
    const buffer = new Uint8Array(1024);
    for (let count; (count = await conn.read(buffer)) !== null;) { // echo, until the half-close
      await conn.write(buffer.subarray(0, count));
    }
    conn.close();
  })();
  try {
    const allowed = await run([
      "run",
      `--allow-net=127.0.0.1:${port}`,
      "client.ts",
      "--port",
      `${port}`,
      "hola",
    ]);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.equal(allowed.stdout, GREETING + "hola\n");
    for (
      const flags of [[], [`--allow-net=127.0.0.1:${port + 1}`], [`--allow-net=localhost:${port}`]]
    ) {
      const refused = await run(["run", ...flags, "client.ts", "--port", `${port}`, "hola"]);
      assert.equal(refused.code, 1, `${flags}: ${refused.stderr}`);
      assert.equal(
        refused.stderr,
        `client.ts: no permission to connect to 127.0.0.1:${port}: run with --allow-net=127.0.0.1:${port}\n`,
      );
    }
  } finally {
    await serving;
    listener.close();
  }
});
