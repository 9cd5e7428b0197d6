// Least privilege: the run commands of deno.json and the README give each script exactly the
// address it uses (--allow-net=HOST:PORT), and nothing less works: the script says so in one line
// and exits 1.
import assert from "node:assert/strict";
import { ROOT, run } from "./helpers.ts";

const GREETING = "welcome: every line you send comes back to you\n";

/** A port that nothing listens on: bind a free one, then let it go. */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
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

Deno.test("deno.json runs server.ts and client.ts with --allow-net for their own address only", async () => {
  const { tasks } = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  assert.equal(tasks.server, "deno run --allow-net=0.0.0.0:21042 server.ts"); // the server's defaults
  assert.equal(tasks.client, "deno run --allow-net=127.0.0.1:21042 client.ts"); // the client's defaults
  assert.match(tasks.stress, /^sh stress\/run\.sh$/);
  const wrapper = await Deno.readTextFile(`${ROOT}stress/run.sh`);
  assert.match(wrapper, /deno run --allow-net=127\.0\.0\.1 /); // stress: loopback only
});

Deno.test("server.ts starts with --allow-net=HOST:PORT of its own address (the task's form)", async () => {
  const port = freePort();
  const everywhere = await firstLine([`--allow-net=0.0.0.0:${port}`], ["--port", `${port}`]);
  assert.equal(everywhere.line.split("\n")[0], `listening on 0.0.0.0:${port}`);
  assert.equal(everywhere.stderr, "");
  const loopback = await firstLine([`--allow-net=127.0.0.1:${port}`], [
    "--host",
    "127.0.0.1",
    "--port",
    `${port}`,
  ]);
  assert.equal(loopback.line.split("\n")[0], `listening on 127.0.0.1:${port}`);
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
