// leccion/*.ts as a beginner meets them: code with nothing to stumble on, a header command that
// works with the file alone in a folder (as when it is pasted into a slide or sent to a student),
// a server that says when a client comes and goes, and UDP twins that behave on Windows (where a
// receive can fail with ConnectionReset) and that take their reply only from the server.
// tests/leccion_test.ts checks their size, steps and wire behaviour.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { decode, encode } from "./helpers/io.ts";
import { UdpPeer } from "./helpers/udp.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const RESET = fileURLToPath(new URL("windows_udp_reset.ts", import.meta.url));
const ESCUCHANDO = /^escuchando en 0\.0\.0\.0:(\d+)$/m;

/** --preload, which the Windows stand-in needs, is in Deno 2.4 and later. */
const help = await new Deno.Command(Deno.execPath(), { args: ["run", "--help"], stdin: "null" })
  .output();
const PRELOAD = decode(help.stdout).includes("--preload");
const NO_PRELOAD = "needs deno run --preload (Deno 2.4 and later)";

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** `deno ARGS` in `cwd`, to its end (killed after 20 s). */
async function run(args: string[], cwd = ROOT): Promise<Ran & { ms: number }> {
  const began = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    env: { NO_COLOR: "1" },
    stdin: "null",
    signal: AbortSignal.timeout(20_000),
  }).output();
  const ms = performance.now() - began;
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr), ms };
}

/** A twin server: `deno ARGS`, up to its `escuchando en` line (at most 15 s). */
async function startTwin(args: string[], cwd = ROOT) {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let stdout = "", stderr = "", exited = false;
  const pump = async (stream: ReadableStream<Uint8Array>, add: (text: string) => void) => {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) add(text);
  };
  const output = Promise.all([
    pump(child.stdout, (text) => stdout += text),
    pump(child.stderr, (text) => stderr += text),
  ]);
  const status = child.status.finally(() => exited = true);
  const stop = async (): Promise<Ran> => {
    if (!exited) child.kill("SIGKILL");
    const { code } = await status;
    await output;
    return { code, stdout, stderr };
  };
  const waitFor = async (pattern: RegExp, ms = 15_000) => {
    const deadline = Date.now() + ms;
    while (!pattern.test(stdout) && !exited && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return pattern.test(stdout);
  };
  if (!await waitFor(ESCUCHANDO)) throw new Error(`${args} did not start: ${stdout}${stderr}`);
  const port = Number(ESCUCHANDO.exec(stdout)![1]);
  return { port, stdout: () => stdout, running: () => !exited, waitFor, stop };
}

const TWINS = ["server.ts", "client.ts", "udp_server.ts", "udp_client.ts"];

Deno.test("leccion/: the twins' code has nothing a beginner must decode first", async () => {
  for (const name of TWINS) {
    const text = await Deno.readTextFile(`${ROOT}leccion/${name}`);
    assert.doesNotMatch(text, /^\s*type \w+ =/m, `${name}: a type alias`);
    assert.doesNotMatch(text, /for \(let \w+;/, `${name}: a loop that reads in its condition`);
    assert.doesNotMatch(text, /Promise\.(race|withResolvers)/, `${name}: Promise.race`);
  }
  for (const name of ["server.ts", "client.ts"]) {
    const text = await Deno.readTextFile(`${ROOT}leccion/${name}`);
    assert.match(text, /while \(true\) \{\n\s+const n = await conn\.read\(buffer\);/, name);
    assert.match(text, /Deno\.hostname\(\)/, `${name}: step 2 shows Deno.hostname()`);
  }
});

Deno.test("leccion/: each header's command works with the file alone in a folder", async () => {
  const dir = await Deno.makeTempDir({ prefix: "twins_alone_" });
  try {
    const command = async (name: string) => {
      await Deno.copyFile(`${ROOT}leccion/${name}`, `${dir}/${name}`);
      const text = await Deno.readTextFile(`${dir}/${name}`);
      const line = text.match(/^\/\/.*?(deno run [^(]*?\.ts)\b/m)?.[1];
      assert.ok(line, `${name}: no "deno run ..." command in its header`);
      return line.split(" ").slice(1); // without "deno"
    };
    for (
      const [server, client] of [["server.ts", "client.ts"], ["udp_server.ts", "udp_client.ts"]]
    ) {
      const twin = await startTwin([...await command(server), "0"], dir);
      try {
        const ran = await run([...await command(client), `${twin.port}`], dir);
        assert.equal(ran.code, 0, `${client}: ${ran.stderr}`);
        assert.match(ran.stdout, /hola desde Deno\n$/);
      } finally {
        await twin.stop();
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("leccion/server.ts says when a client comes and when it goes", async () => {
  const twin = await startTwin(["run", "--allow-net", "leccion/server.ts", "0"]);
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: twin.port });
    const who = `127.0.0.1:${conn.localAddr.port}`;
    assert.ok(await twin.waitFor(new RegExp(`^llegó ${who}$`, "m")), twin.stdout());
    assert.ok(!twin.stdout().includes(`se fue ${who}`), twin.stdout());
    conn.close();
    assert.ok(await twin.waitFor(new RegExp(`^se fue ${who}$`, "m")), twin.stdout());
  } finally {
    await twin.stop();
  }
});

Deno.test({
  name: `leccion/udp_server.ts goes on after a receive fails with ConnectionReset, as on Windows${
    PRELOAD ? "" : ` (IGNORED: ${NO_PRELOAD})`
  }`,
  ignore: !PRELOAD,
  async fn() {
    const args = ["run", "--allow-net", "--preload", RESET, "leccion/udp_server.ts", "0"];
    const twin = await startTwin(args);
    const peer = new UdpPeer();
    try {
      // Each reply is followed by a receive that fails, as after a reply to a client that left.
      for (const text of ["uno", "dos", "tres"]) {
        await peer.send(encode(text), twin.port);
        const reply = await peer.receive(5_000);
        assert.equal(reply && decode(reply[0]), text, twin.stdout());
      }
      assert.ok(twin.running());
      assert.match(twin.stdout(), /ConnectionReset/);
    } finally {
      await peer.close();
      await twin.stop();
    }
  },
});

Deno.test("leccion/udp_client.ts takes its reply only from the server's address and port", async () => {
  const server = new UdpPeer(), stranger = new UdpPeer();
  try {
    const client = run(["run", "--allow-net", "leccion/udp_client.ts", `${server.port}`]);
    const got = await server.receive(10_000);
    assert.ok(got, "the twin sent nothing");
    const [message, from] = got;
    // A stranger answers first, with what would retitle and clear a terminal; then the server.
    await stranger.send(encode("\x1b]0;HACKED\x07\x1b[2Jtu nota es 1"), from.port);
    await new Promise((resolve) => setTimeout(resolve, 100)); // the stranger's is first in line
    await server.send(message, from.port);
    const ran = await client;
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal(ran.stdout, "hola desde Deno\n");
  } finally {
    await server.close();
    await stranger.close();
  }
});

Deno.test({
  name: `leccion/udp_client.ts says what happened when the receive fails at once (Windows)${
    PRELOAD ? "" : ` (IGNORED: ${NO_PRELOAD})`
  }`,
  ignore: !PRELOAD,
  async fn() {
    const nobody = new UdpPeer(); // receives, never answers
    try {
      const ran = await run([
        "run",
        "--allow-net",
        "--preload",
        RESET,
        "leccion/udp_client.ts",
        `${nobody.port}`,
      ]);
      assert.equal(ran.code, 1);
      assert.equal(ran.stdout, "");
      assert.match(ran.stderr, /^udp_client\.ts: ConnectionReset: .*\n$/);
      assert.doesNotMatch(ran.stderr, /2 segundos/);
    } finally {
      await nobody.close();
    }
  },
});
