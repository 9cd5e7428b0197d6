// server.ts in a classroom: output nobody reads, clients
// that reset before accept(), the limits (--max-clients, --max-per-address, --line-timeout, the
// memory of unfinished lines), and a trace that names each client.
import assert from "node:assert/strict";
import { delay, encode, readLine, readToEnd, waitUntil, writeAll } from "./helpers/io.ts";
import {
  type RunningServer,
  startServer,
  startUnread as startUnreadServer,
} from "./helpers/process.ts";
import { pythonCode } from "./helpers/python.ts";
import { heldLines } from "../stress/scenarios.ts";
import { testNeeding } from "./helpers/needs.ts";

const GREETING = "welcome: every line you send comes back to you\n";
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** Reject with `what` if `promise` has not settled within `ms` (the timer is always cleared). */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => timer = setTimeout(() => reject(new Error(what)), ms)),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** One exchange: greeting, one line back, close; bounded by `ms`. */
async function echoOnce(port: number, line = "hola\n", ms = 5000) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await within(
      ms,
      `no echo of ${JSON.stringify(line)} within ${ms} ms`,
      (async () => {
        assert.equal(await readLine(conn), GREETING);
        await writeAll(conn, encode(line));
        assert.equal(await readLine(conn), line);
      })(),
    );
  } finally {
    conn.close();
  }
}

/** Run a Python snippet (argv[1] is the port) to its end, killed after 20 s; its stdout. */
async function python(code: string, port: number): Promise<string> {
  const out = await pythonCode(code, [`${port}`]);
  assert.equal(out.code, 0, out.stderr);
  return out.stdout;
}

/** What a client from `source` (127.0.0.x) gets before the server closes, as Python sees it. */
const FROM = (source: string) => `
import socket, sys
s = socket.socket()
s.bind(("${source}", 0))
s.settimeout(10)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.shutdown(socket.SHUT_WR)
got = b""
while True:
    part = s.recv(4096)
    if not part: break
    got += part
print(got.decode(), end="")
`;

/** Close `conn` and wait for the server to log its end (the server counts it no more). */
async function leave(server: RunningServer, conn: Deno.TcpConn) {
  const end = new RegExp(`^closed .*127\\.0\\.0\\.1:${conn.localAddr.port}: `, "m");
  conn.close();
  await waitUntil(() => end.test(server.stdout()), `the server's end of ${conn.localAddr.port}`);
}

const startUnread = (args: string[]) => startUnreadServer("server.ts", ["--allow-net"], args);

testNeeding(
  ["signals"],
  "server.ts keeps serving while nobody reads its output, and SIGTERM stops it within 2 s",
  async () => {
    const server = await startUnread(["--explain"]);
    try {
      assert.ok(server.port > 0);
      // About 500 bytes of log and trace each: 400 of them are 200 KB, three times what a pipe holds.
      for (let i = 0; i < 400; i++) await echoOnce(server.port, `exchange ${i}\n`);
      await echoOnce(server.port, "a new client, still served\n");
      const signalled = performance.now();
      server.child.kill("SIGTERM");
      const status = await within(5000, "no exit within 5 s of SIGTERM", server.status);
      const tookMs = performance.now() - signalled;
      assert.equal(status.code, 0);
      assert.ok(tookMs < 2000, `exited ${tookMs.toFixed(0)} ms after SIGTERM`);
    } finally {
      assert.equal(await server.finish(), "");
    }
  },
);

Deno.test("server.ts: lines it could not print are counted, and the count printed once output moves", async () => {
  const server = await startUnread(["--explain"]);
  try {
    for (let i = 0; i < 400; i++) await echoOnce(server.port, `exchange ${i}\n`);
    // Now read its output again: what was queued comes out, then the count of what was not.
    let seen = "";
    const reading = (async () => {
      while (!/^\(\d+ lines not printed: output was not being read\)$/m.test(seen)) {
        const { value, done } = await server.stdout.read();
        if (done) break;
        seen += decode(value);
      }
    })();
    await within(5000, "no count of the lines not printed", reading);
    const dropped = Number(seen.match(/^\((\d+) lines not printed/m)![1]);
    assert.ok(dropped > 100, `${dropped} lines dropped`);
    assert.match(seen, /\[recv #\d+\] /); // and lines from before the count came through whole
  } finally {
    assert.equal(await server.finish(), "");
  }
});

// SO_LINGER on, time 0: close() sends RST instead of FIN (Deno has no way to ask for it).
const RESETS = `
import socket, struct, sys
for _ in range(30):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
`;

testNeeding(
  ["sigstop", "python"],
  "server.ts: clients that reset before accept() never delay the next one",
  async () => {
    const server = await startServer();
    let stopped = false;
    try {
      // Stopped, the server cannot call accept(); the kernel still completes the handshakes, so
      // the clients connect and reset while their connections wait in the queue.
      Deno.kill(server.child.pid, "SIGSTOP");
      stopped = true;
      await python(RESETS, server.port);
      Deno.kill(server.child.pid, "SIGCONT");
      stopped = false;
      const started = performance.now();
      // 30 pauses of 100 ms would be 3 s or more; 2 s leaves a slow machine room.
      await echoOnce(server.port, "served at once\n", 2000);
      assert.ok(performance.now() - started < 2000);
    } finally {
      if (stopped) Deno.kill(server.child.pid, "SIGCONT");
      const finished = await server.stop();
      assert.equal(finished.code, 0);
      assert.doesNotMatch(finished.stderr, /cannot accept/);
    }
  },
);

testNeeding(
  ["python"],
  "server.ts --max-per-address: one client too many from an address is told so and closed",
  async () => {
    const server = await startServer(["--max-per-address", "2"]);
    const held: Deno.TcpConn[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        held.push(await Deno.connect({ hostname: "127.0.0.1", port: server.port }));
        assert.equal(await readLine(held[i]), GREETING);
      }
      const third = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
      try {
        const refusal =
          "error: too many connections from 127.0.0.1 (--max-per-address 2), closing\n";
        assert.equal(decode(await readToEnd(third, 5000)), refusal);
      } finally {
        third.close();
      }
      // Another address is not affected; and once one of the two leaves, 127.0.0.1 is served again.
      assert.equal(await python(FROM("127.0.0.2"), server.port), GREETING);
      await leave(server, held.shift()!);
      await echoOnce(server.port);
    } finally {
      for (const conn of held) conn.close();
      const finished = await server.stop();
      assert.match(finished.stdout, /^refused 127\.0\.0\.1:\d+: too many connections from /m);
    }
  },
);

testNeeding(
  ["python"],
  "server.ts --max-clients: one client too many is told so and closed, from any address",
  async () => {
    const server = await startServer(["--max-clients", "2"]);
    const held: Deno.TcpConn[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        held.push(await Deno.connect({ hostname: "127.0.0.1", port: server.port }));
        assert.equal(await readLine(held[i]), GREETING);
      }
      const refusal = "error: too many clients (--max-clients 2), closing\n";
      // From the address that holds both: from another, one of them would make room (admission_test).
      assert.equal(await python(FROM("127.0.0.1"), server.port), refusal);
      await leave(server, held.pop()!);
      assert.equal(await python(FROM("127.0.0.3"), server.port), GREETING);
    } finally {
      for (const conn of held) conn.close();
      await server.stop();
    }
  },
);

Deno.test("server.ts --line-timeout: an unfinished line that stops growing ends its connection", async () => {
  const server = await startServer(["--line-timeout", "1"]);
  const idle = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  const stalled = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  try {
    await writeAll(idle, encode("a whole line\n")); // idle after a whole line: that is fine
    await writeAll(stalled, encode("half a li"));
    const started = performance.now();
    const got = decode(await readToEnd(stalled, 10_000));
    const tookMs = performance.now() - started;
    assert.equal(got, GREETING + "error: line unfinished for 1 s (--line-timeout), closing\n");
    // 1 to 2 s (the server looks every second); the bound leaves a slow machine room.
    assert.ok(tookMs >= 900 && tookMs < 4500, `closed after ${tookMs.toFixed(0)} ms`);
    assert.equal(await readLine(idle), GREETING);
    assert.equal(await readLine(idle), "a whole line\n");
    await writeAll(idle, encode("still here\n"));
    assert.equal(await readLine(idle), "still here\n");
  } finally {
    idle.close();
    stalled.close();
    // The server logs a connection once it has ended (after its client closed, here).
    const logged = /^closed \(unfinished line, --line-timeout 1\) 127\.0\.0\.1:\d+/m;
    await waitUntil(() => logged.test(server.stdout()), "the stalled connection's log line")
      .catch(() => {});
    const finished = await server.stop();
    assert.match(finished.stdout, logged);
  }
});

testNeeding(
  ["signals"],
  "server.ts --explain: every line about a client names it (#N); --timestamps stamps them",
  async () => {
    const server = await startServer(["--explain", "--timestamps"]);
    try {
      await echoOnce(server.port);
      await echoOnce(server.port);
    } finally {
      const finished = await server.stop();
      const [first, ...rest] = finished.stdout.trimEnd().split("\n");
      assert.match(first, /^listening on 127\.0\.0\.1:\d+$/);
      const now = Date.now();
      for (const line of rest) {
        const stamped = line.match(/^@(\d+\.\d{3}) (.*)$/);
        assert.ok(stamped, `not stamped: ${line}`);
        assert.ok(Math.abs(Number(stamped[1]) - now) < 60_000, line);
        const step = stamped[2].match(/^\[([^\]]+)\]/)?.[1];
        if (step === "step 7") assert.match(line, / \(#[12]\)$/);
        else if (step !== undefined && step !== "steps 4-6") assert.match(step, / #[12]$/, line);
      }
      assert.match(finished.stdout, /\[step 7\] python: .* -> 127\.0\.0\.1:\d+ \(#2\)\n/);
      assert.match(finished.stdout, /\[recv #2\] python: conn\.recv\(\d+\) {2}deno: /);
      assert.match(finished.stdout, /\[step 8 #1\] python: conn\.sendall\(data\) {2}deno: /);
      assert.match(finished.stdout, /\[step 9 #2\] python: conn\.close\(\) /);
    }
  },
);

testNeeding(
  ["proc", "ss", "signals"],
  "server.ts: the memory for unfinished lines is bounded in all, and given back (600 lines of 64 KiB)",
  async () => {
    // 600 connections each holding 64 KiB with no "\n" would need 75 MiB of buffers: past the
    // server's 64 MiB, so some are refused with an error line (the scenario checks it, and the text).
    const figure = await heldLines({ connections: 600, lineBytes: 64 * 1024, timeLimitMs: 60_000 });
    const rss = figure.match(/RSS ([\d.]+) MiB before, ([\d.]+) MiB at the peak, ([\d.]+) MiB/);
    const [before, peak, after] = rss!.slice(1).map(Number);
    assert.ok(peak - before < 120, figure); // bounded: 64 MiB of buffers and the connections' cost
    assert.ok(after < peak, figure); // and given back when they close
  },
);

// 48 clients from each of 127.0.0.1 to 127.0.0.11 each send one whole line of 64 KiB, get it
// back and stay connected, idle; then a client from 127.0.0.12 sends a line of 2,000 bytes.
const IDLE_AFTER_LONG_LINES = `
import socket, sys
port = int(sys.argv[1])
def read_exactly(s, n):
    got = b""
    while len(got) < n:
        part = s.recv(min(65536, n - len(got)))
        if not part: break
        got += part
    return got
line = b"x" * 65536 + b"\\n"
greeting = b"welcome: every line you send comes back to you\\n"
held, echoed = [], 0
for host in range(1, 12):
    for _ in range(48):
        s = socket.socket()
        s.bind((f"127.0.0.{host}", 0))
        s.settimeout(10)
        s.connect(("127.0.0.1", port))
        s.sendall(line)
        if read_exactly(s, len(greeting) + len(line)) == greeting + line: echoed += 1
        held.append(s)
late = socket.socket()
late.bind(("127.0.0.12", 0))
late.settimeout(10)
late.connect(("127.0.0.1", port))
late.sendall(b"y" * 2000 + b"\\n")
reply = read_exactly(late, len(greeting) + 2001)[len(greeting):]
print(echoed, reply[:80].decode(), len(reply))
`;

testNeeding(
  ["python"],
  "server.ts: idle clients whose long lines were echoed hold no line memory (528 x 64 KiB)",
  async () => {
    const server = await startServer(["--quiet"]);
    try {
      const got = await python(IDLE_AFTER_LONG_LINES, server.port);
      assert.equal(got, `528 ${"y".repeat(80)} 2001\n`);
    } finally {
      await server.stop();
    }
  },
);

Deno.test("server.ts --line-timeout: a line trickled a byte at a time must still end in time", async () => {
  const server = await startServer(["--line-timeout", "1"]);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  try {
    assert.equal(await readLine(conn), GREETING);
    const reply = readLine(conn, 10_000);
    let replied = false;
    reply.finally(() => replied = true).catch(() => {});
    const started = performance.now();
    for (let i = 0; i < 20 && !replied; i++) { // on purpose: a byte every 250 ms, for 5 s
      await writeAll(conn, encode("x"), 1000).catch(() => {});
      await delay(250);
    }
    assert.equal(await reply, "error: line unfinished for 1 s (--line-timeout), closing\n");
    const tookMs = performance.now() - started;
    // 1 to 2 s; a server that waited for the line to stop growing would take over 5 s.
    assert.ok(tookMs >= 900 && tookMs < 4500, `closed after ${tookMs.toFixed(0)} ms`);
  } finally {
    conn.close();
    await server.stop();
  }
});

Deno.test("server.ts: a client that never reads is closed once a write makes no progress for --line-timeout", async () => {
  const server = await startServer(["--line-timeout", "2"]);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  const lines = encode(("x".repeat(1023) + "\n").repeat(64)); // 64 KiB of lines, never read back
  const started = performance.now();
  let ended: Error | undefined;
  try {
    for (let i = 0; i < 1000 && !ended && performance.now() - started < 15_000; i++) {
      await writeAll(conn, lines, 15_000).catch((error) => ended = error);
    }
    assert.ok(ended, "the server never ended the connection");
    assert.doesNotMatch(ended.message, /taken by the peer/); // a write that timed out here
    const tookMs = performance.now() - started;
    assert.ok(tookMs >= 2000 && tookMs < 10_000, `ended after ${tookMs.toFixed(0)} ms`);
  } finally {
    conn.close();
    const logged = /^closed \(not reading, --line-timeout 2\) 127\.0\.0\.1:\d+/m;
    await waitUntil(() => logged.test(server.stdout()), "the log line").catch(() => {});
    const finished = await server.stop();
    assert.match(finished.stdout, logged);
  }
});

testNeeding(
  ["ss"],
  "server.ts: the system's keepalive probes are on for every connection",
  async () => {
    const server = await startServer(["--quiet"]);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    try {
      assert.equal(await readLine(conn), GREETING);
      const ss = await new Deno.Command("ss", {
        args: ["-tnoH", "state", "established", `( sport = :${server.port} )`],
        signal: AbortSignal.timeout(5000),
      }).output();
      const sockets = decode(ss.stdout).trim().split("\n");
      assert.equal(sockets.length, 1, decode(ss.stdout));
      assert.match(sockets[0], /timer:\(keepalive,/);
    } finally {
      conn.close();
      await server.stop();
    }
  },
);
