// chat_server.ts as a classroom would try it: a paste, output nobody reads, too many
// connections, unfinished lines, resets before accept(), look-alike names, a storm of joins; and
// the trace that names each client. Every read has a deadline; every child is awaited.
import assert from "node:assert/strict";
import { delay, encode, LineReader, readLine, writeAll } from "./helpers/io.ts";
import { ROOT, startServer, startUnread } from "./helpers/process.ts";
import { allClosed, allRead } from "./helpers/proc.ts";
import { python as pythonCommand, pythonCode } from "./helpers/python.ts";
import { testNeeding } from "./helpers/needs.ts";

const connect = (port: number) => Deno.connect({ hostname: "127.0.0.1", port });
const chat = (args: string[]) => startServer(args, { script: "chat_server.ts" });

/** Close a connection that may be closed already (by within(), below). */
function shut(...conns: Deno.Conn[]) {
  for (const conn of conns) {
    try {
      conn.close();
    } catch { /* closed already */ }
  }
}

/** The promise's value; after `ms`, close `conns` (so that pending reads end) and throw. */
async function within<T>(ms: number, what: string, conns: Deno.Conn[], work: Promise<T>) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      shut(...conns);
      reject(new Error(`${what}: not within ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Join the room, read the welcome line, and take a name; then read until the room says so. */
async function join(port: number, name: string): Promise<[Deno.TcpConn, LineReader]> {
  const conn = await connect(port);
  const lines = new LineReader(conn);
  const welcome = await within(10_000, "welcome", [conn], lines.next());
  assert.match(welcome, /^welcome to the chat, /);
  await writeAll(conn, encode(`/name ${name}\n`));
  return [conn, lines];
}

/** Read lines until one matches (at most `limit` lines, `ms` in all); returns them all. */
async function until(conn: Deno.Conn, lines: LineReader, wanted: RegExp, limit = 50, ms = 10_000) {
  const seen: string[] = [];
  await within(
    ms,
    `waiting for ${wanted}`,
    [conn],
    (async () => {
      while (seen.length < limit) {
        const line = await lines.next();
        seen.push(line);
        if (wanted.test(line) || line === "") return;
      }
    })(),
  );
  assert.match(seen.at(-1) ?? "", wanted, JSON.stringify(seen.slice(-5)));
  return seen;
}

/** Run Python code with the port as sys.argv[1]; its stdout (killed after 20 s). */
async function python(code: string, port: number): Promise<string> {
  const out = await pythonCode(code, [`${port}`]);
  assert.equal(out.code, 0, out.stderr);
  return out.stdout;
}

/** Read `count` relayed lines "FROM: PREFIX i" (i = 0, 1, ...) in order; notices are skipped. */
async function readRelayed(lines: LineReader, from: string, prefix: string, count: number) {
  for (let i = 0; i < count;) {
    const line = await lines.next();
    if (line === "") throw new Error(`closed by the server after ${i} of ${count} lines`);
    if (line.startsWith("* ")) continue;
    assert.equal(line, `${from}: ${prefix}${i}\n`, `line ${i}`);
    i++;
  }
}

// ---------------------------------------------------------------------------------------------
// Finding 1: one paste emptied the room

testNeeding(
  ["sh"],
  "chat, flood: a 1 MB paste through client.ts reaches two reading members whole and in order",
  async () => {
    const server = await chat(["--quiet"]);
    const [ana, anaLines] = await join(server.port, "Ana");
    const [bo, boLines] = await join(server.port, "Bo");
    const file = await Deno.makeTempFile({ suffix: ".txt" });
    try {
      await until(ana, anaLines, /is now Bo/);
      let text = "", count = 0;
      while (text.length < 1024 * 1024) text += `paste line ${count++}\n`;
      await Deno.writeTextFile(file, text);
      const reading = Promise.all([
        readRelayed(anaLines, "Paster", "paste line ", count),
        readRelayed(boLines, "Paster", "paste line ", count),
      ]);
      const deno = `"${Deno.execPath()}" run --allow-net client.ts --port ${server.port}`;
      const paster = new Deno.Command("sh", {
        args: ["-c", `exec ${deno} --name Paster < "${file}"`],
        cwd: ROOT,
        env: { LC_ALL: "C" },
        stdout: "null",
        stderr: "piped",
        signal: AbortSignal.timeout(60_000),
      }).output();
      await within(60_000, "the paste", [ana, bo], reading);
      const finished = await paster;
      assert.equal(finished.code, 0, new TextDecoder().decode(finished.stderr));
    } finally {
      shut(ana, bo);
      await Deno.remove(file);
      await server.stop();
    }
  },
);

Deno.test("chat, flood: 65,536 empty lines in one write reach both readers, and the sender stays", async () => {
  const server = await chat(["--quiet"]);
  const [ana, anaLines] = await join(server.port, "Ana");
  const [bo, boLines] = await join(server.port, "Bo");
  const [flood] = await join(server.port, "Flood");
  try {
    await until(ana, anaLines, /is now Flood/);
    await until(bo, boLines, /is now Flood/);
    const sending = writeAll(flood, new Uint8Array(65_536).fill(10));
    const everyLine = async (lines: LineReader) => {
      for (let i = 0; i < 65_536;) {
        const line = await lines.next();
        if (line === "") throw new Error(`closed by the server after ${i} lines`);
        if (line === "Flood: \n") i++;
      }
    };
    await within(
      30_000,
      "65,536 lines",
      [ana, bo, flood],
      Promise.all([
        everyLine(anaLines),
        everyLine(boLines),
        sending,
      ]),
    );
    await writeAll(flood, encode("still here\n"));
    assert.equal((await until(ana, anaLines, /still/)).at(-1), "Flood: still here\n");
  } finally {
    shut(ana, bo, flood);
    await server.stop();
  }
});

// ---------------------------------------------------------------------------------------------
// Finding 2: output nobody reads stopped the server, and Ctrl-C with it

testNeeding(
  ["signals", "ss"],
  "chat, stuck output: with its stdout never read, it still serves and SIGTERM ends it in 2 s",
  async () => {
    // Its stdout is read up to the listening line, never after: a pipe holds 64 KiB, then it is full.
    const server = await startUnread("chat_server.ts", ["--allow-net"], []);
    const port = server.port;
    try {
      // Each connection logs two lines (about 100 bytes): 1,500 of them is far more than 64 KiB.
      for (let i = 0; i < 1500; i++) {
        const conn = await within(10_000, `connection ${i}`, [], connect(port));
        conn.close();
      }
      await allClosed(port); // the server has seen each of them end
      const fresh = await connect(port);
      try {
        // Still served: a bound on a failure, not a speed (SIGTERM's 2 s below is the promise).
        const welcome = await within(10_000, "a new client's welcome", [fresh], readLine(fresh));
        assert.match(welcome, /^welcome to the chat/);
      } finally {
        shut(fresh);
      }
      const started = Date.now();
      server.child.kill("SIGTERM");
      const status = await within(2000, "exit after SIGTERM", [], server.status);
      assert.equal(status.code, 0);
      assert.ok(Date.now() - started < 2000);
    } finally {
      await server.finish();
    }
  },
);

// ---------------------------------------------------------------------------------------------
// Finding 3: no limits, and unfinished lines held forever

Deno.test("chat, limits: one over --max-clients gets an error line saying which, and is closed", async () => {
  const server = await chat(["--quiet", "--max-clients", "2"]);
  const [ana] = await join(server.port, "Ana");
  const [bo] = await join(server.port, "Bo");
  const third = await connect(server.port);
  try {
    const line = await within(10_000, "the refusal", [third], readLine(third));
    assert.equal(line, "error: too many clients (--max-clients 2), closing\n");
    assert.equal(await within(10_000, "the end", [third], readLine(third)), "");
  } finally {
    shut(ana, bo, third);
    await server.stop();
  }
});

testNeeding(
  ["python"],
  "chat, limits: --max-per-address counts one address (127.0.0.1 too); another address gets in",
  async () => {
    const server = await chat(["--quiet", "--max-per-address", "2"]);
    const [ana] = await join(server.port, "Ana");
    const [bo] = await join(server.port, "Bo");
    try {
      // Python can connect from 127.0.0.2 (Deno cannot choose the source address).
      const said = await python(
        `
import socket, sys
def first_line(source):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5,
                                 source_address=(source, 0))
    line = s.makefile("rb").readline().decode()
    s.close()
    return line
print(first_line("127.0.0.1"), end="")
print(first_line("127.0.0.2"), end="")
`,
        server.port,
      );
      const [fromSame, fromOther] = said.split("\n");
      assert.equal(
        fromSame,
        "error: too many connections from 127.0.0.1 (--max-per-address 2), closing",
      );
      assert.match(fromOther, /^welcome to the chat, 127\.0\.0\.2:/);
    } finally {
      shut(ana, bo);
      await server.stop();
    }
  },
);

Deno.test("chat, limits: an unfinished line that does not grow for --line-timeout ends with an error line", async () => {
  const server = await chat(["--quiet", "--line-timeout", "1"]);
  const [idle, idleLines] = await join(server.port, "Idle"); // no unfinished line: stays
  const [slow, slowLines] = await join(server.port, "Slow");
  const conns = [idle, slow];
  try {
    await writeAll(slow, encode("a line that never en"));
    const started = Date.now();
    const said = await until(slow, slowLines, /^error: /, 10, 10_000);
    assert.equal(said.at(-1), "error: line unfinished for 1 s (--line-timeout), closing\n");
    // About 1 s (the server looks every second), never "not at all"; the bound leaves room for a
    // slow machine.
    assert.ok(Date.now() - started < 4500, `${Date.now() - started} ms`);
    assert.equal(await within(10_000, "the end", [slow], slowLines.next()), "");
    assert.match((await until(idle, idleLines, /Slow left/)).at(-1)!, /^\* Slow left/);
    // The idle member was not closed: another member hears it.
    const [check, checkLines] = await join(server.port, "Check");
    conns.push(check);
    await until(idle, idleLines, /is now Check/);
    await writeAll(idle, encode("still here\n"));
    assert.equal((await until(check, checkLines, /still here/)).at(-1), "Idle: still here\n");
  } finally {
    shut(...conns);
    await server.stop();
  }
});

Deno.test("chat, limits: unfinished lines are bounded in all, not only per connection", async () => {
  // 600 connections each holding a 64 KiB line would take 75 MiB of buffers; the room holds
  // 64 MiB of them at most and tells the rest it holds too many.
  const server = await chat(["--quiet", "--max-per-address", "1000", "--line-timeout", "2"]);
  const conns: Deno.TcpConn[] = [];
  try {
    const line = new Uint8Array(64 * 1024).fill(120); // the longest allowed: 128 KiB of buffer
    for (let i = 0; i < 600; i++) {
      const conn = await connect(server.port);
      conns.push(conn);
      await within(15_000, "welcome", [conn], readLine(conn));
    }
    await Promise.all(conns.map((conn) => writeAll(conn, line).catch(() => {})));
    let busy = 0;
    await within(
      30_000,
      "the answers",
      conns,
      Promise.all(conns.map(async (conn) => {
        const lines = new LineReader(conn); // the room's notices, then an error line: too many
        let said = ""; // unfinished lines, or, for the others, line unfinished for 2 s
        while (!/^(error: |$)/.test(said = await lines.next()));
        if (/^error: the server is holding too many unfinished lines, closing/.test(said)) busy++;
      })),
    );
    assert.ok(busy > 0, "no connection was told the server holds too many unfinished lines");
    assert.ok(busy < 200, `${busy} connections were refused`);
  } finally {
    shut(...conns);
    await server.stop();
  }
});

// ---------------------------------------------------------------------------------------------
// Finding 4: a reset before accept() paused the accept loop

testNeeding(
  ["sigstop", "python"],
  "chat, accept: clients that reset before accept() do not delay the next one, nor log trouble",
  async () => {
    const server = await chat(["--quiet"]);
    let stopped = false;
    try {
      // Stopped, the server cannot accept(); the system completes the handshakes, and the clients
      // reset (SO_LINGER 0) while they wait in the queue.
      Deno.kill(server.child.pid, "SIGSTOP");
      stopped = true;
      await python(
        `
import socket, struct, sys
for _ in range(30):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
`,
        server.port,
      );
      Deno.kill(server.child.pid, "SIGCONT");
      stopped = false;
      const started = Date.now();
      const fresh = await connect(server.port);
      try {
        assert.match(await within(10_000, "welcome", [fresh], readLine(fresh)), /^welcome/);
      } finally {
        shut(fresh);
      }
      // 30 pauses of 100 ms would be 3 s or more; 2 s leaves a slow machine room.
      const waited = Date.now() - started;
      assert.ok(waited < 2000, `the next client waited ${waited} ms`);
    } finally {
      if (stopped) Deno.kill(server.child.pid, "SIGCONT");
      const finished = await server.stop();
      assert.equal(finished.stderr, "");
    }
  },
);

// ---------------------------------------------------------------------------------------------
// Finding 6: names that impersonate

Deno.test("chat, names: a taken name (any case, look-alike forms) is refused to that member only", async () => {
  const server = await chat(["--quiet"]);
  const [ana, anaLines] = await join(server.port, "Ana");
  const [other, otherLines] = await join(server.port, "Bo");
  try {
    await until(ana, anaLines, /is now Bo/);
    for (const wanted of ["ana", "ＡＮＡ", "A\u200Bna", "*Ana"]) {
      await writeAll(other, encode(`/name ${wanted}\n`));
      const refusal = await until(other, otherLines, /^\* name /);
      assert.match(refusal.at(-1)!, /^\* name ".*" is taken; you are still Bo\n$/, wanted);
    }
    await writeAll(other, encode("/name \u202Etxt.exe\n")); // a bidi override: taken out
    assert.equal((await until(ana, anaLines, /is now/)).at(-1), "* Bo is now txt.exe\n");
    await writeAll(other, encode("/name * Ana\n")); // no leading mark, and then it is taken
    assert.match((await until(other, otherLines, /^\* name /)).at(-1)!, /is taken/);
    await writeAll(other, encode(`hola${" ".repeat(80)}* Ana left (1 online)\n`));
    assert.equal(
      (await until(ana, anaLines, /hola/)).at(-1),
      "txt.exe: hola *Ana left (1 online)\n", // no "* ": it cannot wrap into a notice
    );
  } finally {
    shut(ana, other);
    await server.stop();
  }
});

// ---------------------------------------------------------------------------------------------
// Issue 11, item 5: a trace that names its client; --timestamps

Deno.test("chat, trace: every --explain line about a client names it (#N); --timestamps stamps each line", async () => {
  const server = await chat(["--explain", "--timestamps"]);
  const [ana, anaLines] = await join(server.port, "Ana");
  const [bo] = await join(server.port, "Bo");
  try {
    await until(ana, anaLines, /is now Bo/);
    await writeAll(bo, encode("hola\n"));
    await until(ana, anaLines, /hola/);
  } finally {
    shut(ana, bo);
  }
  const finished = await server.stop();
  const lines = finished.stdout.trimEnd().split("\n");
  assert.match(lines[0], /^listening on 127\.0\.0\.1:\d+$/);
  for (const line of lines.slice(1)) {
    assert.match(line, /^@\d{13}\.\d{3} /, line);
    const trace = line.replace(/^@\S+ /, "");
    if (/^\[(step [789]|recv)/.test(trace)) {
      assert.match(trace, /^\[(step 7|(step [89]|recv) #\d+)\] python: /, trace);
    }
  }
  const accepts = lines.filter((line) => line.includes("[step 7]"));
  assert.equal(accepts.length, 2);
  for (const [i, line] of accepts.entries()) assert.match(line, new RegExp(` \\(#${i + 1}\\)$`));
  assert.ok(lines.some((line) => /\[step 8 #2\] /.test(line)));
  assert.ok(lines.some((line) => /\[recv #2\] /.test(line)));
});

// ---------------------------------------------------------------------------------------------
// Finding 7: joins and leaves cost a notice to everyone each; drops announced recursively

Deno.test("chat, storm: 45 joins at once reach a member as a few notices, not one per join", async () => {
  const server = await chat(["--quiet"]);
  const [ana, anaLines] = await join(server.port, "Ana");
  const storm: Deno.TcpConn[] = [];
  try {
    await Promise.all(
      Array.from({ length: 45 }, async () => storm.push(await connect(server.port))),
    );
    // The room has taken in all 45 (Ana is told of 46 online); then one of them talks.
    const seen = await until(ana, anaLines, /\(46 online\)\n$/, 100, 10_000);
    await writeAll(storm[0], encode("after the storm\n"));
    seen.push(...await until(ana, anaLines, /after the storm/, 100));
    const notices = seen.filter((line) => line.startsWith("* "));
    assert.ok(notices.length <= 10, `${notices.length} notices: ${notices.slice(0, 3)}`);
    assert.match(notices.at(-1)!, /\(46 online\)\n$/);
  } finally {
    shut(ana, ...storm);
    await server.stop();
  }
});

Deno.test("chat_server.ts: members who join at the same moment each hear of the others", async () => {
  const server = await chat(["--quiet"]);
  // Three connections at once: their joins fall in one batch of notices.
  const conns = await Promise.all([0, 1, 2].map(() => connect(server.port)));
  try {
    for (const conn of conns) {
      const lines = new LineReader(conn);
      const heard = await until(conn, lines, /\(3 online\)\n$/, 10, 3000);
      assert.match(heard.at(-1)!, /^(welcome to the chat, .*: 3 online;|\* .*\(3 online\)\n$)/);
    }
  } finally {
    shut(...conns);
    await server.stop();
  }
});

// ---------------------------------------------------------------------------------------------
// What a classroom found: a stalled member froze the room; idle buffers counted as unfinished lines;
// a trickled line never timed out; long lines after a short one; names and lines that impersonate

/** Python: keep `count` members that never read (SO_RCVBUF 2048) joining, one every `every` s. */
const NEVER_READS = `
import socket, sys, time
held = []
for _ in range(int(sys.argv[2])):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
    s.connect(("127.0.0.1", int(sys.argv[1])))
    held.append(s)
    time.sleep(float(sys.argv[3]))
for s in held:
    s.close()
`;

testNeeding(
  ["python"],
  "chat, stalled member: one that never reads does not pause the others' lines",
  async () => {
    const server = await chat(["--quiet"]);
    const [ana, anaLines] = await join(server.port, "Ana");
    const [bo, boLines] = await join(server.port, "Bo");
    const [flood, floodLines] = await join(server.port, "Flood");
    const conns = [ana, bo, flood];
    let flooding = true;
    const drain = async (lines: LineReader) => {
      while (flooding && (await lines.next()) !== "");
    };
    let draining: Promise<void>[] = [];
    try {
      await until(ana, anaLines, /is now Flood/);
      await until(bo, boLines, /is now Flood/);
      // A new one each second, for 4 s.
      const pranks = pythonCommand(["-c", NEVER_READS, `${server.port}`, "4", "1"], {
        stdin: "null",
        stdout: "null",
        stderr: "null",
        signal: AbortSignal.timeout(20_000),
      }).output();
      draining = [drain(anaLines), drain(floodLines)];
      const floodLine = encode(`${"f".repeat(1023)}\n`.repeat(16)); // 16 KiB every 20 ms
      const flooder = (async () => {
        for (let i = 0; i < 250 && flooding; i++) {
          await writeAll(flood, floodLine);
          await delay(20); // on purpose: the flood's pace
        }
      })();
      const delays: number[] = [];
      for (let i = 0; i < 20; i++) { // a ping every 200 ms for 4 s; Bo reads each within 2 s
        await delay(200); // on purpose: the pings' pace
        await writeAll(ana, encode(`ping ${Date.now()}\n`));
        const started = Date.now();
        while (true) {
          const line = await within(5000, "a ping", conns, boLines.next());
          assert.notEqual(line, "", "Bo was closed");
          const ping = line.match(/^Ana: ping (\d+)\n$/);
          if (ping) {
            delays.push(Date.now() - Number(ping[1]));
            break;
          }
          assert.ok(Date.now() - started < 5000);
        }
      }
      flooding = false;
      await flooder;
      await pranks;
      // A stalled member froze the room until it was dropped; a busy machine may delay a ping for a
      // moment, never for 2 s.
      assert.ok(Math.max(...delays) < 2000, `ping delays (ms): ${delays.join(" ")}`);
    } finally {
      flooding = false;
      shut(...conns);
      await Promise.allSettled(draining);
      await server.stop();
    }
  },
);

testNeeding(
  ["ss"],
  "chat, memory: finished long lines give their buffer back; others' long lines pass",
  async () => {
    // 560 members each sent a 65,536-byte line (a buffer of 128 KiB while they did), and 600 more
    // bytes; idle now, they hold no unfinished line, so a new member's 16 KiB line is not refused.
    const server = await chat(["--quiet", "--max-per-address", "1000"]);
    const conns: Deno.TcpConn[] = [];
    try {
      for (let i = 0; i < 560; i++) {
        const conn = await connect(server.port);
        conns.push(conn);
        await within(15_000, "welcome", [conn], readLine(conn));
        const name = `/name N${i} `;
        const long = `${name}${"x".repeat(65_536 - name.length)}\n`;
        await writeAll(conn, encode(`${long}/name N${i} ${"y".repeat(600)}\n`));
      }
      await allRead(server.port);
      const [ana, anaLines] = await join(server.port, "Ana");
      const [bo] = await join(server.port, "Bo");
      conns.push(ana, bo);
      await until(ana, anaLines, /is now Bo/, 2000);
      const line = "z".repeat(16 * 1024);
      await writeAll(bo, encode(`${line}\n`));
      const said = await until(ana, anaLines, /^(Bo: z|error: )/, 2000, 10_000);
      assert.equal(said.at(-1), `Bo: ${line}\n`);
      assert.doesNotMatch(said.join(""), /error: /);
      assert.ok(server.running());
    } finally {
      shut(...conns);
      await server.stop();
    }
  },
);

Deno.test("chat, limits: a line trickled a byte at a time still ends after --line-timeout", async () => {
  const server = await chat(["--quiet", "--line-timeout", "1"]);
  const [slow, slowLines] = await join(server.port, "Slow");
  try {
    const started = Date.now();
    const trickle = (async () => {
      for (let i = 0; i < 30; i++) { // on purpose: a byte every 200 ms for 6 s: it always "grows"
        const sent = await writeAll(slow, encode("x")).then(() => true, () => false);
        if (!sent) return;
        await delay(200);
      }
    })();
    const said = await until(slow, slowLines, /^error: /, 10, 10_000);
    assert.equal(said.at(-1), "error: line unfinished for 1 s (--line-timeout), closing\n");
    // About 1 to 2 s; a server that waited for the line to stop growing would take over 6 s.
    assert.ok(Date.now() - started < 4500, `${Date.now() - started} ms`);
    await trickle;
  } finally {
    shut(slow);
    await server.stop();
  }
});

Deno.test("chat, limits: a line over 65,536 bytes after a short one in the same read is refused", async () => {
  const server = await chat(["--quiet"]);
  const [ana, anaLines] = await join(server.port, "Ana");
  const [long, longLines] = await join(server.port, "Long");
  try {
    await until(ana, anaLines, /is now Long/);
    // A 65,536-byte line grows the read buffer to 128 KiB; then one read may hold a longer line.
    await writeAll(long, encode(`${"x".repeat(65_536)}\n${"z".repeat(600)}\n`));
    await until(ana, anaLines, /^Long: z/, 10);
    await writeAll(long, encode(`short\n${"y".repeat(70_000)}\n`)).catch(() => {});
    const said = await until(long, longLines, /^error: /, 10, 5000);
    assert.equal(said.at(-1), "error: line longer than 65536 bytes, closing\n");
    const seen = await until(ana, anaLines, /Long left/, 10);
    assert.ok(!seen.some((line) => line.includes("yyyy")), "the long line was relayed");
  } finally {
    shut(ana, long);
    await server.stop();
  }
});

Deno.test("chat, names: invisible marks, ':' and address forms cannot impersonate; a cut is told", async () => {
  const server = await chat(["--quiet"]);
  const [ana, anaLines] = await join(server.port, "Ana");
  const [bo, boLines] = await join(server.port, "Bo");
  try {
    await until(ana, anaLines, /is now Bo/);
    for (const wanted of ["Ana\u034f", "Ana\ufe0f", "A\u034fna", "An\u0301a"]) {
      await writeAll(bo, encode(`/name ${wanted}\n`));
      const refusal = (await until(bo, boLines, /^\* (name |your name)/)).at(-1)!;
      assert.match(refusal, /^\* name ".*" is taken; you are still Bo\n$/, JSON.stringify(wanted));
    }
    for (const wanted of ["Ana: dame tu clave", "127.0.0.1:40001", "Ana\uff1a hola"]) {
      await writeAll(bo, encode(`/name ${wanted}\n`));
      const refusal = (await until(bo, boLines, /^\* (name |your name)/)).at(-1)!;
      assert.match(refusal, /^\* name ".*" may not contain ":"; you are still Bo\n$/, wanted);
    }
    await writeAll(bo, encode(`/name ${"B".repeat(40)}\n`));
    const told = (await until(bo, boLines, /^\* (name |your name)/)).at(-1)!;
    assert.equal(told, `* your name was cut to 32 characters: ${"B".repeat(32)}\n`);
    assert.equal((await until(ana, anaLines, /is now/)).at(-1), `* Bo is now ${"B".repeat(32)}\n`);
  } finally {
    shut(ana, bo);
    await server.stop();
  }
});

Deno.test("chat, notices: zero-width padding or 75 dashes cannot wrap a line into a '* ' notice", async () => {
  const server = await chat(["--quiet"]);
  const [ana, anaLines] = await join(server.port, "Ana");
  const [bo] = await join(server.port, "Bo");
  try {
    await until(ana, anaLines, /is now Bo/);
    const attacks = [
      `hola${" \u034f".repeat(80)}* Ana left (1 online)`,
      `hola ${"\u200b".repeat(80)} \ufe0f * Ana left (1 online)`,
      `${"-".repeat(75)}* Ana left (1 online)`,
      `${"-".repeat(75)}\uff0a Ana left (1 online)`,
    ];
    for (const attack of attacks) {
      await writeAll(bo, encode(`${attack}\n`));
      const line = (await until(ana, anaLines, /^Bo: /)).at(-1)!;
      const text = line.slice("Bo: ".length);
      assert.doesNotMatch(text, /[*\uff0a]\s/, JSON.stringify(line));
      assert.doesNotMatch(text, /[\u034f\u200b\ufe0f]|\s\s/, JSON.stringify(line));
      assert.match(text, /Ana left \(1 online\)\n$/);
    }
  } finally {
    shut(ana, bo);
    await server.stop();
  }
});

testNeeding(
  ["python"],
  "chat, limits: a member dropped as too far behind reads 'error: too far behind' last",
  async () => {
    const server = await chat(["--quiet"]);
    const [ana, anaLines] = await join(server.port, "Ana");
    const [flood] = await join(server.port, "Flood");
    // The late reader joins and reads nothing (the server's socket buffer may take 4 MiB) until
    // it is told, on stdin, that the room dropped it; then it reads it all and prints its last line.
    const late = pythonCommand(
      [
        "-c",
        `
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.settimeout(10)
sys.stdin.readline()
data = b""
while True:
    more = s.recv(65536)
    if not more:
        break
    data += more
print(data.decode().splitlines()[-1])
`,
        `${server.port}`,
      ],
      {
        stdin: "piped",
        stdout: "piped",
        stderr: "null",
        signal: AbortSignal.timeout(30_000),
      },
    ).spawn();
    const input = late.stdin.getWriter();
    try {
      await until(ana, anaLines, /joined/);
      let dropped = false;
      const seen = until(ana, anaLines, /disconnected/, 20_000, 20_000).finally(() =>
        dropped = true
      );
      const floodLines = encode(`${"f".repeat(1023)}\n`.repeat(16));
      for (let i = 0; i < 512 && !dropped; i++) { // 8 MiB at most, 16 KiB every 5 ms
        await writeAll(flood, floodLines);
        await delay(5); // on purpose: the flood's pace
      }
      assert.match((await seen).at(-1)!, /too far behind/);
      await input.write(encode("go\n"));
      const { stdout } = await late.output();
      assert.equal(new TextDecoder().decode(stdout), "error: too far behind, closing\n");
    } finally {
      await input.close().catch(() => {});
      try {
        late.kill("SIGKILL");
      } catch { /* it has exited */ }
      await late.status;
      shut(ana, flood);
      await server.stop();
    }
  },
);
