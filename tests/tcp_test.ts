// server.ts and client.ts, run as real processes and checked the way a user would check them.
import assert from "node:assert/strict";
import {
  decode,
  delay,
  encode,
  expectNothing,
  readBytes,
  readLine,
  readToEnd,
  waitUntil,
  within,
  writeAll,
} from "./helpers/io.ts";
import { tcpSockets } from "./helpers/proc.ts";
import { CHAT, freePort, ROOT, run, startServer } from "./helpers/process.ts";
import { resetClient, runPython, startPythonServer } from "./helpers/python.ts";
import { testNeeding } from "./helpers/needs.ts";

const GREETING = "welcome: every line you send comes back to you\n";

Deno.test("the lesson's exchange: client.ts gets the greeting and its messages back", async () => {
  const server = await startServer();
  try {
    const client = await run([
      "run",
      "--allow-net",
      "client.ts",
      "--port",
      `${server.port}`,
      "hola",
      "qué tal",
    ]);
    assert.equal(client.code, 0, client.stderr);
    assert.equal(client.stdout, GREETING + "hola\nqué tal\n");
  } finally {
    const finished = await server.stop();
    assert.match(finished.stdout, /^listening on 127\.0\.0\.1:\d+\n/);
    assert.match(finished.stdout, /connection from 127\.0\.0\.1:\d+\n/);
    assert.match(finished.stdout, /closed 127\.0\.0\.1:\d+: 2 lines, 14 bytes\n/);
  }
});

Deno.test("client.ts sends standard input, including a last piece without a newline", async () => {
  const server = await startServer(["--quiet"]);
  try {
    const client = await run(["run", "--allow-net", "client.ts", "--port", `${server.port}`], {
      stdin: "uno\ndos\ntres",
    });
    assert.equal(client.code, 0, client.stderr);
    assert.equal(client.stdout, GREETING + "uno\ndos\ntres");
  } finally {
    await server.stop();
  }
});

Deno.test("200 clients at once, 50 lines each, every line echoed in order", async () => {
  // All from 127.0.0.1: past the default --max-per-address (50), so the test raises it.
  const server = await startServer(["--quiet", "--max-per-address", "200"]);
  const conns: Deno.TcpConn[] = [];
  try {
    // All 200 are connected and greeted before anyone sends: a server that served one client at a
    // time would greet only the first, and the others' greeting would time out.
    for (let id = 0; id < 200; id++) {
      conns.push(await Deno.connect({ hostname: "127.0.0.1", port: server.port }));
    }
    for (const [id, conn] of conns.entries()) {
      assert.equal(await readLine(conn), GREETING, `client ${id}, with all 200 connected`);
    }
    await Promise.all(conns.map(async (conn, id) => {
      const lines = Array.from({ length: 50 }, (_, n) => `client ${id} line ${n}\n`).join("");
      const received = readToEnd(conn);
      for (const line of lines.split(/(?<=\n)/)) await writeAll(conn, encode(line));
      conn.closeWrite();
      assert.equal(decode(await received), lines);
    }));
  } finally {
    for (const conn of conns) conn.close();
    await server.stop();
  }
});

Deno.test("4 MiB of random bytes in lines come back byte for byte", async () => {
  const server = await startServer(["--quiet"]);
  try {
    const data = new Uint8Array(4 * 1024 * 1024);
    for (let at = 0; at < data.length; at += 65536) {
      crypto.getRandomValues(data.subarray(at, at + 65536));
    }
    for (let at = 1000; at < data.length; at += 1000) data[at] = 10; // no line longer than 64 KiB
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    try {
      const received = readToEnd(conn);
      await writeAll(conn, data);
      conn.closeWrite();
      const echoed = await received;
      assert.equal(decode(echoed.subarray(0, GREETING.length)), GREETING);
      assert.equal(echoed.length, GREETING.length + data.length);
      assert.deepEqual(echoed.subarray(GREETING.length), data);
    } finally {
      conn.close();
    }
  } finally {
    await server.stop();
  }
});

Deno.test("lines split across writes, and several lines in one write", async () => {
  const server = await startServer(["--quiet"]);
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    try {
      assert.equal(await readLine(conn), GREETING);
      // Nothing comes back until a line is complete: the server waits for its "\n".
      await writeAll(conn, encode("hel"));
      await expectNothing(conn, 300, 'sent "hel" without a newline: nothing should come back');
      await writeAll(conn, encode("lo\nwor"));
      assert.equal(decode(await readBytes(conn, 6)), "hello\n");
      await expectNothing(conn, 300, 'sent "wor" without a newline: nothing should come back');
      await writeAll(conn, encode("ld\nA\nB\nC\n"));
      assert.equal(decode(await readBytes(conn, 12)), "world\nA\nB\nC\n");
      // a multi-byte character (ñ is C3 B1) split across two writes comes back whole
      await writeAll(conn, new Uint8Array([0x61, 0xc3]));
      await delay(50); // on purpose: two writes apart, most likely two reads for the server
      await writeAll(conn, new Uint8Array([0xb1, 0x0a]));
      assert.equal(decode(await readBytes(conn, 4)), "añ\n");
    } finally {
      conn.close();
    }
  } finally {
    await server.stop();
  }
});

Deno.test("client.ts prints a character that arrives split across two reads", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    const conn = await listener.accept();
    await writeAll(conn, new Uint8Array([0x63, 0x61, 0x66, 0xc3])); // "caf" and half of "é"
    await delay(200); // on purpose: two writes apart, most likely two reads for the client
    await writeAll(conn, new Uint8Array([0xa9, 0x0a]));
    await readToEnd(conn); // until the client half-closes
    conn.close();
  })();
  try {
    const client = await run(
      ["run", "--allow-net", "client.ts", "--port", `${listener.addr.port}`],
      { stdin: "" },
    );
    assert.equal(client.code, 0, client.stderr);
    assert.equal(client.stdout, "café\n");
  } finally {
    await serving;
    listener.close();
  }
});

Deno.test("half-close: the server sends everything back, then closes", async () => {
  const server = await startServer();
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    try {
      await writeAll(conn, encode("abc\nxyz, no newline"));
      conn.closeWrite(); // shutdown(SHUT_WR): we can still read
      assert.equal(decode(await readToEnd(conn)), GREETING + "abc\nxyz, no newline");
    } finally {
      conn.close();
    }
  } finally {
    const finished = await server.stop();
    assert.match(finished.stdout, /closed 127\.0\.0\.1:\d+: 1 line, 19 bytes/);
  }
});

Deno.test("a line of 65,536 bytes is echoed; 65,537 bytes get an error line and the connection closes", async () => {
  const server = await startServer(["--quiet"]);
  try {
    const longest = "x".repeat(65_536) + "\n"; // the longest line taken: 65,536 bytes and its "\n"
    const ok = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    try {
      const received = readToEnd(ok);
      await writeAll(ok, encode(longest + "after\n"));
      ok.closeWrite();
      assert.equal(decode(await received), GREETING + longest + "after\n");
    } finally {
      ok.close();
    }
    const error = "error: line longer than 65536 bytes, closing\n";
    const cases = [
      // with our half-close after it: a server that echoed it would end at once, and visibly
      { what: "65,537 bytes and a newline", sent: "y".repeat(65_537) + "\n", halfClose: true },
      // without: the server must end the connection by itself
      { what: "200 KiB and no newline at all", sent: "z".repeat(200 * 1024), halfClose: false },
    ];
    for (const { what, sent, halfClose } of cases) {
      const tooLong = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
      try {
        const received = readToEnd(tooLong);
        await writeAll(tooLong, encode("short\n" + sent));
        if (halfClose) tooLong.closeWrite();
        assert.equal(decode(await received), GREETING + "short\n" + error, what);
      } finally {
        tooLong.close();
      }
    }
  } finally {
    await server.stop();
  }
});

testNeeding(
  ["python", "signals"],
  "a client that resets mid-stream does not affect the server or other clients",
  async () => {
    const server = await startServer();
    const steady = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    try {
      assert.equal(await readLine(steady), GREETING);
      // While steady stays connected, a client is greeted, sends, and resets (SO_LINGER 0: RST, not
      // FIN, every time): a server serving one client at a time would never greet it.
      const rude = await resetClient(server.port, 1000);
      assert.equal(rude.code, 0, rude.stderr);
      assert.equal(rude.stdout, "reset\n");
      await writeAll(steady, encode("still here\n"));
      assert.equal(await readLine(steady), "still here\n");
      const client = await run([
        "run",
        "--allow-net",
        "client.ts",
        "--port",
        `${server.port}`,
        "after",
      ]);
      assert.equal(client.stdout, GREETING + "after\n");
      await writeAll(steady, encode("and still\n"));
      assert.equal(await readLine(steady), "and still\n");
    } finally {
      steady.close();
      await server.stop();
    }
    const finished = await server.stop(); // it has stopped: this only gives its output
    assert.equal(finished.code, 0, finished.stderr);
    assert.match(
      finished.stdout,
      /closed after an error \((?:ConnectionReset|BrokenPipe)\) 127\.0\.0\.1:\d+/,
    );
  },
);

testNeeding(
  ["signals"],
  "--quiet: the server prints its listening line and nothing about its clients",
  async () => {
    const server = await startServer(["--quiet"]);
    try {
      const client = await run([
        "run",
        "--allow-net",
        "client.ts",
        "--port",
        `${server.port}`,
        "a",
      ]);
      assert.equal(client.stdout, GREETING + "a\n");
    } finally {
      const finished = await server.stop();
      assert.equal(finished.code, 0, finished.stderr);
      assert.equal(finished.stdout, `listening on 127.0.0.1:${server.port}\n`);
      assert.equal(finished.stderr, "");
    }
  },
);

Deno.test("port in use: one clear line on stderr, exit 1", async () => {
  const server = await startServer(["--quiet"]);
  try {
    const second = await run([
      "run",
      "--allow-net",
      "server.ts",
      "--host",
      "127.0.0.1",
      "--port",
      `${server.port}`,
    ]);
    assert.equal(second.code, 1);
    assert.equal(
      second.stderr,
      `server.ts: port ${server.port} is already in use on 127.0.0.1: stop the other server, or pick another port with --port\n`,
    );
  } finally {
    await server.stop();
  }
});

Deno.test("connection refused: client.ts names the address and exits 1", async () => {
  const port = freePort();
  const client = await run(["run", "--allow-net", "client.ts", "--port", `${port}`, "hola"]);
  assert.equal(client.code, 1);
  assert.equal(
    client.stderr,
    `client.ts: connection refused by 127.0.0.1:${port}: is server.ts running, and on that port?\n`,
  );
});

Deno.test("bad usage exits 2 with the usage on stderr; --help prints it on stdout", async () => {
  for (const script of ["server.ts", "client.ts"]) {
    for (const args of [["--bogus"], ["--port", "70000"], ["--port", "abc"], ["--port"]]) {
      const bad = await run(["run", "--allow-net", script, ...args]);
      assert.equal(bad.code, 2, `${script} ${args.join(" ")}`);
      assert.match(
        bad.stderr,
        new RegExp(`^${script}: .*\\nusage: deno run --allow-net ${script}`),
      );
      assert.doesNotMatch(bad.stderr, /Stack| {4}at /);
    }
    const help = await run(["run", "--allow-net", script, "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, new RegExp(`^usage: deno run --allow-net ${script}`));
    assert.equal(help.stderr, "");
  }
});

testNeeding(
  ["signals"],
  "Ctrl-C with idle clients connected: the server closes them and exits 0",
  async () => {
    const server = await startServer();
    const idle = await Promise.all(
      [1, 2, 3].map(() => Deno.connect({ hostname: "127.0.0.1", port: server.port })),
    );
    try {
      for (const conn of idle) assert.equal(await readLine(conn), GREETING);
      const finished = await server.stop("SIGINT");
      assert.equal(finished.code, 0, finished.stderr);
      for (const conn of idle) assert.equal((await readToEnd(conn)).length, 0); // closed by the server
    } finally {
      for (const conn of idle) conn.close();
    }
  },
);

// Under heavy load Deno can hold the main thread's signal listeners back, so the servers also hear
// signals in a worker (docs/stress.md, "Ctrl-C under full load"). Only a full `deno task stress` makes that load;
// here a copy of each server runs with the main thread's Deno.addSignalListener made a no-op, so
// that the worker's path alone must stop it. What this cannot see: whether the worker is needed.
// The copy also tells, on stderr, when its worker has set its listeners (the signal then goes):
// the process catching a signal (SigCgt in /proc) came a moment too early, 3 times in 80.
const COPY_PREFIX = `Deno.addSignalListener = () => {}; // the test's change: only the worker hears
const ListeningWorker = globalThis.Worker; // and the worker says when it listens (the test waits)
globalThis.Worker = class extends ListeningWorker {
  constructor(url: string | URL, options?: WorkerOptions) {
    const code = decodeURIComponent(String(url).replace(/^data:text\\/javascript,/, ""));
    const told = "const set = onmessage; onmessage = (event) => { set(event); postMessage(0); };";
    super(\`data:text/javascript,\${encodeURIComponent(code + "\\n" + told)}\`, options);
    this.addEventListener("message", () => console.error("the signal worker listens"));
  }
};
`;
testNeeding(
  ["signals"],
  "the signal worker alone stops the servers (main-thread listeners disabled in a copy)",
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "worker-only-" });
    try {
      const servers = [{ script: "server.ts", args: [] as string[] }, CHAT];
      for (
        const { script, args } of servers.filter((s, n) => n === 0 || s.script !== "server.ts")
      ) {
        const code = await Deno.readTextFile(`${ROOT}${script}`);
        await Deno.writeTextFile(`${dir}/${script}`, COPY_PREFIX + code);
        for (const signal of ["SIGINT", "SIGTERM"] as const) {
          const server = await startServer(args, { script: `${dir}/${script}` });
          const idle = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
          try {
            await readLine(idle); // a client is connected, as in a class
            // The worker has set its listeners (it starts after the listening line).
            await waitUntil(
              () => server.stderr().includes("the signal worker listens\n"),
              `${script}: the worker's signal listeners`,
            );
            server.child.kill(signal);
            await within(
              server.child.status,
              3000,
              `${script}: still running after ${signal} with only its worker to hear it`,
            );
            const finished = await server.stop();
            assert.equal(finished.code, 0, `${script} ${signal}: ${finished.stderr}`);
            assert.equal(finished.stderr, "the signal worker listens\n", `${script} ${signal}`);
            assert.equal((await readToEnd(idle)).length, 0, "the client's connection was closed");
          } finally {
            idle.close();
            await server.stop("SIGKILL");
          }
        }
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("IPv6: listening on [::1]:PORT and client.ts --host ::1", async () => {
  const server = await startServer(["--quiet"], { host: "::1" });
  try {
    assert.match(server.stdout(), /^listening on \[::1\]:\d+\n/);
    const client = await run([
      "run",
      "--allow-net",
      "client.ts",
      "--host",
      "::1",
      "--port",
      `${server.port}`,
      "seis",
    ]);
    assert.equal(client.stdout, GREETING + "seis\n");
  } finally {
    await server.stop();
  }
});

Deno.test("the machine's name is shown only with --allow-sys=hostname", async () => {
  const withName = await startServer([], { denoFlags: ["--allow-net", "--allow-sys=hostname"] });
  const named = await withName.stop();
  assert.match(named.stdout, new RegExp(`\\nthis machine is ${Deno.hostname()}\\n`));
  const without = await startServer();
  const unnamed = await without.stop();
  assert.doesNotMatch(unnamed.stdout, /this machine is/);
  assert.equal(unnamed.stderr, "");
});

testNeeding(
  ["python"],
  "a Python client written as the lesson teaches talks to server.ts",
  async () => {
    const server = await startServer();
    try {
      const python = await runPython("lesson_client.py", ["127.0.0.1", `${server.port}`]);
      assert.equal(python.code, 0, python.stderr);
      assert.equal(python.stdout, GREETING + "hola desde Python\n");
    } finally {
      await server.stop();
    }
  },
);

testNeeding(
  ["python"],
  "client.ts talks to a Python server written as the lesson teaches",
  async () => {
    const python = await startPythonServer("lesson_server.py", ["0"]);
    try {
      assert.match(python.first, /^listening on 0\.0\.0\.0:\d+/);
      const port = python.port;
      const client = await run(["run", "--allow-net", "client.ts", "--port", port, "hola", "chau"]);
      assert.equal(client.code, 0, client.stderr);
      assert.equal(client.stdout, "Gracias por conectarte\neco: hola\nchau\n");
    } finally {
      await python.finish();
    }
  },
);

Deno.test("the lesson's empty host means every interface; client.ts refuses port 0", async () => {
  const server = await startServer(["--quiet"], { host: "" });
  try {
    assert.match(server.stdout(), /^listening on 0\.0\.0\.0:\d+\n/);
    const client = await run([
      "run",
      "--allow-net",
      "client.ts",
      "--port",
      `${server.port}`,
      "hola",
    ]);
    assert.equal(client.stdout, GREETING + "hola\n");
  } finally {
    await server.stop();
  }
  const zero = await run(["run", "--allow-net", "client.ts", "--port", "0", "hola"]);
  assert.equal(zero.code, 2);
  assert.match(zero.stderr, /^client\.ts: --port must be a whole number from 1 to 65535\n/);
});

Deno.test("client.ts says so when the server closes before piped input ended: exit 1", async () => {
  const server = await startServer(["--quiet"]);
  const client = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "client.ts", "--port", `${server.port}`, "--timeout", "500"],
    cwd: ROOT,
    env: { LC_ALL: "C" },
    stdin: "piped", // left open: a pipe, not a person (tests/client_truth_test.ts, QA 8)
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(20_000),
  }).spawn();
  const writer = client.stdin.getWriter();
  try {
    await writer.write(encode("hola\n"));
    const stdout = client.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let seen = "";
    while (!seen.includes("hola\n")) {
      const { value, done } = await stdout.read();
      if (done) break;
      seen += value;
    }
    await server.stop("SIGINT");
    seen += (await stdout.read()).value ?? ""; // the end of the stream once the client exits
    await stdout.cancel();
    const { code } = await client.status;
    const stderr = await new Response(client.stderr).text();
    assert.equal(code, 1);
    assert.equal(seen, GREETING + "hola\n");
    assert.equal(
      stderr,
      `client.ts: 127.0.0.1:${server.port} closed the connection before the input ended: ` +
        "0 bytes of input not sent\n",
    );
  } finally {
    await writer.close().catch(() => {});
  }
});

testNeeding(
  ["signals"],
  "SIGTERM as soon as the listening line appears: both servers exit 0",
  async () => {
    for (const script of ["server.ts", "udp_server.ts"]) {
      for (let round = 0; round < 5; round++) {
        const child = new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "--allow-net",
            "--unstable-net",
            script,
            "--host",
            "127.0.0.1",
            "--port",
            "0",
          ],
          cwd: ROOT,
          stdout: "piped",
          stderr: "null",
          signal: AbortSignal.timeout(20_000),
        }).spawn();
        const stdout = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
        const first = await stdout.read(); // the signal goes the moment the first line arrives
        child.kill("SIGTERM");
        await stdout.cancel();
        const { code } = await child.status;
        assert.match(first.value ?? "", /^listening on /);
        assert.equal(code, 0, `${script}, round ${round}`);
      }
    }
  },
);

testNeeding(
  ["sigstop", "ss"],
  "every line in one read is held to 65,536 bytes, not only the first",
  async () => {
    const server = await startServer(["--quiet"]);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    let stopped = false;
    try {
      assert.equal(await readLine(conn), GREETING);
      // A line of 64 KiB first makes the server's buffer grow (to 128 KiB), and comes back.
      const first = "a".repeat(65_536) + "\n";
      await writeAll(conn, encode(first), 5000);
      assert.equal(decode(await readBytes(conn, first.length, 5000)), first);
      // Then, while the server is stopped, a short line and one of 70,000 bytes arrive together, so
      // that one read can take both.
      Deno.kill(server.child.pid, "SIGSTOP");
      stopped = true;
      await writeAll(conn, encode("short\n" + "c".repeat(70_000) + "\n"), 5000);
      conn.closeWrite(); // a server that echoed the long line would then end at once, and visibly
      // All of it has reached the stopped server's side (nothing left queued on ours).
      await waitUntil(
        async () =>
          (await tcpSockets(server.port)).some((socket) =>
            socket.localPort === conn.localAddr.port && socket.sendQ === 0
          ),
        "the bytes' arrival at the stopped server",
      );
      Deno.kill(server.child.pid, "SIGCONT");
      stopped = false;
      const error = "error: line longer than 65536 bytes, closing\n";
      assert.equal(decode(await readToEnd(conn, 10_000)), "short\n" + error);
    } finally {
      if (stopped) Deno.kill(server.child.pid, "SIGCONT");
      conn.close();
      await server.stop();
    }
  },
);
