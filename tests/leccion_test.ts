// leccion/*.ts, the lesson's slide-sized twins: their shape (a slide: <= 35 lines, <= 80 columns,
// the lesson's steps in order, standalone) and their wire behaviour, each run as a real process
// against its full counterpart and against the lesson-style Python peers in tests/, both ways.
import assert from "node:assert/strict";
import { encode, waitUntil } from "./helpers/io.ts";
import { tcpSockets } from "./helpers/proc.ts";
import { type Finished, ROOT, run, startServer } from "./helpers/process.ts";
import { pythonCode, runPython, startPythonServer } from "./helpers/python.ts";
import { freeUdpPort, UdpPeer } from "./helpers/udp.ts";
import { testNeeding } from "./helpers/needs.ts";

const SALUDO = "bienvenido: cada línea que mandes vuelve a vos\n";
const GREETING = "welcome: every line you send comes back to you\n"; // the full server.ts's
const ESCUCHANDO = /^escuchando en 0\.0\.0\.0:(\d+)\n/;
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

// ---------------------------------------------------------------------------------------------
// Helpers for this file (tests/helpers.ts is shared and read-only here).

/** Resolve with `promise`, or reject after `ms` with `what` in the message. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeUp = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeUp]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Read from `conn` until `wanted` bytes have arrived or the peer closes, each read bounded by
 * what is left of `timeoutMs`. On time-out the connection is closed (which ends the pending read)
 * and the error says how far it got.
 */
async function readWithin(conn: Deno.Conn, wanted: number, timeoutMs = 10_000) {
  const parts: Uint8Array[] = [];
  let total = 0;
  const buffer = new Uint8Array(64 * 1024);
  const deadline = Date.now() + timeoutMs;
  while (total < wanted) {
    const pending = conn.read(buffer);
    let count: number | null;
    try {
      count = await within(pending, Math.max(1, deadline - Date.now()), `read ${total}/${wanted}`);
    } catch (error) {
      try {
        conn.close();
      } catch { /* already closed */ }
      await pending.catch(() => {});
      throw error;
    }
    if (count === null) break;
    parts.push(buffer.slice(0, count));
    total += count;
  }
  const all = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  return all;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array) {
  let written = 0;
  while (written < bytes.length) written += await conn.write(bytes.subarray(written));
}

interface Twin {
  child: Deno.ChildProcess;
  port: number;
  stdout(): string;
  running(): boolean;
  stop(): Promise<Finished>;
}

/**
 * Start a twin server (`leccion/server.ts` or `leccion/udp_server.ts`) with port 0 as its argument
 * and wait (at most 15 s) for its first line, `escuchando en 0.0.0.0:PORT`. No --unstable-net:
 * the repo's deno.json must be enough, as the slides say.
 */
async function startTwin(script: string): Promise<Twin> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", script, "0"],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "", err = "", exited = false;
  const pump = async (stream: ReadableStream<Uint8Array>, keep: (text: string) => void) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) keep(decoder.decode(chunk, { stream: true }));
  };
  const drained = Promise.all([
    pump(child.stdout, (text) => out += text),
    pump(child.stderr, (text) => err += text),
  ]);
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  const stop = async (): Promise<Finished> => {
    if (!exited) child.kill("SIGKILL");
    const { code, signal } = await status;
    await drained;
    return { code, signal, stdout: out, stderr: err };
  };
  const deadline = Date.now() + 15_000;
  while (!ESCUCHANDO.test(out)) {
    if (exited || Date.now() > deadline) {
      throw new Error(`${script} did not start: ${JSON.stringify(await stop())}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20)); // a look every 20 ms
  }
  const port = Number(ESCUCHANDO.exec(out)![1]);
  return { child, port, stdout: () => out, running: () => !exited, stop };
}

/** Run a twin client (`leccion/client.ts` or `leccion/udp_client.ts`) against `port`. */
function runTwin(script: string, port: number): Promise<Finished> {
  return run(["run", "--allow-net", script, `${port}`], { timeoutMs: 20_000 });
}

/** Run a Python snippet with the port as its argument (killed after 20 s). */
function python(code: string, port: number): Promise<Finished> {
  return pythonCode(code, [`${port}`]);
}

// SO_LINGER on, time 0: close() sends RST instead of FIN (Deno has no way to ask for it).
const RESET = `
import socket, struct, sys
def reset(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
`;

/** One whole exchange with a server on `port`: greeting, two lines back, end. */
async function exchange(port: number, greeting = SALUDO) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const lines = encode("otra vez\nsí, otra\n");
    await writeAll(conn, lines);
    conn.closeWrite();
    assert.equal(decode(await readWithin(conn, Infinity)), greeting + "otra vez\nsí, otra\n");
  } finally {
    try {
      conn.close();
    } catch { /* closed by readWithin on a time-out */ }
  }
}

const TWINS = ["server.ts", "client.ts", "udp_server.ts", "udp_client.ts"];

// ---------------------------------------------------------------------------------------------
// Shape

Deno.test("leccion/: each twin fits a slide (<= 35 lines, <= 80 columns) and stands alone", async () => {
  for (const name of TWINS) {
    const text = await Deno.readTextFile(`${ROOT}leccion/${name}`);
    assert.ok(text.endsWith("\n"), name);
    const lines = text.slice(0, -1).split("\n");
    assert.ok(lines.length <= 35, `${name} has ${lines.length} lines`);
    for (const [index, line] of lines.entries()) {
      const columns = [...line].length; // characters, not UTF-8 bytes: "línea" is 5 columns
      assert.ok(columns <= 80, `${name}:${index + 1} is ${columns} columns`);
    }
    // Deno API and node: built-ins only: no project file, no jsr:, npm: or https: import.
    for (const match of text.matchAll(/\bimport\b[^;]*?["']([^"']+)["']|\bimport\s*\(/g)) {
      assert.ok(match[1]?.startsWith("node:"), `${name} imports ${match[0]}`);
    }
    assert.ok(text.includes("const PORT = Number(Deno.args[0] ?? 21042);"), name);
  }
});

Deno.test("leccion/: step comments name every lesson step once or more, in ascending order", async () => {
  const expected: Record<string, number> = {
    "server.ts": 9,
    "client.ts": 6,
    "udp_server.ts": 9,
    "udp_client.ts": 6,
  };
  for (const name of TWINS) {
    const text = await Deno.readTextFile(`${ROOT}leccion/${name}`);
    const comments = text.split("\n").map((line) => line.match(/\/\/(.*)$/)?.[1] ?? "").join(" ");
    // "Paso 7", "Pasos 3 y 4", "Pasos 4, 5 y 6"
    const steps = [...comments.matchAll(/\bPasos? (\d+(?:(?:, | y )\d+)*)/g)]
      .flatMap((match) => match[1].split(/, | y /).map(Number));
    for (let i = 1; i < steps.length; i++) {
      assert.ok(steps[i] >= steps[i - 1], `${name}: step ${steps[i]} after ${steps[i - 1]}`);
    }
    const all = Array.from({ length: expected[name] }, (_, i) => i + 1);
    assert.deepEqual([...new Set(steps)], all, `${name} cites steps ${steps}`);
  }
});

// ---------------------------------------------------------------------------------------------
// TCP

Deno.test("leccion/server.ts prints the real port first; leccion/client.ts gets the greeting and its echo", async () => {
  const server = await startTwin("leccion/server.ts");
  try {
    assert.notEqual(server.port, 0);
    const client = await runTwin("leccion/client.ts", server.port);
    assert.equal(client.code, 0, client.stderr);
    assert.equal(client.stdout, SALUDO + "hola desde Deno\n");
    assert.equal(client.stderr, "");
  } finally {
    const finished = await server.stop();
    assert.match(finished.stdout, ESCUCHANDO);
  }
});

Deno.test("TCP: client.ts (full) talks to leccion/server.ts", async () => {
  const server = await startTwin("leccion/server.ts");
  try {
    const client = await run(
      ["run", "--allow-net", "client.ts", "--port", `${server.port}`, "hola", "qué tal"],
      { timeoutMs: 20_000 },
    );
    assert.equal(client.code, 0, client.stderr);
    assert.equal(client.stdout, SALUDO + "hola\nqué tal\n");
  } finally {
    await server.stop();
  }
});

Deno.test("TCP: leccion/client.ts talks to server.ts (full)", async () => {
  const server = await startServer();
  try {
    const client = await runTwin("leccion/client.ts", server.port);
    assert.equal(client.code, 0, client.stderr);
    assert.equal(client.stdout, GREETING + "hola desde Deno\n");
  } finally {
    await server.stop();
  }
});

testNeeding(["python"], "TCP: the lesson's Python client talks to leccion/server.ts", async () => {
  const server = await startTwin("leccion/server.ts");
  try {
    const client = await runPython("lesson_client.py", ["127.0.0.1", `${server.port}`]);
    assert.equal(client.code, 0, client.stderr);
    assert.equal(client.stdout, SALUDO + "hola desde Python\n");
  } finally {
    await server.stop();
  }
});

testNeeding(["python"], "TCP: leccion/client.ts talks to the lesson's Python server", async () => {
  const server = await startPythonServer("lesson_server.py", ["0"]);
  try {
    assert.match(server.first, /^listening on 0\.0\.0\.0:\d+/);
    const client = await runTwin("leccion/client.ts", Number(server.port));
    assert.equal(client.code, 0, client.stderr);
    assert.equal(client.stdout, "Gracias por conectarte\neco: hola desde Deno\n");
  } finally {
    assert.equal((await server.finish()).code, 0);
  }
});

Deno.test("leccion/server.ts sends everything back byte for byte: split characters, 8 MiB it cannot send at once", async () => {
  const server = await startTwin("leccion/server.ts");
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  try {
    // Lines split across writes, one of them in the middle of "é" (2 bytes in UTF-8).
    const small = encode("hola\nqué tal\n");
    const split = [small.subarray(0, 2), small.subarray(2, 8), small.subarray(8)];
    // Then 8 MiB, every byte value, sent before we read anything: the server's buffers fill up,
    // so its conn.write() calls write only part of what they are given, and it must loop.
    const big = new Uint8Array(8 * 1024 * 1024).map((_, i) => (i * 7 + (i >> 13)) % 256);
    const sending = (async () => {
      for (const part of split) {
        await writeAll(conn, part);
        await new Promise((resolve) => setTimeout(resolve, 30)); // on purpose: parts apart
      }
      await writeAll(conn, big);
      conn.closeWrite();
    })();
    // Not reading yet: the server's writes block once it has more to send than our side takes (on
    // Linux, ss shows its bytes queued), unless the buffers held everything. Then we read.
    let sent = false;
    sending.then(() => sent = true, () => sent = true);
    if (Deno.build.os === "linux") {
      await waitUntil(
        async () =>
          sent ||
          (await tcpSockets(server.port)).some((socket) =>
            socket.localPort === server.port && socket.state === "ESTAB" && socket.sendQ > 0
          ),
        "the server's writes to wait for us",
      );
    }
    const greeting = encode(SALUDO);
    const got = await readWithin(conn, Infinity, 20_000);
    await within(sending, 5_000, "sending");
    assert.equal(got.length, greeting.length + small.length + big.length);
    assert.deepEqual(
      got.subarray(0, greeting.length + small.length),
      encode(SALUDO + "hola\nqué tal\n"),
    );
    const echoed = got.subarray(greeting.length + small.length);
    const first = echoed.findIndex((byte, i) => byte !== big[i]);
    assert.equal(first, -1, `the echo differs from byte ${first} on`);
  } finally {
    try {
      conn.close();
    } catch { /* closed by readWithin on a time-out */ }
    await server.stop();
  }
});

Deno.test("leccion/server.ts serves clients side by side: one that never sends does not hold up the next", async () => {
  const server = await startTwin("leccion/server.ts");
  const idle = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  try {
    assert.equal(decode(await readWithin(idle, encode(SALUDO).length)), SALUDO);
    await exchange(server.port);
  } finally {
    idle.close();
    await server.stop();
  }
});

testNeeding(
  ["python"],
  "leccion/server.ts survives a client that resets mid-stream, and serves the next one",
  async () => {
    const server = await startTwin("leccion/server.ts");
    try {
      // The client sends without ever reading, until everything is full and the server is stuck
      // in a write (sendall gives up after 2 s), then resets: that write must fail, and only it.
      const client = await python(
        RESET + `
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(2)
try:
    s.sendall(bytes(256 * 1024 * 1024))
    sys.exit("sent 256 MiB: the server never got stuck")
except TimeoutError:
    pass
reset(s)
`,
        server.port,
      );
      assert.equal(client.code, 0, client.stderr);
      await exchange(server.port);
      assert.ok(server.running());
      // The reset happened, and the server saw it as an error (not as a client that said goodbye).
      assert.match(server.stdout(), /\ncliente perdido: .*(reset|Broken pipe)/i);
    } finally {
      await server.stop();
    }
  },
);

testNeeding(
  ["sigstop", "python"],
  "leccion/server.ts survives a client that resets before it is even accepted",
  async () => {
    const server = await startTwin("leccion/server.ts");
    let stopped = false;
    try {
      // Stopped, the server cannot call accept(); the kernel still completes the handshake, so
      // the client connects and resets while the connection waits in the queue.
      Deno.kill(server.child.pid, "SIGSTOP");
      stopped = true;
      const client = await python(
        RESET + `
reset(socket.create_connection(("127.0.0.1", int(sys.argv[1]))))
`,
        server.port,
      );
      assert.equal(client.code, 0, client.stderr);
      Deno.kill(server.child.pid, "SIGCONT");
      stopped = false;
      await exchange(server.port);
      await exchange(server.port);
      assert.ok(server.running());
      // The reset reached the server as a failed accept() (Deno 2.9 on Linux: NotConnected).
      assert.match(server.stdout(), /\ncliente perdido: /);
    } finally {
      if (stopped) Deno.kill(server.child.pid, "SIGCONT");
      await server.stop();
    }
  },
);

// ---------------------------------------------------------------------------------------------
// UDP

Deno.test("leccion/udp_server.ts prints the real port first; leccion/udp_client.ts gets its echo", async () => {
  const server = await startTwin("leccion/udp_server.ts");
  try {
    assert.notEqual(server.port, 0);
    const client = await runTwin("leccion/udp_client.ts", server.port);
    assert.equal(client.code, 0, client.stderr);
    assert.equal(client.stdout, "hola desde Deno\n");
  } finally {
    await server.stop();
  }
});

Deno.test("UDP: udp_client.ts (full) talks to leccion/udp_server.ts", async () => {
  const server = await startTwin("leccion/udp_server.ts");
  try {
    const client = await run(
      ["run", "--allow-net", "udp_client.ts", "--port", `${server.port}`, "hola", "qué tal"],
      { timeoutMs: 20_000 },
    );
    assert.equal(client.code, 0, client.stderr);
    assert.match(
      client.stdout,
      /^hola {2}\(reply in \d+\.\d ms, 1 try\)\nqué tal {2}\(reply in \d+\.\d ms, 1 try\)\n$/,
    );
  } finally {
    await server.stop();
  }
});

Deno.test("UDP: leccion/udp_client.ts talks to udp_server.ts (full)", async () => {
  const server = await startServer([], {
    script: "udp_server.ts",
    denoFlags: ["--unstable-net", "--allow-net"],
  });
  try {
    const client = await runTwin("leccion/udp_client.ts", server.port);
    assert.equal(client.code, 0, client.stderr);
    assert.equal(client.stdout, "hola desde Deno\n");
  } finally {
    await server.stop();
  }
});

testNeeding(
  ["python"],
  "UDP: the lesson's Python client talks to leccion/udp_server.ts",
  async () => {
    const server = await startTwin("leccion/udp_server.ts");
    try {
      const client = await runPython("lesson_udp_client.py", ["127.0.0.1", `${server.port}`]);
      assert.equal(client.code, 0, client.stderr);
      assert.equal(client.stdout, "hola desde Python\n");
    } finally {
      await server.stop();
    }
  },
);

testNeeding(
  ["python"],
  "UDP: leccion/udp_client.ts talks to the lesson's Python server",
  async () => {
    const server = await startPythonServer("lesson_udp_server.py", ["127.0.0.1", "0", "1"]);
    try {
      assert.match(server.first, /^listening on 127\.0\.0\.1:\d+/);
      const client = await runTwin("leccion/udp_client.ts", Number(server.port));
      assert.equal(client.code, 0, client.stderr);
      assert.equal(client.stdout, "hola desde Deno\n");
    } finally {
      assert.equal((await server.finish()).code, 0); // it ends after 1 datagram
    }
  },
);

Deno.test("leccion/udp_server.ts sends each datagram back whole, to whoever sent it", async () => {
  const server = await startTwin("leccion/udp_server.ts");
  const peers = [new UdpPeer(), new UdpPeer()];
  try {
    const big = new Uint8Array(60_000).map((_, i) => i % 256);
    const datagrams = [encode("qué tal"), big, new Uint8Array(0)];
    for (const [index, datagram] of datagrams.entries()) {
      const peer = peers[index % 2];
      await peer.send(datagram, server.port);
      const reply = await peer.receive(5_000);
      assert.ok(reply, `no reply to datagram ${index}`);
      assert.deepEqual(reply[0], datagram);
      assert.equal(reply[1].port, server.port);
    }
  } finally {
    for (const peer of peers) await peer.close();
    await server.stop();
  }
});

Deno.test("leccion/udp_client.ts with no server gives up after its 2 s, in Spanish, exit 1", async () => {
  const started = Date.now();
  const client = await runTwin("leccion/udp_client.ts", freeUdpPort());
  const elapsed = Date.now() - started;
  assert.equal(client.code, 1);
  assert.equal(client.stdout, "");
  assert.equal(client.stderr, "udp_client.ts: no llegó respuesta en 2 segundos\n");
  assert.ok(elapsed >= 2_000, `gave up after ${elapsed} ms`);
  assert.ok(elapsed < 10_000, `gave up after ${elapsed} ms`);
});
