// chat_server.ts and client.ts as the chat client, run as real processes.
import assert from "node:assert/strict";
import { encode, LineReader, readLine, run, startServer, writeAll } from "./helpers.ts";

const connect = (port: number) => Deno.connect({ hostname: "127.0.0.1", port });

/** Join the room, read the welcome line, and take a name. */
async function join(port: number, name: string): Promise<Deno.TcpConn> {
  const conn = await connect(port);
  assert.match(await readLine(conn), /^welcome to the chat, 127\.0\.0\.1:\d+: \d+ online/);
  await writeAll(conn, encode(`/name ${name}\n`));
  return conn;
}

/** Read lines until one matches; fails after `limit` lines. */
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
  const server = await startServer([], { script: "chat_server.ts" });
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

Deno.test("chat: a client that never reads is dropped, and the room goes on", async () => {
  const server = await startServer(["--quiet"], { script: "chat_server.ts" });
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
    await writeAll(talker, encode("still here?\n"));
    assert.equal(await lines.next(), "Talker: still here?\n");
  } finally {
    for (const conn of [talker, reader, sleeper]) conn.close();
    await server.stop();
  }
});

Deno.test("chat: client.ts --name is the chat client, and shows what others write", async () => {
  const server = await startServer([], { script: "chat_server.ts" });
  const ana = await join(server.port, "Ana");
  try {
    const client = run([
      "run",
      "--allow-net",
      "client.ts",
      "--port",
      `${server.port}`,
      "--name",
      "Bo",
    ], {
      stdin: "hola desde client.ts\n",
    });
    assert.equal((await readUntil(ana, /hola desde/)).at(-1), "Bo: hola desde client.ts\n");
    const finished = await client;
    assert.equal(finished.code, 0, finished.stderr);
    assert.match(finished.stdout, /^welcome to the chat, 127\.0\.0\.1:\d+: 2 online/);
    assert.doesNotMatch(finished.stdout, /hola desde/); // not sent back to its sender
  } finally {
    ana.close();
    await server.stop();
  }
});

Deno.test("chat: /name takes extra spaces, keeps 32 characters; control characters never reach others", async () => {
  const server = await startServer(["--quiet"], { script: "chat_server.ts" });
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

Deno.test("chat_server.ts: Ctrl-C with members connected closes them and exits 0", async () => {
  const server = await startServer(["--quiet"], { script: "chat_server.ts" });
  const ana = await join(server.port, "Ana");
  try {
    const finished = await server.stop("SIGINT");
    assert.equal(finished.code, 0, finished.stderr);
    assert.equal(await readLine(ana), ""); // closed by the server, with no "left" notice
  } finally {
    ana.close();
  }
});
