// chat_server.ts against a classroom prankster: a flood and a burst that must not empty the room,
// names that fake others, a student whose connection vanished coming back, the memory of unfinished
// lines, and a stderr nobody reads. Every wait has a deadline; every child is awaited.
import assert from "node:assert/strict";
import { delay, encode, expectClosed, LineReader, readLine, writeAll } from "./helpers/io.ts";
import { ROOT, startServer } from "./helpers/process.ts";
import { rssKiB, sampleRss } from "./helpers/proc.ts";

const connect = (port: number) => Deno.connect({ hostname: "127.0.0.1", port });
const chat = (args: string[]) => startServer(args, { script: "chat_server.ts" });

function shut(...conns: Deno.Conn[]) {
  for (const conn of conns) {
    try {
      conn.close();
    } catch { /* closed already */ }
  }
}

// ---------------------------------------------------------------------------------------------
// Memory comes back

Deno.test("chat, memory: 500 unfinished 64 KiB lines give their memory back when they end", async () => {
  // Two rounds of 500 connections, each closed by the server after --line-timeout with its line
  // unfinished: first 1 byte each (what 500 connections cost Deno and its allocator, which keep it
  // for the next ones), then 64 KiB each. The second round must leave no more behind than the first.
  const server = await chat(["--quiet", "--max-per-address", "1000", "--line-timeout", "2"]);
  const conns: Deno.TcpConn[] = [];
  const rss = sampleRss(server.child.pid, 50);
  const round = async (line: Uint8Array) => {
    for (let i = 0; i < 500; i++) {
      const conn = await connect(server.port);
      conns.push(conn);
      await readLine(conn);
      await writeAll(conn, line);
    }
    // Each is closed with an error line: its line unfinished for 2 s (or too many held).
    await Promise.all(conns.map(async (conn) => {
      const lines = new LineReader(conn, 30_000);
      while (!/^(error: |$)/.test(await lines.next()));
      await expectClosed(conn, 10_000, "the server");
    }));
    shut(...conns.splice(0));
    await delay(500);
    return await rssKiB(server.child.pid);
  };
  try {
    const base = await round(encode("x"));
    const after = await round(new Uint8Array(64 * 1024).fill(120)); // no "\n": all of it held
    const peak = await rss.stop();
    const figure = `RSS ${base} KiB after 500 short lines, ${peak} KiB at the peak of 500 ` +
      `long ones, ${after} KiB after them`;
    assert.ok(peak - base > 20 * 1024, figure); // the lines were held
    assert.ok(after - base < (peak - base) / 3, figure); // and their memory came back
  } finally {
    await rss.stop();
    shut(...conns);
    await server.stop();
  }
});

// ---------------------------------------------------------------------------------------------
// Every line through the print queue, stderr too

/** python3 ARGS...: run ARGS with stderr a pipe that is full (64 KiB no one reads) and stays open. */
const FULL_STDERR = `
import os, sys
r, w = os.pipe()
os.set_blocking(w, False)
try:
    while True:
        os.write(w, b"x" * 4096)
except BlockingIOError:
    pass
os.set_blocking(w, True)
os.set_inheritable(r, True)
os.dup2(w, 2)
os.execvp(sys.argv[1], sys.argv[1:])
`;

Deno.test("chat, stuck stderr: with its stderr a full pipe nobody reads, it still serves and SIGTERM ends it", async () => {
  // ulimit -n 64 makes accept() fail, which the server says on stderr ("cannot accept ...;
  // retrying"). Deno itself would also warn there about NODE_EXTRA_CA_CERTS, if set: not ours.
  const deno = `"${Deno.execPath()}" run --allow-net chat_server.ts --host 127.0.0.1 --port 0`;
  const child = new Deno.Command("python3", {
    args: [
      "-c",
      FULL_STDERR,
      "sh",
      "-c",
      `unset NODE_EXTRA_CA_CERTS; ulimit -n 64 && exec ${deno}`,
    ],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const stdout = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const conns: Deno.TcpConn[] = [];
  let exited = false;
  const status = child.status.finally(() => exited = true);
  try {
    let said = "";
    const deadline = setTimeout(() => exited || child.kill("SIGKILL"), 15_000);
    while (!said.includes("\n")) {
      const { value, done } = await stdout.read();
      if (done) break;
      said += value;
    }
    clearTimeout(deadline);
    const port = Number(said.match(/^listening on 127\.0\.0\.1:(\d+)/)?.[1]);
    assert.ok(port > 0, said);
    const draining = (async () => { // its log, read (only stderr is stuck)
      while (!(await stdout.read()).done);
    })();
    for (let i = 0; i < 80; i++) conns.push(await connect(port)); // past its descriptors
    await delay(500); // accept() fails meanwhile, and the server says so on stderr
    shut(...conns.splice(0));
    const fresh = await connect(port);
    conns.push(fresh);
    assert.match(await readLine(fresh, 10_000), /^welcome to the chat/);
    const stopped = Date.now();
    child.kill("SIGTERM");
    const timer = setTimeout(() => exited || child.kill("SIGKILL"), 5000);
    const { code } = await status;
    clearTimeout(timer);
    await draining;
    assert.equal(code, 0);
    assert.ok(Date.now() - stopped < 3000, `${Date.now() - stopped} ms to stop`);
  } finally {
    shut(...conns);
    if (!exited) child.kill("SIGKILL");
    await status;
    await stdout.cancel().catch(() => {});
  }
});
