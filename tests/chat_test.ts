// The chat room, chat_server.ts (CHAT in tests/helpers/process.ts), and client.ts as the chat
// client, run as real processes.
import assert from "node:assert/strict";
import { encode, expectClosed, LineReader, readLine, within, writeAll } from "./helpers/io.ts";
import { ROOT, run, startChat, startServer } from "./helpers/process.ts";
import { testNeeding } from "./helpers/needs.ts";

const connect = (port: number) => Deno.connect({ hostname: "127.0.0.1", port });

/** Join the room, read the welcome line, and take a name. */
async function join(port: number, name: string): Promise<Deno.TcpConn> {
  const conn = await connect(port);
  assert.match(await readLine(conn), /^welcome to the chat, 127\.0\.0\.1:\d+: \d+ online/);
  await writeAll(conn, encode(`/name ${name}\n`));
  return conn;
}

/** Read lines until one matches; fails after `limit` lines, or a line that takes over 10 s. */
async function readUntil(conn: Deno.Conn, wanted: RegExp, limit = 20): Promise<string[]> {
  const seen: string[] = [];
  for (let n = 0; n < limit; n++) {
    const line = await readLine(conn);
    seen.push(line);
    if (wanted.test(line) || line === "") return seen;
  }
  throw new Error(`no line matched ${wanted}: ${JSON.stringify(seen)}`);
}

Deno.test("chat: a line reaches the two others, not the sender; joins and leaves are announced", async () => {
  const server = await startChat();
  const ana = await join(server.port, "Ana");
  const bo = await join(server.port, "Bo");
  const cy = await join(server.port, "Cy");
  try {
    assert.deepEqual(await readUntil(ana, /Cy/), [
      "* 127.0.0.1:" + bo.localAddr.port + " joined (2 online)\n",
      "* 127.0.0.1:" + bo.localAddr.port + " is now Bo\n",
      "* 127.0.0.1:" + cy.localAddr.port + " joined (3 online)\n",
      "* 127.0.0.1:" + cy.localAddr.port + " is now Cy\n",
    ]);
    await readUntil(bo, /is now Cy/);
    await writeAll(ana, encode("hola a todos\n"));
    assert.equal(await readLine(bo), "Ana: hola a todos\n");
    assert.equal((await readUntil(cy, /hola/)).at(-1), "Ana: hola a todos\n");
    // The next thing Ana reads is Bo's line: her own line never came back to her.
    await writeAll(bo, encode("hola Ana\n"));
    assert.equal(await readLine(ana), "Bo: hola Ana\n");
    cy.close();
    assert.equal((await readUntil(ana, /left/)).at(-1), "* Cy left (2 online)\n");
    assert.equal((await readUntil(bo, /left/)).at(-1), "* Cy left (2 online)\n");
  } finally {
    ana.close();
    bo.close();
    await server.stop();
  }
});

Deno.test("chat: one who names itself late is never told how; a silent one is, once, a second later", async () => {
  const server = await startChat();
  const silent = await connect(server.port);
  const slow = await connect(server.port);
  try {
    const lines = new LineReader(slow, 10_000);
    assert.match(await lines.next(), /^welcome to the chat, 127\.0\.0\.1:\d+: \d+ online\n$/);
    // A slow laptop, or a Wi-Fi link: its "/name" comes 300 ms after it connected.
    await new Promise((resolve) => setTimeout(resolve, 300)); // on purpose: a late "/name"
    await writeAll(slow, encode("/name Slow\n"));
    const heard = await readUntil(silent, /to pick a name/);
    const hinted = performance.now();
    assert.match(heard[0], /^welcome to the chat, 127\.0\.0\.1:\d+: 1 online\n$/);
    assert.equal(heard.at(-1), '* send "/name NAME" to pick a name\n');
    // The one that named itself hears the room, and no hint: a line said after both hints were
    // due comes to it next (a hint would come before it).
    while (performance.now() - hinted < 300) { // on purpose: past the late one's second too
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await writeAll(silent, encode("hola\n"));
    const rest = [];
    for (let line = ""; !line.endsWith(": hola\n"); rest.push(line)) line = await lines.next();
    assert.ok(!rest.some((line) => /pick a name/.test(line)), JSON.stringify(rest));
    assert.equal(rest.at(-1), `127.0.0.1:${silent.localAddr.port}: hola\n`);
  } finally {
    silent.close();
    slow.close();
    await server.stop();
  }
});

Deno.test("chat: a client that never reads is dropped, and the room goes on", async () => {
  const server = await startChat(["--quiet"]);
  const talker = await join(server.port, "Talker");
  const reader = await join(server.port, "Reader");
  const sleeper = await join(server.port, "Sleeper"); // never reads again
  try {
    await readUntil(talker, /is now Sleeper/);
    await readUntil(reader, /is now Sleeper/);
    // The talker sends long lines, and the reader reads each one before the next is sent: it keeps
    // up. The sleeper falls behind until the server drops it.
    const lines = new LineReader(reader);
    const long = "x".repeat(32 * 1024 - 1);
    let dropped = false;
    for (let sent = 0; sent < 2048 && !dropped; sent++) { // at most 64 MiB
      await writeAll(talker, encode(long + "\n"));
      while (true) {
        const line = await lines.next();
        if (line === "") throw new Error("the server closed the reader");
        if (line === "* Sleeper was disconnected: too far behind (2 online)\n") dropped = true;
        if (line === `Talker: ${long}\n`) break;
      }
    }
    assert.ok(dropped, "the sleeper was never dropped");
    // Dropped means disconnected: after what was already on its way, the sleeper reads the end.
    await expectClosed(sleeper, 10_000, "the server, having dropped the sleeper,");
    await writeAll(talker, encode("still here?\n"));
    assert.equal(await lines.next(), "Talker: still here?\n");
  } finally {
    for (const conn of [talker, reader, sleeper]) conn.close();
    await server.stop();
  }
});

Deno.test("chat: client.ts --name is the chat client, and shows what others write", async () => {
  const server = await startChat();
  const ana = await join(server.port, "Ana");
  const client = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "client.ts", "--port", `${server.port}`, "--name", "Bo"],
    cwd: ROOT,
    env: { NO_COLOR: "1", LC_ALL: "C" },
    stdin: "piped", // left open while the others talk: a user still typing
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).spawn();
  const stderr = new Response(client.stderr).text();
  const stdout = client.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const input = client.stdin.getWriter();
  let seen = "";
  /** Read client.ts's stdout until it shows `wanted`; fails after 10 s. */
  const shows = async (wanted: RegExp) => {
    const deadline = Date.now() + 10_000;
    while (!wanted.test(seen)) {
      const { value, done } = await within(
        stdout.read(),
        Math.max(0, deadline - Date.now()),
        `client.ts never showed ${wanted}; it showed ${JSON.stringify(seen)}`,
      );
      if (done) {
        throw new Error(`client.ts ended before showing ${wanted}: ${JSON.stringify(seen)}`);
      }
      seen += value;
    }
  };
  try {
    await shows(/^welcome to the chat, 127\.0\.0\.1:\d+: 2 online/);
    await readUntil(ana, /is now Bo/);
    await writeAll(ana, encode("hola Bo\n"));
    await shows(/\nAna: hola Bo\n/); // what another member writes appears while Bo types
    await input.write(encode("hola desde client.ts\n"));
    assert.equal((await readUntil(ana, /hola desde/)).at(-1), "Bo: hola desde client.ts\n");
    await input.close();
    const { code } = await within(client.status, 10_000, "client.ts did not exit after Ctrl-D");
    for (let more = await stdout.read(); !more.done; more = await stdout.read()) seen += more.value;
    assert.equal(code, 0, await stderr);
    assert.doesNotMatch(seen, /hola desde/); // not sent back to its sender
  } finally {
    await input.close().catch(() => {});
    await stdout.cancel().catch(() => {});
    try {
      client.kill("SIGKILL");
    } catch { /* it has exited */ }
    await client.status;
    await stderr;
    ana.close();
    await server.stop();
  }
});

Deno.test("chat: /name takes extra spaces, keeps 32 characters; control characters never reach others", async () => {
  const server = await startChat(["--quiet"]);
  const ana = await join(server.port, "Ana");
  const other = await connect(server.port);
  try {
    assert.match(await readLine(other), /^welcome to the chat/);
    await readUntil(ana, /joined/);
    await writeAll(other, encode(`/name    ${"ñ".repeat(40)}  \n`));
    assert.equal(
      (await readUntil(ana, /is now/)).at(-1),
      `* 127.0.0.1:${other.localAddr.port} is now ${"ñ".repeat(32)}\n`,
    );
    await writeAll(other, encode("\x1b[31mrojo\x07\r\n"));
    assert.equal(await readLine(ana), `${"ñ".repeat(32)}: [31mrojo\n`);
  } finally {
    ana.close();
    other.close();
    await server.stop();
  }
});

Deno.test("chat_server.ts: --help and bad usage like the others; server.ts no longer takes --chat", async () => {
  const help = await run(["run", "--allow-net", "chat_server.ts", "--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^usage: deno run --allow-net chat_server\.ts /);
  for (const args of [["--bogus"], ["--port", "70000"], ["--chat"]]) {
    const bad = await run(["run", "--allow-net", "chat_server.ts", ...args]);
    assert.equal(bad.code, 2, args.join(" "));
    assert.match(bad.stderr, /^chat_server\.ts: .*\nusage: deno run --allow-net chat_server\.ts/);
  }
  const echo = await run(["run", "--allow-net", "server.ts", "--chat"]);
  assert.equal(echo.code, 2);
  assert.match(echo.stderr, /^server\.ts: Unknown option '--chat'/);
});

testNeeding(
  ["signals"],
  "chat_server.ts: Ctrl-C with members connected closes them and exits 0",
  async () => {
    const server = await startServer(["--quiet"], { script: "chat_server.ts" });
    const ana = await join(server.port, "Ana");
    try {
      const finished = await server.stop("SIGINT");
      assert.equal(finished.code, 0, finished.stderr);
      // Closed by the server, with no "left" notice. If the server had not read Ana's "/name" line
      // yet, the system resets the connection instead of ending it: closed all the same.
      const last = await readLine(ana).catch((error) => {
        if (error instanceof Deno.errors.ConnectionReset) return "";
        throw error;
      });
      assert.equal(last, "");
    } finally {
      ana.close();
    }
  },
);
