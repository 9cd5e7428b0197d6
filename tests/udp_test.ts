// udp_server.ts and udp_client.ts, run as real processes and checked the way a user would check them.
import assert from "node:assert/strict";
import { decode, encode } from "./helpers/io.ts";
import { type Finished, ROOT, run, startServer } from "./helpers/process.ts";
import { runPython, startPythonServer } from "./helpers/python.ts";
import { freeUdpPort, UdpPeer } from "./helpers/udp.ts";
import { testNeeding } from "./helpers/needs.ts";

const NET = ["--unstable-net", "--allow-net"];
const REPLY = /^(.*) {2}\(reply in \d+\.\d ms, (\d+) tr(?:y|ies)\)$/;

function startUdpServer(args: string[] = [], host?: string) {
  return startServer(args, { script: "udp_server.ts", denoFlags: NET, host });
}

function udpClient(
  args: string[],
  options: { stdin?: string; cwd?: string } = {},
): Promise<Finished> {
  return run(["run", ...NET, "udp_client.ts", ...args], options);
}

/** The client's stdout as [text, tries] pairs; every line must be a reply line. */
function replies(stdout: string): [string, number][] {
  return stdout.split("\n").slice(0, -1).map((line) => {
    const match = REPLY.exec(line);
    assert.ok(match, `not a reply line: ${JSON.stringify(line)}`);
    return [match[1], Number(match[2])];
  });
}

/** The server's log, one letter per datagram: "d" dropped, "e" echoed. */
function decisions(stdout: string): string {
  return [...stdout.matchAll(/^(dropped|echoed) /gm)].map((match) => match[1][0]).join("");
}

testNeeding(
  ["signals"],
  "UDP exchange: udp_client.ts prints each reply with its time and tries",
  async () => {
    const server = await startUdpServer();
    try {
      const client = await udpClient(["--port", `${server.port}`, "hola", "qué tal", "hola"]);
      assert.equal(client.code, 0, client.stderr);
      assert.equal(client.stderr, "");
      assert.deepEqual(replies(client.stdout), [["hola", 1], ["qué tal", 1], ["hola", 1]]);
      assert.doesNotMatch(client.stdout, /\[step/);
    } finally {
      const finished = await server.stop();
      assert.equal(finished.code, 0, finished.stderr);
      assert.match(finished.stdout, /^listening on 127\.0\.0\.1:\d+\n/);
      assert.match(finished.stdout, /\nechoed 8 bytes to 127\.0\.0\.1:\d+: "qué tal"\n/);
      assert.equal(
        finished.stdout.match(/\nechoed 4 bytes to 127\.0\.0\.1:\d+: "hola"\n/g)?.length,
        2,
      );
      assert.doesNotMatch(finished.stdout, /\[step/);
    }
  },
);

Deno.test("UDP: udp_client.ts sends standard input line by line, an empty line as an empty datagram", async () => {
  const server = await startUdpServer();
  try {
    const client = await udpClient(["--port", `${server.port}`], { stdin: "uno\r\ndos\n\ntres" });
    assert.equal(client.code, 0, client.stderr);
    assert.deepEqual(replies(client.stdout), [["uno", 1], ["dos", 1], ["", 1], ["tres", 1]]);
  } finally {
    const finished = await server.stop();
    assert.match(finished.stdout, /\nechoed 0 bytes to 127\.0\.0\.1:\d+: ""\n/);
  }
});

Deno.test("UDP: several clients at once, many datagrams each, every reply to its own sender", async () => {
  const server = await startUdpServer(["--quiet"]);
  try {
    const processes = Array.from({ length: 4 }, async (_, id) => {
      const messages = Array.from({ length: 25 }, (_, n) => `proceso ${id} mensaje ${n}`);
      const client = await udpClient(["--port", `${server.port}`, ...messages]);
      assert.equal(client.code, 0, client.stderr);
      assert.deepEqual(replies(client.stdout).map(([text]) => text), messages);
    });
    const sockets = Array.from({ length: 6 }, async (_, id) => {
      const peer = new UdpPeer();
      try {
        for (let n = 0; n < 50; n++) {
          await peer.send(encode(`socket ${id} datagram ${n}`), server.port);
          const received = await peer.receive();
          assert.ok(received, `socket ${id}: no reply to datagram ${n}`);
          assert.equal(decode(received[0]), `socket ${id} datagram ${n}`);
          assert.equal(received[1].port, server.port);
        }
      } finally {
        await peer.close();
      }
    });
    await Promise.all([...processes, ...sockets]);
  } finally {
    await server.stop();
  }
});

testNeeding(
  ["signals"],
  "UDP: empty, 65,507-byte and random datagrams come back unchanged; the server keeps serving",
  async () => {
    const server = await startUdpServer();
    const peer = new UdpPeer();
    try {
      const largest = crypto.getRandomValues(new Uint8Array(65507));
      const randomSizes = Array.from(
        { length: 30 },
        () => crypto.getRandomValues(new Uint8Array(Math.random() * 3000)),
      );
      for (const datagram of [new Uint8Array(0), largest, ...randomSizes]) {
        await peer.send(datagram, server.port);
        const received = await peer.receive();
        assert.ok(received, `no reply to ${datagram.length} bytes`);
        assert.deepEqual(received[0], datagram);
      }
      // A sender that vanishes before its reply comes back does not bother the server either.
      const vanishing = new UdpPeer();
      await vanishing.send(encode("adiós"), server.port);
      await vanishing.close();
      const client = await udpClient(["--port", `${server.port}`, "todavía aquí"]);
      assert.deepEqual(replies(client.stdout), [["todavía aquí", 1]]);
    } finally {
      await peer.close();
      const finished = await server.stop();
      assert.equal(finished.code, 0, finished.stderr);
      assert.equal(finished.stderr, "");
      assert.match(finished.stdout, /\nechoed 0 bytes to 127\.0\.0\.1:\d+: ""\n/);
      assert.match(finished.stdout, /\nechoed 65507 bytes to 127\.0\.0\.1:\d+: "[^\n]+"\.\.\.\n/);
    }
  },
);

Deno.test("UDP --drop 1: the client gives up after timeout × tries, one clear line, exit 1", async () => {
  const server = await startUdpServer(["--drop", "1"]);
  try {
    const started = performance.now();
    const client = await udpClient([
      "--port",
      `${server.port}`,
      "--timeout",
      "300",
      "--retries",
      "2",
      "hola",
    ]);
    assert.ok(performance.now() - started >= 900, "it waited the timeout for each of the 3 tries");
    assert.equal(client.signal, null, "it ended by itself"); // run() kills it after 30 s
    assert.equal(client.code, 1);
    assert.equal(client.stdout, "");
    assert.equal(
      client.stderr,
      `udp_client.ts: no reply from 127.0.0.1:${server.port} after 3 tries: is udp_server.ts running? UDP itself never tells you\n`,
    );
  } finally {
    const finished = await server.stop();
    assert.equal(decisions(finished.stdout), "ddd");
    assert.match(finished.stdout, /\ndropped 4 bytes from 127\.0\.0\.1:\d+: "hola" \(--drop 1\)\n/);
  }
});

Deno.test("UDP with no server at all: the client cannot tell, waits, and gives up the same way", async () => {
  // A peer that never answers looks the same to the client; it also shows when each try came.
  const silent = new UdpPeer();
  const client = udpClient([
    "--port",
    `${silent.port}`,
    "--timeout",
    "500",
    "--retries",
    "2",
    "¿hay alguien?",
  ]);
  const endedAt = client.then(() => performance.now());
  const arrivals: number[] = [];
  try {
    for (let n = 0; n < 4; n++) {
      const got = await silent.receive(n === 0 ? 15_000 : 1500);
      if (!got) break;
      arrivals.push(performance.now());
      assert.equal(decode(got[0]), "¿hay alguien?");
    }
  } finally {
    await client;
    await silent.close();
  }
  const ended = await endedAt;
  const gave = await client;
  assert.equal(gave.code, 1, gave.stderr);
  assert.equal(arrivals.length, 3, "1 try and 2 retries, no more");
  const gaps = [arrivals[1] - arrivals[0], arrivals[2] - arrivals[1], ended - arrivals[2]];
  for (const gap of gaps) { // about 500 ms: never less; more only as much as a busy machine adds
    assert.ok(
      gap >= 480 && gap < 1500,
      `each try waits the 500 ms timeout: ${gaps.map(Math.round)}`,
    );
  }

  const port = freeUdpPort();
  const started = performance.now();
  const alone = await udpClient([
    "--port",
    `${port}`,
    "--timeout",
    "500",
    "--retries",
    "2",
    "¿hay alguien?",
  ]);
  const waited = performance.now() - started;
  assert.equal(alone.signal, null);
  assert.equal(alone.code, 1);
  assert.equal(
    alone.stderr,
    `udp_client.ts: no reply from 127.0.0.1:${port} after 3 tries: is udp_server.ts running? UDP itself never tells you\n`,
  );
  // 3 tries of 500 ms, and Deno's start-up: about 1.5 s, never less, and not much more (a busy
  // machine's start-up may take a few seconds).
  assert.ok(waited >= 1500 && waited < 5000, `it waited ${Math.round(waited)} ms, not about 1,500`);
});

Deno.test("UDP --drop 0.5 --seed 1: retries happen, every message is answered, and the drops repeat", async () => {
  const messages = Array.from({ length: 8 }, (_, n) => `mensaje ${n}`);
  async function lossyRun() {
    const server = await startUdpServer(["--drop", "0.5", "--seed", "1"]);
    let client: Finished, finished: Finished;
    try {
      client = await udpClient([
        "--port",
        `${server.port}`,
        "--timeout",
        "150",
        "--retries",
        "10",
        ...messages,
      ]);
    } finally {
      finished = await server.stop();
    }
    assert.equal(client.code, 0, client.stderr);
    const answered = replies(client.stdout);
    assert.deepEqual(answered.map(([text]) => text), messages);
    const tries = answered.map(([, count]) => count);
    const seen = decisions(finished.stdout);
    // Every datagram the client sent reached the server (loopback loses none) and was dropped or echoed.
    assert.equal(seen.length, tries.reduce((sum, count) => sum + count, 0), finished.stdout);
    return { tries, seen };
  }
  const first = await lossyRun();
  const second = await lossyRun();
  assert.ok(first.tries[0] >= 2, `seed 1 drops the first datagram: ${first.tries}`);
  assert.ok(first.seen.includes("e") && first.seen.includes("d"));
  // The same seed makes the same decisions, datagram after datagram.
  const common = Math.min(first.seen.length, second.seen.length);
  assert.ok(common >= messages.length);
  assert.equal(second.seen.slice(0, common), first.seen.slice(0, common));
});

Deno.test("UDP stale replies: a late reply to an earlier message, or a stranger's datagram, is ignored", async () => {
  const fake = new UdpPeer(); // plays the server, with full control of what comes back and when
  const client = udpClient([
    "--port",
    `${fake.port}`,
    "--timeout",
    "1000",
    "--retries",
    "1",
    "uno",
    "dos",
  ]);
  try {
    const first = await fake.receive(); // "uno", try 1: left unanswered
    assert.equal(decode(first![0]), "uno");
    const second = await fake.receive(); // "uno", try 2, after the client's timeout
    assert.equal(decode(second![0]), "uno");
    await fake.send(encode("uno"), second![1].port);
    const third = await fake.receive(); // "dos"
    assert.equal(decode(third![0]), "dos");
    await fake.send(encode("uno"), third![1].port); // the late reply to try 1 of "uno"
    await fake.send(encode("de otro"), third![1].port); // someone else's datagram
    await fake.send(encode("dos"), third![1].port);
  } finally {
    await client; // ends by itself: at most 2 tries of 1 s for each message
    await fake.close();
  }
  const finished = await client;
  assert.equal(finished.code, 0, finished.stderr);
  const lines = finished.stdout.split("\n"); // the replies only: notices go to stderr
  assert.match(lines[0], /^uno {2}\(reply in \d+\.\d ms, 2 tries\)$/);
  assert.match(lines[1], /^dos {2}\(reply in \d+\.\d ms, 1 try\)$/);
  assert.equal(lines.length, 3);
  assert.equal(
    finished.stderr,
    'udp_client.ts: stale reply 1 ignored: "uno"\nudp_client.ts: stale reply 2 ignored: "de otro"\n',
  );
});

Deno.test("UDP: two identical messages, a late reply to the first counts for the second (the documented rule)", async () => {
  const fake = new UdpPeer();
  const client = udpClient([
    "--port",
    `${fake.port}`,
    "--timeout",
    "1000",
    "--retries",
    "1",
    "eco",
    "eco",
  ]);
  try {
    assert.equal(decode((await fake.receive())![0]), "eco"); // try 1: left unanswered for now
    const retry = await fake.receive(); // try 2
    await fake.send(encode("eco"), retry![1].port); // the reply to try 1, late...
    await fake.send(encode("eco"), retry![1].port); // ...and to try 2
    assert.equal(decode((await fake.receive())![0]), "eco"); // the second message
  } finally {
    await client;
    await fake.close();
  }
  const finished = await client;
  assert.equal(finished.code, 0, finished.stderr);
  assert.deepEqual(replies(finished.stdout), [["eco", 2], ["eco", 1]]);
});

Deno.test("UDP IPv6: udp_server.ts on [::1] and udp_client.ts --host ::1", async () => {
  const server = await startUdpServer([], "::1");
  try {
    assert.match(server.stdout(), /^listening on \[::1\]:\d+\n/);
    const client = await udpClient(["--host", "::1", "--port", `${server.port}`, "seis"]);
    assert.equal(client.code, 0, client.stderr);
    assert.deepEqual(replies(client.stdout), [["seis", 1]]);
  } finally {
    const finished = await server.stop();
    assert.match(finished.stdout, /\nechoed 4 bytes to \[::1\]:\d+: "seis"\n/);
  }
});

testNeeding(
  ["signals"],
  "UDP IPv6: the largest datagram there (65,527 bytes over ::1) comes back whole",
  async () => {
    // 65,535 less the 8-byte UDP header: IPv6 has no 20-byte header inside that limit, IPv4 does.
    const server = await startUdpServer(["--explain"], "::1");
    // Our own socket: UdpPeer's receive() (no buffer given) would cut the reply at 65,507 bytes.
    const socket = Deno.listenDatagram({ transport: "udp", hostname: "::1", port: 0 });
    try {
      const largest = crypto.getRandomValues(new Uint8Array(65527));
      await socket.send(largest, { transport: "udp", hostname: "::1", port: server.port });
      const buffer = new Uint8Array(65535);
      const timeUp = AbortSignal.timeout(5000);
      timeUp.onabort = () => socket.close(); // a receive that never ends fails instead
      const [reply] = await socket.receive(buffer);
      timeUp.onabort = null;
      assert.equal(reply.length, 65527);
      assert.deepEqual(reply, largest);
    } finally {
      try {
        socket.close();
      } catch { /* closed already */ }
      const finished = await server.stop();
      assert.equal(finished.stderr, "");
      assert.match(finished.stdout, /\nechoed 65527 bytes to \[::1\]:\d+: /);
      // The trace names the buffer it really receives into: 65,535 bytes on IPv6.
      assert.match(finished.stdout, /\[step 7\] python: data, addr = recvfrom\(65535\) {2}deno: /);
    }
  },
);

testNeeding(
  ["python", "signals"],
  "UDP: a Python client written as the lesson teaches talks to udp_server.ts",
  async () => {
    const server = await startUdpServer();
    try {
      const python = await runPython("lesson_udp_client.py", ["127.0.0.1", `${server.port}`]);
      assert.equal(python.code, 0, python.stderr);
      assert.equal(python.stdout, "hola desde Python\n");
    } finally {
      const finished = await server.stop();
      assert.match(finished.stdout, /\nechoed 17 bytes to 127\.0\.0\.1:\d+: "hola desde Python"\n/);
    }
  },
);

testNeeding(
  ["python"],
  "UDP: udp_client.ts talks to a Python server written as the lesson teaches",
  async () => {
    const python = await startPythonServer("lesson_udp_server.py", ["127.0.0.1", "0", "2"]);
    try {
      assert.match(python.first, /^listening on 127\.0\.0\.1:\d+/);
      const port = python.port;
      const client = await udpClient(["--port", port, "hola", "chau"]);
      assert.equal(client.code, 0, client.stderr);
      assert.deepEqual(replies(client.stdout), [["hola", 1], ["chau", 1]]);
    } finally {
      const status = await python.finish(); // it ends after 2 datagrams (or is stopped after 20 s)
      assert.equal(status.code, 0);
    }
  },
);

Deno.test("UDP without --unstable-net and no deno.json: both scripts say how to run them, exit 1", async () => {
  const dir = await Deno.makeTempDir(); // a student's folder: the script alone, no deno.json beside it
  try {
    for (const [script, args] of [["udp_server.ts", []], ["udp_client.ts", ["hola"]]] as const) {
      await Deno.copyFile(`${ROOT}${script}`, `${dir}/${script}`);
      // --no-config also ignores a deno.json that something else might have left in a parent folder.
      const result = await run(["run", "--no-config", "--allow-net", script, ...args], {
        cwd: dir,
      });
      assert.equal(result.code, 1);
      assert.equal(result.stdout, "");
      assert.equal(
        result.stderr,
        `${script}: UDP needs --unstable-net: run deno run --unstable-net --allow-net ${script}\n`,
      );
    }
    // The same copies work once the flag is given: the message is about the flag, nothing else.
    const server = await startServer(["--quiet"], {
      script: "udp_server.ts",
      denoFlags: ["--no-config", ...NET],
      cwd: dir,
    });
    try {
      const client = await run([
        "run",
        "--no-config",
        ...NET,
        "udp_client.ts",
        "--port",
        `${server.port}`,
        "hola",
      ], {
        cwd: dir,
      });
      assert.deepEqual(replies(client.stdout), [["hola", 1]]);
    } finally {
      await server.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("UDP port in use: one clear line, exit 1; the same number as a TCP port is fine", async () => {
  const udp = await startUdpServer(["--quiet"]);
  try {
    const second = await run([
      "run",
      ...NET,
      "udp_server.ts",
      "--host",
      "127.0.0.1",
      "--port",
      `${udp.port}`,
    ]);
    assert.equal(second.code, 1);
    assert.equal(
      second.stderr,
      `udp_server.ts: UDP port ${udp.port} is in use on 127.0.0.1: stop the other server, or use --port\n`,
    );
  } finally {
    await udp.stop();
  }
  const tcp = await startServer(["--quiet"]);
  const alongside = await startServer(["--quiet"], {
    script: "udp_server.ts",
    denoFlags: NET,
    port: tcp.port,
  });
  try {
    const client = await udpClient(["--port", `${tcp.port}`, "mismo número"]);
    assert.deepEqual(replies(client.stdout), [["mismo número", 1]]);
  } finally {
    await alongside.stop();
    await tcp.stop();
  }
});

Deno.test("UDP bad usage exits 2 with the usage on stderr; --help prints it on stdout", async () => {
  const cases: [string, string[]][] = [];
  for (const script of ["udp_server.ts", "udp_client.ts"]) {
    for (const args of [["--bogus"], ["--port", "70000"], ["--port", "abc"], ["--port"]]) {
      cases.push([script, args]);
    }
  }
  for (const args of [["--drop", "1.5"], ["--drop", "abc"], ["--drop=-1"], ["--seed", "x"]]) {
    cases.push(["udp_server.ts", args]);
  }
  for (
    const args of [["--timeout", "0"], ["--timeout", "1.5"], ["--retries", "x"], [
      "--retries",
      "101",
    ]]
  ) {
    cases.push(["udp_client.ts", args]);
  }
  // All at once, then check each: every run ends by itself, so none is left behind if one fails.
  const results = await Promise.all(
    cases.map(([script, args]) => run(["run", ...NET, script, ...args])),
  );
  for (const [n, bad] of results.entries()) {
    const [script, args] = cases[n];
    assert.equal(bad.code, 2, `${script} ${args.join(" ")}`);
    assert.match(
      bad.stderr,
      new RegExp(`^${script}: .*\\nusage: deno run --unstable-net --allow-net ${script}`),
    );
    assert.doesNotMatch(bad.stderr, /Stack| {4}at /);
  }
  for (const script of ["udp_server.ts", "udp_client.ts"]) {
    const help = await run(["run", ...NET, script, "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, new RegExp(`^usage: deno run --unstable-net --allow-net ${script}`));
    assert.equal(help.stderr, "");
  }
});

testNeeding(
  ["signals"],
  "UDP: a message over 65,507 bytes exits 2 before sending; 65,507 bytes go through",
  async () => {
    const server = await startUdpServer();
    try {
      const tooLong = await udpClient(["--port", `${server.port}`, "primero", "x".repeat(65508)]);
      assert.equal(tooLong.code, 2);
      assert.match(
        tooLong.stderr,
        /^udp_client\.ts: message 2 is 65508 bytes: a UDP datagram holds at most 65,507\n/,
      );
      const fromInput = await udpClient(["--port", `${server.port}`], {
        stdin: `línea\n${"y".repeat(65508)}\n`,
      });
      assert.equal(fromInput.code, 2);
      assert.deepEqual(replies(fromInput.stdout), [["línea", 1]]);
      assert.match(
        fromInput.stderr,
        /^udp_client\.ts: a line is 65508 bytes: a UDP datagram holds at most 65,507\n/,
      );
      const largest = await udpClient(["--port", `${server.port}`, "z".repeat(65507)]);
      assert.equal(largest.code, 0, largest.stderr);
      assert.deepEqual(replies(largest.stdout), [["z".repeat(65507), 1]]);
    } finally {
      const finished = await server.stop();
      assert.doesNotMatch(finished.stdout, /primero/, "nothing was sent before the check");
      assert.equal(decisions(finished.stdout), "ee"); // "línea" and the 65,507 z's
    }
  },
);

testNeeding(["signals"], "UDP: Ctrl-C and SIGTERM both stop the server with exit 0", async () => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    const server = await startUdpServer();
    const finished = await server.stop(signal);
    assert.equal(finished.code, 0, `${signal}: ${finished.stderr}`);
    assert.equal(finished.stderr, "");
  }
});

testNeeding(
  ["signals"],
  "UDP --explain traces the lesson's steps on both ends, after the listening line",
  async () => {
    // Seed 1 drops the first two datagrams, so the client's trace shows timeouts and retries.
    const server = await startUdpServer(["--explain", "--drop", "0.5", "--seed", "1"]);
    let client: Finished, finished: Finished;
    try {
      client = await udpClient([
        "--explain",
        "--port",
        `${server.port}`,
        "--timeout",
        "500",
        "hola",
      ]);
    } finally {
      finished = await server.stop();
    }
    assert.equal(client.code, 0, client.stderr);
    const trace = client.stderr.split("\n"); // the client's trace is on stderr
    assert.deepEqual(trace.slice(0, 7), [
      '[step 3] python: socket(AF_INET, SOCK_DGRAM)  deno: Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 }) -> bound',
      `[step 4] python: (no connect)  deno: (no connect) -> UDP has no connection: each sendto() names 127.0.0.1:${server.port}`,
      "[step 5] python: sendto(data, addr)  deno: socket.send(data, addr) -> try 1 of 4",
      "[step 5] python: recvfrom() timed out  deno: Promise.race() with a timer -> no reply in 500 ms",
      "[step 5] python: sendto(data, addr)  deno: socket.send(data, addr) -> try 2 of 4",
      "[step 5] python: recvfrom() timed out  deno: Promise.race() with a timer -> no reply in 500 ms",
      "[step 5] python: sendto(data, addr)  deno: socket.send(data, addr) -> try 3 of 4",
    ]);
    assert.ok(
      trace.includes("[step 5] python: recvfrom(65507)  deno: socket.receive() -> got 4 bytes"),
    );
    assert.match(client.stdout, /^hola {2}\(reply in \d+\.\d ms, [34] tries\)\n$/);
    assert.deepEqual(trace.slice(-2), [
      "[step 6] python: close()  deno: socket.close() -> done",
      "",
    ]);

    const log = finished.stdout.split("\n");
    const bound = `127.0.0.1:${server.port}`;
    assert.equal(log[0], `listening on ${bound}`);
    assert.equal(
      log[1],
      `[steps 4-5] python: socket(AF_INET, SOCK_DGRAM) + bind(("127.0.0.1", 0))  deno: Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 }) -> bound to ${bound}, and no listen() (step 6): UDP has no connections to wait for`,
    );
    assert.match(
      log[2],
      /^\[step 7\] python: data, addr = recvfrom\(65507\) {2}deno: socket\.receive\(\) -> got 4 bytes from 127\.0\.0\.1:\d+$/,
    );
    assert.match(log[3], /^dropped 4 bytes from /);
    assert.match(
      log[4],
      /^\[step 8\] python: \(no sendto\) {2}deno: \(no socket\.send\) -> dropped on purpose: /,
    );
    assert.ok(
      log.includes(
        "[step 8] python: sendto(data, addr)  deno: socket.send(data, addr) -> 4 bytes back",
      ),
    );
    assert.deepEqual(log.slice(-2), [
      "[step 9] python: close()  deno: socket.close() -> closed the one socket that served every client",
      "",
    ]);
  },
);

testNeeding(
  ["signals"],
  "UDP permissions: deno.json's udp-client task is enough; a server allowed only its own address cannot reply",
  async () => {
    const tasks = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).tasks as Record<
      string,
      string
    >;
    // The task allows every address (docs/permissions.md: a class sends to another computer); the
    // narrowest permission for this machine's server is still enough.
    assert.match(tasks["udp-client"], /--allow-net udp_client\.ts$/);
    const clientNet = "127.0.0.1:0,127.0.0.1:21042";
    const server = await startUdpServer(["--quiet"]);
    try {
      const narrow = `--allow-net=${clientNet.replace("21042", `${server.port}`)}`;
      const client = await run([
        "run",
        "--unstable-net",
        narrow,
        "udp_client.ts",
        "--port",
        `${server.port}`,
        "justo",
      ]);
      assert.equal(client.code, 0, client.stderr);
      assert.deepEqual(replies(client.stdout), [["justo", 1]]);
    } finally {
      await server.stop();
    }

    const port = freeUdpPort();
    const mute = await startServer([], {
      script: "udp_server.ts",
      denoFlags: ["--unstable-net", `--allow-net=127.0.0.1:${port}`],
      port,
    });
    try {
      const client = await udpClient([
        "--port",
        `${port}`,
        "--timeout",
        "200",
        "--retries",
        "1",
        "¿me oyes?",
      ]);
      assert.equal(client.code, 1);
    } finally {
      const finished = await mute.stop();
      assert.equal(finished.code, 0);
      const refusals = finished.stderr.match(
        /^udp_server\.ts: cannot reply to 127\.0\.0\.1:\d+: Requires net access to .*$/gm,
      );
      assert.equal(refusals?.length, 2, finished.stderr); // one line for each try, and it kept serving
    }
  },
);
