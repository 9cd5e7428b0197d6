// The clients tell the truth: a test-controlled socket plays the rude server or the
// stranger, and client.ts / udp_client.ts run as real processes against it.
import assert from "node:assert/strict";
import { encode } from "./helpers/io.ts";
import { sampleRss } from "./helpers/proc.ts";
import { ROOT } from "./helpers/process.ts";
import { UdpPeer } from "./helpers/udp.ts";
import { testNeeding } from "./helpers/needs.ts";

const NET = ["--unstable-net", "--allow-net"];
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

interface Raw {
  code: number;
  stdout: Uint8Array;
  stderr: string;
  ms: number;
}

/** Run a command to its end with raw stdout bytes; killed after `timeoutMs`. */
async function runRaw(
  command: string,
  args: string[],
  options: { stdin?: Uint8Array; timeoutMs?: number } = {},
): Promise<Raw> {
  const started = performance.now();
  const child = new Deno.Command(command, {
    args,
    cwd: ROOT,
    env: { NO_COLOR: "1", LC_ALL: "C" },
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(options.timeoutMs ?? 20_000),
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(options.stdin).catch(() => {}); // the client may exit before reading it all
    await writer.close().catch(() => {});
  }
  const { code, stdout, stderr } = await child.output();
  return { code, stdout, stderr: decode(stderr), ms: performance.now() - started };
}

const client = (args: string[], options: { stdin?: Uint8Array; timeoutMs?: number } = {}) =>
  runRaw(Deno.execPath(), ["run", "--allow-net", "client.ts", ...args], options);
const udpClient = (args: string[], options: { stdin?: Uint8Array; timeoutMs?: number } = {}) =>
  runRaw(Deno.execPath(), ["run", ...NET, "udp_client.ts", ...args], options);

/** Resolve after `ms`, with a timer that is always cleared (the tests run with sanitizers on). */
function timer(ms: number) {
  let id: ReturnType<typeof setTimeout> | undefined;
  const done = new Promise<undefined>((resolve) => id = setTimeout(() => resolve(undefined), ms));
  return { done, clear: () => clearTimeout(id) };
}

/**
 * A one-connection TCP server on loopback that does what `serve` says with the one client; the
 * `released` promise resolves when the test calls done(), for servers that hold the line open.
 */
function rudeServer(serve: (conn: Deno.Conn, released: Promise<void>) => Promise<unknown>) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let release = () => {};
  const released = new Promise<void>((resolve) => release = resolve);
  const served = (async () => {
    const conn = await listener.accept();
    try {
      await serve(conn, released);
    } catch { /* the client may reset or leave first */ }
    try {
      conn.close();
    } catch { /* closed already */ }
  })();
  return {
    port: listener.addr.port,
    async done() {
      release();
      const limit = timer(10_000);
      await Promise.race([served, limit.done]);
      limit.clear();
      listener.close();
      await served.catch(() => {});
    },
  };
}

/** Read from a connection until it has `count` bytes, the peer closes, or `ms` pass. */
async function readSome(conn: Deno.Conn, count: number, ms = 5_000): Promise<number> {
  const buffer = new Uint8Array(64 * 1024), deadline = Date.now() + ms;
  let total = 0;
  while (total < count && Date.now() < deadline) {
    const limit = timer(deadline - Date.now());
    const got = await Promise.race([conn.read(buffer), limit.done]);
    limit.clear();
    if (got === null || got === undefined) break;
    total += got;
  }
  return total;
}

/** Read and drop what the client sends, never answer, and keep the connection open until released. */
async function silent(conn: Deno.Conn, released: Promise<void>) {
  const reading = (async () => {
    const buffer = new Uint8Array(64 * 1024);
    while (await conn.read(buffer) !== null) { /* drop it */ }
  })().catch(() => {});
  await released;
  conn.close();
  await reading;
}

const GREETING = "welcome: every line you send comes back to you\n";

// Finding 1: udp_client.ts took a reply from anyone.
Deno.test("udp_client.ts takes a reply only from the server's address and port", async () => {
  const server = new UdpPeer(), stranger = new UdpPeer();
  const running = udpClient([
    "--port",
    `${server.port}`,
    "--timeout", // room for this test to answer at the first try, even on a slow machine
    "3000",
    "--retries",
    "1",
    "--explain",
    "hola",
  ]);
  try {
    const first = await server.receive();
    assert.ok(first, "the client sent nothing");
    await stranger.send(encode("hola"), first[1].port); // the prankster's "reply", same bytes
    // On purpose, 200 ms: the client says nothing to the stranger (and the stranger's datagram
    // goes first).
    assert.equal(await stranger.receive(200), undefined);
    await server.send(encode("hola"), first[1].port);
  } finally {
    await running;
    await server.close();
    await stranger.close();
  }
  const finished = await running;
  assert.equal(finished.code, 0, finished.stderr);
  // stdout holds only the reply (QA 15); the stranger is reported on stderr.
  assert.match(decode(finished.stdout), /^hola {2}\(reply in \d+\.\d ms, 1 try\)\n$/);
  assert.match(
    finished.stderr,
    new RegExp(
      `\nudp_client\\.ts: stranger's datagram from 127\\.0\\.0\\.1:${stranger.port} ignored: "hola"\n`,
    ),
  );
  assert.match(
    finished.stderr,
    /-> got 4 bytes from 127\.0\.0\.1:\d+, not 127\.0\.0\.1:\d+: a stranger's, ignored\n/,
  );

  // With no server at all, a stranger alone never makes the client believe one is up.
  const quiet = new UdpPeer(), prankster = new UdpPeer();
  const alone = udpClient([
    "--port",
    `${quiet.port}`,
    "--timeout", // room for the prankster's datagram to arrive before it gives up
    "1000",
    "--retries",
    "1",
    "hola",
  ]);
  try {
    const sent = await quiet.receive();
    await prankster.send(encode("hola"), sent![1].port);
  } finally {
    await alone;
    await quiet.close();
    await prankster.close();
  }
  const gaveUp = await alone;
  assert.equal(gaveUp.code, 1);
  assert.equal(decode(gaveUp.stdout), "");
  assert.match(
    gaveUp.stderr,
    /^udp_client\.ts: stranger's datagram from 127\.0\.0\.1:\d+ ignored: "hola"\nudp_client\.ts: no reply from 127\.0\.0\.1:\d+ after 2 tries: /,
  );
});

// Finding 2: bytes were changed on the way to the screen, and on the way out.
Deno.test("client.ts prints exactly the bytes the server sent when stdout is a pipe", async () => {
  const random = new Uint8Array(100_000);
  for (let at = 0; at < random.length; at += 65_536) {
    crypto.getRandomValues(random.subarray(at, at + 65_536));
  }
  random.set([0x63, 0x61, 0x66, 0xe9, 0xff, 0xc3], 0); // "caf", then bytes that are not UTF-8
  const server = rudeServer(async (conn) => {
    for (let at = 0; at < random.length; at += 7_000) {
      await conn.write(random.subarray(at, Math.min(at + 7_000, random.length)));
    }
  });
  try {
    const finished = await client(["--port", `${server.port}`], { stdin: new Uint8Array() });
    assert.equal(finished.stdout.length, random.length);
    assert.ok(finished.stdout.every((byte, at) => byte === random[at]), "the bytes differ");
  } finally {
    await server.done();
  }
});

testNeeding(
  ["terminal"],
  "on a terminal, client.ts shows control characters, never sends them raw",
  async () => {
    const nasty = "\x1b]0;pwned\x07\x1b[2Jhola\tmundo\x7f\n";
    const server = rudeServer(async (conn) => {
      await conn.write(encode(nasty));
    });
    try {
      // script(1) gives the client a terminal as its stdout (and stdin: typing mode).
      const command = `${Deno.execPath()} run --allow-net client.ts --port ${server.port}`;
      const finished = await runRaw("script", ["-qec", command, "/dev/null"]);
      const screen = decode(finished.stdout);
      assert.ok(
        !finished.stdout.includes(0x1b),
        `ESC reached the terminal: ${JSON.stringify(screen)}`,
      );
      assert.ok(!finished.stdout.includes(0x07), "BEL reached the terminal");
      assert.match(screen, /\^\[\]0;pwned\^G\^\[\[2Jhola\tmundo\^\?\r?\n/);
    } finally {
      await server.done();
    }
  },
);

Deno.test("udp_client.ts sends stdin lines as bytes and prints the reply's bytes", async () => {
  const server = new UdpPeer();
  const running = udpClient(["--port", `${server.port}`, "--timeout", "2000"], {
    stdin: new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x0a]), // "caf\xe9\n": Latin-1, not UTF-8
  });
  let got: Uint8Array | undefined;
  try {
    const received = await server.receive();
    assert.ok(received, "the client sent nothing");
    got = received[0];
    await server.send(received[0], received[1].port); // the echo, unchanged
  } finally {
    await running;
    await server.close();
  }
  assert.deepEqual([...got!], [0x63, 0x61, 0x66, 0xe9]);
  const finished = await running;
  assert.equal(finished.code, 0, finished.stderr);
  assert.deepEqual([...finished.stdout.subarray(0, 6)], [0x63, 0x61, 0x66, 0xe9, 0x20, 0x20]);
});

// Finding 3: exit codes that said all went well when it did not.
Deno.test("client.ts exits 1 when the server refuses a line, quoting its error line", async () => {
  const server = rudeServer(async (conn) => {
    await conn.write(encode(GREETING));
    await readSome(conn, 70_001);
    await conn.write(encode("error: line longer than 65536 bytes, closing\n"));
  });
  try {
    const finished = await client(["--port", `${server.port}`, "x".repeat(70_000)]);
    assert.equal(finished.code, 1);
    assert.equal(
      finished.stderr,
      `client.ts: 127.0.0.1:${server.port} closed the connection after ` +
        `"error: line longer than 65536 bytes, closing": 1 of 1 line not echoed\n`,
    );
  } finally {
    await server.done();
  }
});

Deno.test("client.ts exits 1 saying how many lines did not come back", async () => {
  const server = rudeServer(async (conn) => {
    await conn.write(encode(GREETING)); // the first line is the greeting, as in the lesson
    await readSome(conn, Infinity); // all three lines, up to the client's half-close
    await conn.write(encode("uno\n")); // then closes: "dos" and "tres" never come back
  });
  try {
    const finished = await client(["--port", `${server.port}`, "uno", "dos", "tres"]);
    assert.equal(finished.code, 1);
    assert.equal(
      finished.stderr,
      `client.ts: 127.0.0.1:${server.port} closed the connection: 2 of 3 lines not echoed\n`,
    );
  } finally {
    await server.done();
  }
});

Deno.test("a server that closes while client.ts still writes its input: exit 1", async () => {
  const server = rudeServer(async (conn) => {
    await readSome(conn, 100_000); // then closes, with megabytes still coming
  });
  try {
    const input = new Uint8Array(32 * 1024 * 1024).fill(0x78); // one long line, no newline
    const finished = await client(["--port", `${server.port}`], { stdin: input });
    assert.equal(finished.code, 1, finished.stderr);
    assert.match(
      finished.stderr,
      new RegExp(
        `^client\\.ts: (127\\.0\\.0\\.1:${server.port} closed the connection|connection reset by 127\\.0\\.0\\.1:${server.port}): \\d+ bytes of input not sent\n$`,
      ),
    );
  } finally {
    await server.done();
  }
});

// Finding 4: a server that accepts and never sends made client.ts wait forever.
Deno.test("with messages given, client.ts gives up on a silent server after --timeout", async () => {
  const servers = [0, 1].map(() => rudeServer(silent));
  try {
    const [short, byDefault] = await Promise.all([
      client(["--port", `${servers[0].port}`, "--timeout", "400", "hola"], { timeoutMs: 12_000 }),
      client(["--port", `${servers[1].port}`, "hola"], { timeoutMs: 12_000 }),
    ]);
    assert.equal(short.code, 1);
    assert.equal(
      short.stderr,
      `client.ts: 127.0.0.1:${servers[0].port} sent nothing for 400 ms: 1 of 1 line not echoed\n`,
    );
    assert.equal(byDefault.code, 1, "the default --timeout is 5000 ms");
    assert.match(byDefault.stderr, /sent nothing for 5000 ms: 1 of 1 line not echoed\n$/);
    assert.ok(byDefault.ms >= 5_000 && byDefault.ms < 10_000, `${byDefault.ms} ms`);
  } finally {
    await Promise.all(servers.map((server) => server.done()));
  }
});

Deno.test("while the user may still type, client.ts never times out", async () => {
  const server = rudeServer(silent);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "client.ts", "--port", `${server.port}`, "--timeout", "300"],
    cwd: ROOT,
    env: { LC_ALL: "C" },
    stdin: "piped", // left open: the user is still typing
    stdout: "null",
    stderr: "piped",
    signal: AbortSignal.timeout(15_000),
  }).spawn();
  let exited = false;
  const status = child.status.then((s) => (exited = true, s));
  try {
    const wait = timer(1_500); // on purpose: five times --timeout, with the server silent
    await wait.done;
    wait.clear();
    assert.equal(exited, false, "client.ts timed out while the user could still type");
    await child.stdin.close(); // Ctrl-D: now nothing is left to type, and the silence counts
    const { code } = await status;
    assert.equal(code, 1);
    assert.match(await new Response(child.stderr).text(), /sent nothing for 300 ms\n$/);
  } finally {
    if (!exited) child.kill("SIGKILL");
    await status;
    await server.done();
  }
});

// Finding 5: udp_client.ts < /dev/zero grew without bound.
testNeeding(
  ["sh", "proc"],
  "udp_client.ts refuses an endless line at once, in bounded memory",
  async () => {
    const server = new UdpPeer();
    const child = new Deno.Command("sh", {
      args: [
        "-c",
        `exec "$0" run --unstable-net --allow-net udp_client.ts --port ${server.port} < /dev/zero`,
        Deno.execPath(),
      ],
      cwd: ROOT,
      env: { LC_ALL: "C" },
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(10_000),
    }).spawn();
    const rss = sampleRss(child.pid, 20);
    const started = performance.now();
    try {
      const { code, stdout, stderr } = await child.output();
      const ms = performance.now() - started;
      assert.equal(code, 2, decode(stderr));
      assert.equal(decode(stdout), "");
      assert.equal(
        decode(stderr),
        "udp_client.ts: a line is more than 65508 bytes: a UDP datagram holds at most 65,507\n",
      );
      assert.ok(ms < 5_000, `took ${ms} ms`);
      assert.ok(rss.peak() < 200 * 1024, `peak RSS ${rss.peak()} KiB`);
      assert.equal(await server.receive(300), undefined, "nothing was sent");
    } finally {
      await rss.stop();
      await server.close();
    }
  },
);

Deno.test("a 16 MiB line with no newline is refused as fast as a short one", async () => {
  const server = new UdpPeer();
  try {
    const finished = await udpClient(["--port", `${server.port}`], {
      stdin: new Uint8Array(16 * 1024 * 1024).fill(0x7a),
    });
    assert.equal(finished.code, 2);
    assert.match(finished.stderr, /^udp_client\.ts: a line is more than 65508 bytes: /);
    assert.ok(finished.ms < 5_000, `took ${finished.ms} ms`);
  } finally {
    await server.close();
  }
});

// ---------------------------------------------------------------------------------------------
// One test for each finding of a review, each seen failing on the code it found.

/** A resolvable promise, for a test to say "now" to a server or a client. */
function signal() {
  let resolve = () => {};
  const promise = new Promise<void>((done) => resolve = done);
  return { promise, resolve };
}

/** Wait for a promise at most `ms` (a failed wait is an assertion, never a hang). */
async function waitFor<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  const limit = timer(ms);
  const result = await Promise.race([promise, limit.done]);
  limit.clear();
  assert.notEqual(result, undefined, `${what}: not within ${ms} ms`);
  return result as T;
}

/**
 * A client as a process whose standard input the test writes and closes when it likes;
 * finish() closes the input (if still open) and collects the rest, killed after 15 s.
 */
function spawnClient(script: string, args: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...NET, script, ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", LC_ALL: "C" },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(15_000),
  }).spawn();
  const writer = child.stdin.getWriter();
  const output = child.output();
  return {
    write: (bytes: Uint8Array) => writer.write(bytes).catch(() => {}),
    close: () => writer.close().catch(() => {}),
    async finish() {
      await writer.close().catch(() => {});
      const { code, stdout, stderr } = await output;
      return { code, stdout: decode(stdout), stderr: decode(stderr) };
    },
  };
}

/** A UDP server that echoes `count` datagrams (each wait bounded), then stops. */
async function echoDatagrams(peer: UdpPeer, count: number, ms = 5_000) {
  for (let n = 0; n < count; n++) {
    const received = await peer.receive(ms);
    if (!received) return;
    await peer.send(received[0], received[1].port, received[1].hostname);
  }
}

Deno.test("QA 1: input that ends just after the server closed: one line and exit 1, no stack trace", async () => {
  const closed = signal();
  const server = rudeServer(async (conn) => {
    await conn.write(encode(GREETING));
    await readSome(conn, 70_000); // all of it, so that closing sends no reset
    await conn.write(encode("error: line longer than 65536 bytes, closing\n"));
    conn.close();
    closed.resolve();
  });
  const client = spawnClient("client.ts", ["--port", `${server.port}`]);
  try {
    await client.write(new Uint8Array(70_000).fill(0x78));
    await waitFor(closed.promise.then(() => true), 5_000, "the server closed");
    await timer(30).done; // on purpose: the input ends a moment after the server closed
    await client.close();
    const finished = await client.finish();
    assert.equal(finished.code, 1, finished.stderr);
    assert.equal(
      finished.stderr,
      `client.ts: 127.0.0.1:${server.port} closed the connection after ` +
        `"error: line longer than 65536 bytes, closing"\n`,
    );
  } finally {
    await client.finish();
    await server.done();
  }
});

Deno.test("QA 2: udp_client.ts takes the reply when --host spells the server's address otherwise", async () => {
  const spellings = [
    ["127.0.0.1", ["0.0.0.0", "127.1", "127.000.000.001"]],
    ["::1", ["0:0:0:0:0:0:0:1", "::0001", "[::0001]", "::"]],
  ] as const;
  for (const [address, hosts] of spellings) {
    for (const host of hosts) {
      const server = new UdpPeer(address);
      const running = udpClient([
        "--host",
        host,
        "--port",
        `${server.port}`,
        "--retries",
        "0",
        "hola",
      ]);
      try {
        await echoDatagrams(server, 1);
      } finally {
        await running;
        await server.close();
      }
      const finished = await running;
      assert.equal(finished.code, 0, `--host ${host}: ${finished.stderr}`);
      assert.match(decode(finished.stdout), /^hola {2}\(reply in /, `--host ${host}`);
    }
  }
});

Deno.test("QA 3: C1 control characters in quoted text never reach stderr raw", async () => {
  const server = rudeServer(async (conn) => {
    await conn.write(encode(GREETING));
    await readSome(conn, Infinity);
    await conn.write(encode("error: \u009b2J\u0085gone\n"));
  });
  try {
    const finished = await client(["--port", `${server.port}`, "hola"]);
    assert.equal(finished.code, 1);
    assert.ok(!/[\u0080-\u009f]/.test(finished.stderr), JSON.stringify(finished.stderr));
    assert.match(finished.stderr, /after "error: M-\^\[2JM-\^Egone"/);
  } finally {
    await server.done();
  }
  const quiet = new UdpPeer(), stranger = new UdpPeer();
  // --timeout: room for the stranger's datagram to arrive before the client gives up.
  const running = udpClient([
    "--port",
    `${quiet.port}`,
    "--timeout",
    "1500",
    "--retries",
    "0",
    "x",
  ]);
  try {
    const sent = await quiet.receive();
    await stranger.send(encode("\u009b2J"), sent![1].port);
  } finally {
    await running;
    await quiet.close();
    await stranger.close();
  }
  const udp = await running;
  const all = decode(udp.stdout) + udp.stderr;
  assert.ok(!/[\u0080-\u009f]/.test(all), JSON.stringify(all));
  assert.match(all, /ignored: "M-\^\[2J"/);
});

Deno.test("QA 4: a flood of strangers' datagrams: no warning about negative timeouts", async () => {
  const quiet = new UdpPeer(), stranger = new UdpPeer();
  const running = udpClient(["--port", `${quiet.port}`, "--timeout", "5", "--retries", "2", "x"]);
  try {
    const sent = await quiet.receive();
    const flood = [];
    for (let n = 0; n < 3_000; n++) flood.push(stranger.send(encode(`flood ${n}`), sent![1].port));
    await Promise.all(flood);
  } finally {
    await running;
    await quiet.close();
    await stranger.close();
  }
  const finished = await running;
  assert.equal(finished.code, 1);
  assert.ok(!finished.stderr.includes("Warning"), finished.stderr.slice(0, 2000));
});

testNeeding(["sh"], "QA 5: an input that cannot be read: exit 1 at once, saying so", async () => {
  const server = rudeServer(silent);
  try {
    for (const script of ["client.ts", "udp_client.ts"]) {
      const command =
        `exec "$0" run --unstable-net --allow-net ${script} --port ${server.port} < /`;
      const finished = await runRaw("sh", ["-c", command, Deno.execPath()], { timeoutMs: 8_000 });
      assert.equal(finished.code, 1, `${script}: ${finished.stderr}`);
      assert.match(finished.stderr, new RegExp(`^${script}: cannot read standard input: Is a dir`));
      assert.ok(finished.ms < 4_000, `${script} took ${finished.ms} ms`);
    }
  } finally {
    await server.done();
  }
});

Deno.test("QA 6: --timeout also bounds a write to a server that never reads", async () => {
  const server = rudeServer((_conn, released) => released); // accepts, never reads, never closes
  try {
    const finished = await client(["--port", `${server.port}`, "--timeout", "1000"], {
      stdin: new Uint8Array(20_000_000),
      timeoutMs: 10_000,
    });
    assert.equal(finished.code, 1, finished.stderr);
    assert.equal(
      finished.stderr,
      `client.ts: 127.0.0.1:${server.port} took none of our bytes for 1000 ms: it is not reading\n`,
    );
    assert.ok(finished.ms < 6_000, `${finished.ms} ms`);
  } finally {
    await server.done();
  }
});

Deno.test("QA 7: udp_client.ts's permission hint for IPv6 works when followed", async () => {
  const server = new UdpPeer("::1");
  try {
    const args = ["--host", "0:0:0:0:0:0:0:1", "--port", `${server.port}`, "--retries", "0", "x"];
    const refused = await runRaw(Deno.execPath(), [
      "run",
      "--unstable-net",
      "--allow-net=127.0.0.1",
      "udp_client.ts",
      ...args,
    ]);
    assert.equal(refused.code, 1);
    const hint = refused.stderr.match(/run with (--allow-net=\S+)\n$/)?.[1];
    assert.equal(hint, `--allow-net=[::1]:0,[::1]:${server.port}`, refused.stderr);
    const running = runRaw(Deno.execPath(), [
      "run",
      "--unstable-net",
      hint!,
      "udp_client.ts",
      ...args,
    ]);
    await echoDatagrams(server, 1);
    const followed = await running;
    assert.equal(followed.code, 0, followed.stderr);
  } finally {
    await server.close();
  }
});

Deno.test("QA 8: input piped in that the server closed before: exit 1, saying how much was not sent", async () => {
  const closed = signal();
  const server = rudeServer(async (conn) => {
    await conn.write(encode(GREETING));
    await readSome(conn, 2);
    conn.close();
    closed.resolve();
  });
  const client = spawnClient("client.ts", ["--port", `${server.port}`]);
  try {
    await client.write(encode("a\n"));
    await waitFor(closed.promise.then(() => true), 5_000, "the server closed");
    await timer(300).done; // on purpose, as (printf 'a\n'; sleep 1; printf 'b\n') | client.ts
    await client.write(encode("b\n"));
    await client.close();
    const finished = await client.finish();
    assert.equal(finished.code, 1, finished.stderr);
    assert.equal(
      finished.stderr,
      `client.ts: 127.0.0.1:${server.port} closed the connection: 2 bytes of input not sent\n`,
    );
  } finally {
    await client.finish();
    await server.done();
  }
});

testNeeding(
  ["terminal"],
  "QA 8: a person typing at a terminal when the server closes: exit 0, with a notice",
  async () => {
    const server = rudeServer(async (conn) => {
      await conn.write(encode(GREETING));
    });
    // script(1) gives the client a terminal; its own input stays open: the person may still type.
    const command = `${Deno.execPath()} run --allow-net client.ts --port ${server.port}`;
    const child = new Deno.Command("script", {
      args: ["-qec", command, "/dev/null"],
      cwd: ROOT,
      env: { LC_ALL: "C" },
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
      signal: AbortSignal.timeout(10_000),
    }).spawn();
    try {
      const { code, stdout } = await child.output();
      assert.equal(code, 0, decode(stdout));
      assert.match(decode(stdout), /client\.ts: 127\.0\.0\.1:\d+ closed the connection\r?\n$/);
    } finally {
      await child.stdin.close().catch(() => {});
      await server.done();
    }
  },
);

Deno.test("QA 9: a server that echoes nothing never gets exit 0, whatever the message", async () => {
  for (const message of ["", "you"]) {
    const server = rudeServer(async (conn) => {
      await conn.write(encode(GREETING));
      await readSome(conn, Infinity); // up to the client's half-close, then closes: no echo
    });
    try {
      const finished = await client(["--port", `${server.port}`, message]);
      assert.equal(finished.code, 1, `message ${JSON.stringify(message)}`);
      assert.equal(
        finished.stderr,
        `client.ts: 127.0.0.1:${server.port} closed the connection: 1 of 1 line not echoed\n`,
      );
    } finally {
      await server.done();
    }
  }
});

Deno.test("QA 10: a server that ends its lines with CRLF echoes as well as any", async () => {
  const server = rudeServer(async (conn) => {
    await conn.write(encode(GREETING.replace("\n", "\r\n")));
    await readSome(conn, Infinity);
    await conn.write(encode("hola\r\nchau\r\n"));
  });
  try {
    const finished = await client(["--port", `${server.port}`, "hola", "chau"]);
    assert.equal(finished.code, 0, finished.stderr);
    assert.equal(finished.stderr, "");
  } finally {
    await server.done();
  }
});

testNeeding(
  ["sh"],
  "QA 11: both clients end quietly with exit 0 when their reader goes away (| head -1)",
  async () => {
    const udpServer = new UdpPeer();
    const messages = Array.from({ length: 40 }, (_, n) => `mensaje ${n}`);
    const tcpServer = rudeServer(async (conn) => {
      await conn.write(encode(GREETING));
      for (let n = 0; n < 400; n++) await conn.write(encode("x".repeat(1_000) + "\n"));
    });
    try {
      const runs = [
        `exec "$0" run --unstable-net --allow-net udp_client.ts --port ${udpServer.port} ${
          messages.map((m) => `'${m}'`).join(" ")
        }`,
        `exec "$0" run --allow-net client.ts --port ${tcpServer.port}`,
      ];
      for (const command of runs) {
        const child = new Deno.Command("sh", {
          args: ["-c", command, Deno.execPath()],
          cwd: ROOT,
          env: { LC_ALL: "C" },
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
          signal: AbortSignal.timeout(15_000),
        }).spawn();
        const stderr = new Response(child.stderr).text();
        const echoing = command.includes("udp_client") ? echoDatagrams(udpServer, 40, 2_000) : null;
        const reader = child.stdout.getReader();
        await waitFor(reader.read(), 5_000, "a first reply"); // like head -1: one read, then gone
        await reader.cancel();
        await echoing;
        const { code } = await child.status;
        assert.equal(await stderr, "", command);
        assert.equal(code, 0, command);
      }
    } finally {
      await udpServer.close();
      await tcpServer.done();
    }
  },
);

Deno.test("QA 12: --host: an empty or bracketed-with-port host is bad usage; names get a clear line", async () => {
  for (const script of ["client.ts", "udp_client.ts"]) {
    for (const host of ["", "[::1]:80"]) {
      const finished = await runRaw(Deno.execPath(), ["run", ...NET, script, "--host", host, "x"]);
      assert.equal(finished.code, 2, `${script} --host ${host}: ${finished.stderr}`);
      assert.match(finished.stderr, new RegExp(`^${script}: --host `));
    }
    for (const host of ["nosuch.invalid", "1.2.3.4.5"]) {
      const finished = await runRaw(Deno.execPath(), [
        "run",
        ...NET,
        script,
        "--host",
        host,
        "--port",
        "9",
        "x",
      ]);
      assert.equal(finished.code, 1);
      assert.equal(
        finished.stderr,
        `${script}: unknown host name "${host}" (for ${host}:9): is it spelled right?\n`,
      );
    }
  }
});

Deno.test("QA 13: udp_client.ts drops a \\r at the end of the last line too", async () => {
  const server = new UdpPeer();
  const running = udpClient(["--port", `${server.port}`], { stdin: encode("hola\r") });
  let got: Uint8Array | undefined;
  try {
    const received = await server.receive();
    got = received?.[0];
    if (received) await server.send(received[0], received[1].port);
  } finally {
    await running;
    await server.close();
  }
  assert.equal(decode(got ?? new Uint8Array()), "hola");
  assert.equal((await running).code, 0);
});

testNeeding(
  ["terminal"],
  "QA 14: on a terminal, a character cut at the very end still shows",
  async () => {
    const server = rudeServer(async (conn) => {
      await conn.write(new Uint8Array([0x68, 0x6f, 0x6c, 0x61, 0x20, 0xc3])); // "hola " and half an "é"
    });
    try {
      const command = `${Deno.execPath()} run --allow-net client.ts --port ${server.port}`;
      const finished = await runRaw("script", ["-qec", command, "/dev/null"]);
      assert.match(decode(finished.stdout), /hola \ufffd/);
    } finally {
      await server.done();
    }
  },
);
