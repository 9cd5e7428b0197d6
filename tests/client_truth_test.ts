// The clients tell the truth (issue 13): a test-controlled socket plays the rude server or the
// stranger, and client.ts / udp_client.ts run as real processes against it.
import assert from "node:assert/strict";
import { encode } from "./helpers/io.ts";
import { sampleRss } from "./helpers/proc.ts";
import { ROOT } from "./helpers/process.ts";
import { UdpPeer } from "./helpers/udp.ts";

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
    env: { NO_COLOR: "1" },
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
Deno.test("issue 13.1: udp_client.ts takes a reply only from the server's address and port", async () => {
  const server = new UdpPeer(), stranger = new UdpPeer();
  const running = udpClient([
    "--port",
    `${server.port}`,
    "--timeout",
    "700",
    "--retries",
    "1",
    "--explain",
    "hola",
  ]);
  try {
    const first = await server.receive();
    assert.ok(first, "the client sent nothing");
    await stranger.send(encode("hola"), first[1].port); // the prankster's "reply", same bytes
    assert.equal(await stranger.receive(200), undefined); // (a bounded pause)
    await server.send(encode("hola"), first[1].port);
  } finally {
    await running;
    await server.close();
    await stranger.close();
  }
  const finished = await running;
  assert.equal(finished.code, 0, finished.stderr);
  const lines = decode(finished.stdout).split("\n");
  assert.equal(lines[0], `stranger's datagram from 127.0.0.1:${stranger.port} ignored: "hola"`);
  assert.match(lines[1], /^hola {2}\(reply in \d+\.\d ms, 1 try\)$/);
  assert.equal(lines.length, 3);
  assert.match(
    finished.stderr,
    /-> got 4 bytes from 127\.0\.0\.1:\d+, not 127\.0\.0\.1:\d+: a stranger's, ignored\n/,
  );

  // With no server at all, a stranger alone never makes the client believe one is up.
  const quiet = new UdpPeer(), prankster = new UdpPeer();
  const alone = udpClient([
    "--port",
    `${quiet.port}`,
    "--timeout",
    "300",
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
  assert.match(
    decode(gaveUp.stdout),
    /^stranger's datagram from 127\.0\.0\.1:\d+ ignored: "hola"\n$/,
  );
  assert.match(gaveUp.stderr, /^udp_client\.ts: no reply from 127\.0\.0\.1:\d+ after 2 tries: /);
});

// Finding 2: bytes were changed on the way to the screen, and on the way out.
Deno.test("issue 13.2: client.ts prints exactly the bytes the server sent when stdout is a pipe", async () => {
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

Deno.test("issue 13.2: on a terminal, client.ts shows control characters, never sends them raw", async () => {
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
});

Deno.test("issue 13.2: udp_client.ts sends stdin lines as bytes and prints the reply's bytes", async () => {
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
Deno.test("issue 13.3: client.ts exits 1 when the server refuses a line, quoting its error line", async () => {
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

Deno.test("issue 13.3: client.ts exits 1 saying how many lines did not come back", async () => {
  const server = rudeServer(async (conn) => {
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

Deno.test("issue 13.3: a server that closes while client.ts still writes its input: exit 1", async () => {
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
        `^client\\.ts: (127\\.0\\.0\\.1:${server.port} closed the connection before all was sent|connection reset by 127\\.0\\.0\\.1:${server.port})\n$`,
      ),
    );
  } finally {
    await server.done();
  }
});

// Finding 4: a server that accepts and never sends made client.ts wait forever.
Deno.test("issue 13.4: with messages given, client.ts gives up on a silent server after --timeout", async () => {
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

Deno.test("issue 13.4: while the user may still type, client.ts never times out", async () => {
  const server = rudeServer(silent);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "client.ts", "--port", `${server.port}`, "--timeout", "300"],
    cwd: ROOT,
    stdin: "piped", // left open: the user is still typing
    stdout: "null",
    stderr: "piped",
    signal: AbortSignal.timeout(15_000),
  }).spawn();
  let exited = false;
  const status = child.status.then((s) => (exited = true, s));
  try {
    const wait = timer(1_500); // five times --timeout, with the server silent
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
Deno.test("issue 13.5: udp_client.ts refuses an endless line at once, in bounded memory", async () => {
  const server = new UdpPeer();
  const child = new Deno.Command("sh", {
    args: [
      "-c",
      `exec "$0" run --unstable-net --allow-net udp_client.ts --port ${server.port} < /dev/zero`,
      Deno.execPath(),
    ],
    cwd: ROOT,
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
});

Deno.test("issue 13.5: a 16 MiB line with no newline is refused as fast as a short one", async () => {
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
