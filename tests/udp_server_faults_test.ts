// udp_server.ts when things go wrong around it: its stderr is a pipe nobody reads, a datagram
// bounces between it and another echo server at any speed, and (on Windows) a receive fails with
// ConnectionReset after a reply to a closed port.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { encode, within } from "./helpers/io.ts";
import { listeningPort, run, startServer } from "./helpers/process.ts";
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
    env: { NO_COLOR: "1", LC_ALL: "C" },
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
    // One in flight at a time, sent again after 1 s without a reply, as udp_client.ts does (the
    // system drops what comes while the socket's buffer is full of the stranger's): each must be
    // answered.
    for (let i = 0; i < 20; i++) {
      let answered = false;
      for (let tries = 0; tries < 5 && !answered; tries++) {
        await client.send(encode(`hola ${i}`), server.port);
        const deadline = Date.now() + 1000;
        while (!answered && Date.now() < deadline) {
          const reply = await client.receive(Math.max(1, deadline - Date.now()));
          answered = reply !== undefined && decode(reply[0]) === `hola ${i}`; // not a late one
        }
      }
      assert.ok(answered, `no reply to datagram ${i} in 5 tries`);
    }
  } finally {
    await client.close();
    await stranger.close();
    stopped = await server.stop();
  }
  assert.equal(stopped.code, 0);
  assert.ok(stopped.tookMs < 2000, `exited ${stopped.tookMs.toFixed(0)} ms after SIGTERM`);
});

/** udp_server.ts as the tests start it (stdout and stderr read), on 127.0.0.1. */
const startUdp = (args: string[] = []) =>
  startServer(args, { script: "udp_server.ts", denoFlags: ["--unstable-net", "--allow-net"] });

/**
 * Be another echo server, a slow one: send `data` from `peer`, then send back each datagram of the
 * server's a moment later (a timer turn or two, the link's delay), until the server stops answering
 * (no datagram for 1 s) or `most` bounces. Says how many times the server answered.
 */
async function slowEcho(peer: UdpPeer, port: number, data: Uint8Array, most: number) {
  let answered = 0;
  await peer.send(data, port);
  while (answered < most) {
    const got = await peer.receive(1000);
    if (!got) break;
    answered++;
    await new Promise((resolve) => setTimeout(resolve, 1));
    await peer.send(got[0], port);
  }
  return answered;
}

Deno.test("udp_server.ts: a slow echo loop (another echo server, far under --max-rate) is cut after a few bounces, said once; fresh datagrams are still answered", async () => {
  const server = await startUdp(["--timestamps"]);
  const peer = new UdpPeer();
  try {
    // About 300 to 800 bounces a second here, under the default --max-rate 2000: the old guard
    // never cut it. Now: its own replies coming back 50 times in a row, and no more.
    const answered = await slowEcho(peer, server.port, encode("loop?"), 2000);
    assert.ok(answered >= 50 && answered <= 60, `answered ${answered} bounces`);
    const said = server.stdout().match(/ ignored datagram from .*\(echo loop guard\)$/gm) ?? [];
    assert.equal(said.length, 1, server.stdout());
    assert.match(said[0], /: its own replies came back 50 times in a row \(echo loop guard\)$/);
    // The same sender with something new is answered at once, during the pause too.
    await peer.send(encode("something new"), server.port);
    const reply = await peer.receive(5000);
    assert.ok(reply);
    assert.equal(decode(reply[0]), "something new");
  } finally {
    await peer.close();
    assert.equal((await server.stop()).code, 0);
  }
});

Deno.test("udp_server.ts: copies that are no loop are all answered: a file with runs of equal lines through udp_client.ts, one datagram sent 40 times in a row", async () => {
  const server = await startUdp();
  const peer = new UdpPeer();
  try {
    // 100 lines each 10 times in a row, and 30 empty lines in a row: one datagram in flight.
    const lines = Array.from({ length: 100 }, (_, n) => Array(10).fill(`line ${n}`)).flat();
    lines.splice(500, 0, ...Array(30).fill(""));
    const client = await run(
      ["run", "--unstable-net", "--allow-net", "udp_client.ts", "--port", `${server.port}`],
      { stdin: lines.join("\n") + "\n" },
    );
    assert.equal(client.code, 0, client.stderr);
    const replies = client.stdout.split("\n").slice(0, -1);
    assert.deepEqual(replies.map((line) => line.replace(/ {2}\(reply .*$/, "")), lines);
    assert.deepEqual(replies.filter((line) => !line.endsWith(", 1 try)")), []); // no retries
    // A client whose every reply was lost sends the same again: 40 times, all answered.
    for (let i = 0; i < 40; i++) {
      await peer.send(encode("otra vez"), server.port);
      const reply = await peer.receive(5000);
      assert.ok(reply, `no reply to copy ${i}`);
    }
  } finally {
    await peer.close();
    const finished = await server.stop();
    assert.match(finished.stdout, /echoed 8 bytes to .*: "otra vez"$/m);
    assert.doesNotMatch(finished.stdout, /ignored/);
  }
});

/**
 * A --preload module for udp_server.ts that makes its socket behave as on Windows, which Linux
 * cannot: after a datagram is sent to one of the `gone` ports (closed), the next receive() fails
 * with ConnectionReset (WSAECONNRESET, os error 10054). The script itself is not changed.
 */
function windowsLikeResets(gone: number[]): string {
  return `
const real = Deno.listenDatagram;
const gone = new Set(${JSON.stringify(gone)});
Object.defineProperty(Deno, "listenDatagram", {
  value: (options) => {
    const socket = real(options);
    let reset = false;
    return new Proxy(socket, {
      get(target, key) {
        if (key === "send") {
          return async (data, addr) => {
            const sent = await target.send(data, addr);
            if (gone.has(addr.port)) reset = true;
            return sent;
          };
        }
        if (key === "receive") {
          return (buffer) => {
            if (!reset) return target.receive(buffer);
            reset = false;
            const text = "An existing connection was forcibly closed by the remote host. (os error 10054)";
            return Promise.reject(new Deno.errors.ConnectionReset(text));
          };
        }
        const value = Reflect.get(target, key, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  },
});
`;
}

/** Older Deno 2 releases have no --preload: the test below says so and is skipped there. */
const runHelp = await new Deno.Command(Deno.execPath(), { args: ["run", "--help"] }).output();
const NO_PRELOAD = new TextDecoder().decode(runHelp.stdout).includes("--preload")
  ? ""
  : ` (ignored: Deno ${Deno.version.deno} has no --preload)`;

Deno.test({
  name: "udp_server.ts: a receive that fails with ConnectionReset (Windows, after a reply to a " +
    `closed port) costs nothing: no pause, no line, the next client served at its first try${NO_PRELOAD}`,
  ignore: NO_PRELOAD !== "",
}, async () => {
  // 30 clients that each send one datagram and close before its reply, as a student's may.
  const leaving = Array.from({ length: 30 }, () => new UdpPeer());
  const dir = await Deno.makeTempDir();
  const preload = `${dir}/windows_like_resets.js`;
  await Deno.writeTextFile(preload, windowsLikeResets(leaving.map((peer) => peer.port)));
  const server = await startServer([], {
    script: "udp_server.ts",
    denoFlags: ["--unstable-net", "--allow-net", "--preload", preload],
  });
  let finished;
  try {
    for (const [n, peer] of leaving.entries()) {
      await peer.send(encode(`bye ${n}`), server.port);
      await peer.close();
    }
    // udp_client.ts waits 1 s for each reply before it tries again.
    const messages = ["uno", "dos", "tres"];
    const client = await run(
      ["run", "--unstable-net", "--allow-net", "udp_client.ts", "--port", `${server.port}`],
      { stdin: messages.join("\n") + "\n" },
    );
    assert.equal(client.code, 0, client.stderr);
    const replies = client.stdout.split("\n").slice(0, -1);
    assert.deepEqual(replies.map((line) => line.replace(/ {2}\(reply .*$/, "")), messages);
    assert.deepEqual(replies.filter((line) => !line.endsWith(", 1 try)")), []);
  } finally {
    finished = await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
  assert.equal(finished.code, 0);
  // It answered every leaving client, and the 30 resets that followed said nothing.
  for (let n = 0; n < 30; n++) assert.match(finished.stdout, new RegExp(`: "bye ${n}"$`, "m"));
  assert.equal(finished.stderr, "");
});
