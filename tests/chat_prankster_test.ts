// chat_server.ts against a classroom prankster: a flood and a burst that must not empty the room,
// names that fake others, a student whose connection vanished coming back, the memory of unfinished
// lines, and a stderr nobody reads. Every wait has a deadline; every child is awaited.
import assert from "node:assert/strict";
import { delay, readLine } from "./helpers/io.ts";
import { ROOT } from "./helpers/process.ts";

const connect = (port: number) => Deno.connect({ hostname: "127.0.0.1", port });

function shut(...conns: Deno.Conn[]) {
  for (const conn of conns) {
    try {
      conn.close();
    } catch { /* closed already */ }
  }
}

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
