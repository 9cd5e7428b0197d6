// udp_server.ts when things go wrong around it: its stderr is a pipe nobody reads, a datagram
// bounces between it and another echo server at any speed, and (on Windows) a receive fails with
// ConnectionReset after a reply to a closed port.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { encode, within } from "./helpers/io.ts";
import { listeningPort } from "./helpers/process.ts";
import { UdpPeer } from "./helpers/udp.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/**
 * udp_server.ts on 127.0.0.1 with `denoFlags`, its stdout read (all of it) and its stderr a pipe
 * that nobody reads, ever. `stop()` sends SIGTERM and says how long it took to exit (ms).
 */
async function startMuted(denoFlags: string[], args: string[] = []) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...denoFlags, "udp_server.ts", "--host", "127.0.0.1", "--port", "0", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdout = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let exited = false;
  const status = child.status.finally(() => exited = true);
  let said = "";
  while (listeningPort(said) === undefined) {
    const { value, done } = await within(stdout.read(), 15_000, `no listening line: ${said}`)
      .catch(() => ({ value: "", done: true }));
    if (done) {
      if (!exited) child.kill("SIGKILL");
      await status;
      await child.stderr.cancel();
      assert.fail(`udp_server.ts did not start: ${said}`);
    }
    said += value;
  }
  const draining = (async () => {
    while (!(await stdout.read()).done) { /* its log: read, not checked */ }
  })();
  return {
    port: listeningPort(said)!,
    running: () => !exited,
    /** SIGTERM; the exit code and how long it took, at most `ms` (then SIGKILL). */
    async stop(ms = 5000): Promise<{ code: number; tookMs: number }> {
      const signalled = performance.now();
      if (!exited) child.kill("SIGTERM");
      const late = setTimeout(() => exited || child.kill("SIGKILL"), ms);
      const { code } = await status;
      const tookMs = performance.now() - signalled;
      clearTimeout(late);
      await draining;
      await child.stderr.cancel();
      return { code, tookMs };
    },
  };
}

Deno.test("udp_server.ts: 3,000 datagrams it may not answer, with its stderr never read: it still answers a client it may, and SIGTERM ends it within 2 s", async () => {
  const client = new UdpPeer();
  const stranger = new UdpPeer();
  // Permission to listen, and to reply to the client's port only: every datagram from the
  // stranger makes a "cannot reply to ..." line on stderr, 3,000 of them far more than a pipe holds.
  const allow = `--allow-net=127.0.0.1:0,127.0.0.1:${client.port}`;
  const server = await startMuted(["--unstable-net", allow], ["--quiet"]);
  let stopped;
  try {
    for (let i = 0; i < 3000; i++) await stranger.send(encode(`stranger ${i}`), server.port);
    // One in flight at a time, as udp_client.ts does: each must be answered.
    for (let i = 0; i < 20; i++) {
      await client.send(encode(`hola ${i}`), server.port);
      const reply = await client.receive(5000);
      assert.ok(reply, `no reply to datagram ${i}`);
      assert.equal(decode(reply[0]), `hola ${i}`);
    }
  } finally {
    await client.close();
    await stranger.close();
    stopped = await server.stop();
  }
  assert.equal(stopped.code, 0);
  assert.ok(stopped.tookMs < 2000, `exited ${stopped.tookMs.toFixed(0)} ms after SIGTERM`);
});
