// The stress scenarios, as functions with their counts as parameters: stress/stress.ts
// runs them at full size (`deno task stress`), tests/stress_test.ts runs the fast ones small.
//
// Each scenario starts its own server as a real process on 127.0.0.1 (loopback only: the servers
// get --allow-net=127.0.0.1 and nothing more), returns a one-line figure, and throws an Error that
// says what went wrong on any loss, crash or limit broken. Every loop has a count and a time limit;
// whatever a scenario opens (connections, processes) is closed and awaited before it returns.
//
// The scenarios, in this file's order:
//   1. manyClients      many clients connected at once, every line echoed in order
//   2. bigStream        one big stream through one connection, byte-exact, server memory watched
//   3. fuzz             hostile sessions (random bytes, resets, cuts, long lines); then a fresh client
//   4. neverReads       a client that sends and never reads: the server stops reading it, others go on
//   4b. chatNeverReads  a chat member who never reads is dropped; the room goes on (CHAT's script)
//   5. udpGarbage       garbage datagrams at udp_server.ts, every one echoed unchanged
//   6. outOfFiles       out of file descriptors: logged once, served again once they are freed
//   7. ctrlCUnderLoad   Ctrl-C during full load: exit 0 quickly, nothing left running
// Their helpers are in stress/helpers.ts.
import { delay, encode, readLine, writeAll } from "../tests/helpers/io.ts";
import { CHAT, ROOT, run, shell } from "../tests/helpers/process.ts";
import { allClosed, openFiles, rssKiB, sampleRss, tcpSockets } from "../tests/helpers/proc.ts";
import {
  attempt,
  collect,
  concat,
  Connections,
  count,
  describeMismatch,
  exitWithin,
  firstDifference,
  freshClient,
  GREETING,
  HOST,
  inPool,
  LONG_LINE_ERROR,
  MiB,
  mib,
  orTimeout,
  prng,
  type Random,
  seconds,
  SERVER_FLAGS,
  settleAll,
  split,
  start,
  stopServer,
  subSeed,
  track,
  within,
} from "./helpers.ts";

export { killEverything, subSeed } from "./helpers.ts";

/**
 * server.ts serves at most 1,000 clients, 50 from one address, by default; these
 * scenarios bring thousands from 127.0.0.1 on purpose, so they pass the flags that allow them.
 */
export const PAST_LIMITS = ["--max-clients", "20000", "--max-per-address", "20000"];

// ---------------------------------------------------------------------------------------------
// 1. Many clients at once

/**
 * `clients` connections open at the same time (every one greeted before anyone sends), then each
 * sends `lines` lines cut at random points, half-closes, and must get back exactly its own lines,
 * in order.
 */
export async function manyClients(
  options: { clients: number; lines: number; seed: number; timeLimitMs: number },
): Promise<string> {
  const random = prng(options.seed);
  const server = await start(["--quiet", ...PAST_LIMITS], { denoFlags: SERVER_FLAGS });
  const connections = new Connections();
  const rss = sampleRss(server.child.pid, 200);
  const started = performance.now();
  let heldFiles = 0, connectedMs = 0, echoedLines = 0;
  const failure = await attempt(async () => {
    try {
      await within("many clients", options.timeLimitMs, connections, async () => {
        // At most 200 connects in flight, so that the listen backlog (511) never overflows: an
        // overflowing backlog costs 1 s SYN retries, not lost clients, but it would slow the run.
        const clients = await inPool(options.clients, 200, async (id) => {
          const conn = await connections.connect(server.port);
          const reply = collect(conn);
          await orTimeout(reply.greeted, 30_000, `client ${id} got no greeting`);
          return { conn, reply };
        });
        connectedMs = performance.now() - started;
        heldFiles = await openFiles(server.child.pid);
        await settleAll(clients.map(async ({ conn, reply }, id) => {
          const text = Array.from({ length: options.lines }, (_, n) => `client ${id} line ${n}\n`)
            .join("");
          const bytes = encode(text);
          for (const piece of split(bytes, 1 + random.int(8), random)) await writeAll(conn, piece);
          conn.closeWrite();
          const got = await reply.all;
          connections.close(conn);
          const wanted = encode(GREETING + text);
          if (firstDifference(got, wanted) !== -1) {
            throw new Error(`client ${id}: ${describeMismatch(got, wanted)}`);
          }
          echoedLines += options.lines;
        }));
      });
    } finally {
      connections.closeAll();
      await rss.stop();
    }
  });
  await stopServer(server, failure);
  const tookMs = performance.now() - started;
  return `${count(options.clients)} clients connected at once (server held ${
    count(heldFiles)
  } descriptors; ` +
    `all connected in ${seconds(connectedMs)} s) × ${count(options.lines)} lines: ${
      count(echoedLines)
    } of ` +
    `${count(options.clients * options.lines)} lines echoed in order, none lost, in ${
      seconds(tookMs)
    } s; ` +
    `server RSS peak ${mib(rss.peak())} MiB`;
}

// ---------------------------------------------------------------------------------------------
// 2. One big stream, memory watched

/**
 * A seeded stream of random bytes in lines of 0 to 65,536 bytes (the longest the server takes),
 * made in fixed 64 KiB blocks so that sender and checker, each with its own copy, agree.
 */
function lineStream(seed: number) {
  const random = prng(seed);
  let left = -1; // bytes still to go in the current line, -1 before choosing its length
  return (): Uint8Array => {
    const block = random.bytes(64 * 1024);
    for (let i = 0; i < block.length; i++) {
      if (left < 0) {
        const r = random.int(10);
        left = r < 4 ? random.int(200) : r < 9 ? random.int(65_537) : 65_536; // short, any, longest
      }
      if (left === 0) {
        block[i] = 10;
        left = -1;
      } else {
        if (block[i] === 10) block[i] = 11;
        left--;
      }
    }
    return block;
  };
}

/** `mebibytes` MiB through one connection, checked byte for byte, with the server's RSS sampled. */
export async function bigStream(
  options: { mebibytes: number; seed: number; rssLimitMiB: number; timeLimitMs: number },
): Promise<string> {
  const blocks = options.mebibytes * 16; // 64 KiB each
  const server = await start(["--quiet"], { denoFlags: SERVER_FLAGS });
  const connections = new Connections();
  let baseline = 0, tookMs = 0;
  const rss = sampleRss(server.child.pid, 25);
  const failure = await attempt(async () => {
    try {
      await within("big stream", options.timeLimitMs, connections, async () => {
        const conn = await connections.connect(server.port);
        if (await readLine(conn) !== GREETING) throw new Error("no greeting");
        baseline = await rssKiB(server.child.pid); // the server is up and serving this connection
        // The checker compares what comes back with its own copy of the stream, block by block.
        const total = blocks * 64 * 1024;
        const checking = (async () => {
          const expected = lineStream(options.seed);
          let block: Uint8Array = new Uint8Array(0), at = 0, received = 0;
          const buffer = new Uint8Array(64 * 1024);
          while (true) {
            const n = await conn.read(buffer);
            if (n === null) break;
            if (received + n > total) throw new Error("more bytes came back than were sent");
            for (let i = 0; i < n; i++) {
              if (at === block.length) {
                block = expected();
                at = 0;
              }
              if (buffer[i] !== block[at++]) {
                throw new Error(`byte ${count(received + i)} of the stream differs`);
              }
            }
            received += n;
          }
          if (received !== total) {
            throw new Error(`got ${count(received)} bytes back of ${count(total)}`);
          }
        })();
        checking.catch(() => {});
        const started = performance.now();
        const sending = (async () => {
          const stream = lineStream(options.seed);
          for (let b = 0; b < blocks; b++) await writeAll(conn, stream());
          conn.closeWrite();
        })();
        await settleAll([sending, checking]);
        tookMs = performance.now() - started;
        connections.close(conn);
      });
    } finally {
      connections.closeAll();
      await rss.stop();
    }
  });
  await stopServer(server, failure);
  const growth = rss.peak() - baseline;
  const figure =
    `${options.mebibytes} MiB through one connection echoed byte-exact in ${seconds(tookMs)} s ` +
    `(${(options.mebibytes / (tookMs / 1000)).toFixed(0)} MiB/s); server RSS ${
      mib(baseline)
    } MiB before, ` +
    `peak ${mib(rss.peak())} MiB: growth ${mib(growth)} MiB (limit ${options.rssLimitMiB} MiB)`;
  if (growth > options.rssLimitMiB * 1024) throw new Error(`memory grew too much: ${figure}`);
  return figure;
}

// ---------------------------------------------------------------------------------------------
// 3. Fuzz

type SessionKind = "echo" | "long line" | "close" | "reset" | "cut" | "scan" | "empty";

/**
 * One hostile session with its own seeded generator: random bytes, cut at random points, then one
 * of several endings. The two endings that wait for the reply check it exactly.
 */
async function fuzzSession(
  port: number,
  random: Random,
  connections: Connections,
): Promise<SessionKind> {
  const r = random.int(100);
  const kind: SessionKind = r < 35
    ? "echo"
    : r < 45
    ? "long line"
    : r < 60
    ? "close"
    : r < 75
    ? "reset"
    : r < 88
    ? "cut"
    : r < 95
    ? "scan"
    : "empty";
  const size = random.chance(0.5)
    ? random.int(1024)
    : random.chance(0.7)
    ? random.range(1024, 32 * 1024)
    : random.range(32 * 1024, 200 * 1024);
  let payload = random.bytes(size);
  let wanted = concat([encode(GREETING), payload]);
  if (kind === "long line") {
    // a line of 65,537 to 100,000 bytes (one too many at least), then more lines after it
    const before = payload.subarray(0, random.int(Math.min(size, 8192) + 1));
    const long = random.bytes(random.range(65_537, 100_000)).map((b) => b === 10 ? 11 : b);
    payload = concat([before, long, encode("\n"), random.bytes(random.int(4096))]);
    wanted = concat([
      encode(GREETING),
      before.subarray(0, before.lastIndexOf(10) + 1),
      encode(LONG_LINE_ERROR),
    ]);
  }
  const pieces = split(payload, 1 + random.int(20), random);
  // On purpose: some sessions dribble their pieces, 0 to 2 ms apart (a timing, not a wait for X).
  const pause = random.chance(0.2) ? () => delay(random.int(3)) : () => Promise.resolve();

  const conn = await connections.connect(port);
  try {
    if (kind === "scan") return kind; // connect and go, like a port scanner
    if (kind === "echo" || kind === "long line" || kind === "empty") {
      const reply = collect(conn, 16 * 1024);
      if (kind !== "empty") {
        for (const piece of pieces) {
          await writeAll(conn, piece);
          await pause();
        }
      }
      conn.closeWrite();
      const got = await orTimeout(reply.all, 20_000, "no end of the reply");
      if (kind === "empty") wanted = encode(GREETING);
      if (firstDifference(got, wanted) !== -1) {
        throw new Error(`${kind}: ${describeMismatch(got, wanted)}`);
      }
      return kind;
    }
    const sent = kind === "cut" ? pieces.slice(0, random.int(pieces.length + 1)) : pieces;
    for (const piece of sent) {
      await writeAll(conn, piece);
      await pause();
    }
    if (kind === "cut" && payload.length > 0) await writeAll(conn, payload.subarray(0, 1)); // mid-line at least
    // Best effort, and nothing is asserted about it: if an echo (or the greeting) has arrived
    // unread by now, our close sends a reset rather than an end.
    if (kind === "reset") await delay(5);
    return kind;
  } finally {
    connections.close(conn);
  }
}

/**
 * `sessions` hostile sessions, `width` at a time, against one server, which must never exit, must
 * close every connection, and must then serve a fresh client.ts normally.
 */
export async function fuzz(
  options: { sessions: number; seed: number; width: number; timeLimitMs: number },
): Promise<string> {
  const server = await start([], { denoFlags: SERVER_FLAGS }); // logging on: it counts the endings
  const connections = new Connections();
  const kinds = new Map<string, number>();
  let fresh = "", endings = new Map<string, number>();
  const started = performance.now();
  const failure = await attempt(async () => {
    try {
      await within("fuzz", options.timeLimitMs, connections, async () => {
        await inPool(options.sessions, options.width, async (i) => {
          let kind = "?";
          try {
            kind = await fuzzSession(server.port, prng(subSeed(options.seed, i)), connections);
          } catch (error) {
            throw new Error(`session ${i} (seed ${options.seed}): ${(error as Error).message}`);
          }
          kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
          if (!server.running()) {
            throw new Error(`server.ts exited during session ${i}: ${server.stderr()}`);
          }
        });
        // Every session must have been closed by the server too (none left hanging open).
        const closedLines = () => server.stdout().match(/^closed.*$/gm) ?? [];
        const deadline = Date.now() + 10_000;
        while (closedLines().length < options.sessions && Date.now() < deadline) await delay(50);
        const closed = closedLines();
        if (closed.length !== options.sessions) {
          throw new Error(`the server closed ${closed.length} of ${options.sessions} connections`);
        }
        endings = new Map();
        for (const line of closed) {
          const ending = line.replace(/ 127\.0\.0\.1:\d+: .*$/, "");
          endings.set(ending, (endings.get(ending) ?? 0) + 1);
        }
        fresh = await freshClient(server.port);
      });
    } finally {
      connections.closeAll();
    }
  });
  await stopServer(server, failure);
  const tally = (map: Map<string, number>) =>
    [...map].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${n} ${k}`);
  return `${count(options.sessions)} sessions (seed ${options.seed}) in ${
    seconds(performance.now() - started)
  } s: ${tally(kinds).join(", ")}; every reply checked was exact; server-side endings: ${
    tally(endings).join(", ")
  }; server never exited; ${fresh}`;
}

// ---------------------------------------------------------------------------------------------
// 4. A client that sends and never reads

/**
 * A client writes lines and never reads the echo. The server must stop reading from it (its
 * writes stall once the kernel's buffers are full) instead of buffering without limit; its RSS
 * stays bounded, and another client keeps getting its echo meanwhile.
 */
export async function neverReads(
  options: { stallMs: number; maxMiB: number; rssLimitMiB: number; timeLimitMs: number },
): Promise<string> {
  const server = await start(["--quiet"], { denoFlags: SERVER_FLAGS });
  const connections = new Connections();
  let accepted = 0, stalled = false, pings = 0, slowestPingMs = 0, baseline = 0;
  const rss = sampleRss(server.child.pid, 25);
  const failure = await attempt(async () => {
    try {
      await within("never reads", options.timeLimitMs, connections, async () => {
        const steady = await connections.connect(server.port);
        if (await readLine(steady) !== GREETING) {
          throw new Error("no greeting for the steady client");
        }
        baseline = await rssKiB(server.child.pid);
        const hog = await connections.connect(server.port);
        // The hog is served too, while the steady client is: a server serving one client at a time
        // would never greet it (and its writes would only fill the kernel's buffers).
        const hogGreeting = await readLine(hog, 5000).catch((error) => {
          throw new Error(`the hog was not served while the steady client was: ${error.message}`);
        });
        if (hogGreeting !== GREETING) throw new Error("no greeting for the hog");
        let hogDone = false;
        const pinging = (async () => {
          while (!hogDone) {
            const line = `ping ${pings}\n`;
            const sentAt = performance.now();
            await writeAll(steady, encode(line));
            const back = await orTimeout(
              readLine(steady),
              5000,
              `the steady client got no echo for ping ${pings}`,
            );
            if (back !== line) {
              throw new Error(
                `the steady client got ${JSON.stringify(back)} for ${JSON.stringify(line)}`,
              );
            }
            slowestPingMs = Math.max(slowestPingMs, performance.now() - sentAt);
            pings++;
            await delay(20); // on purpose: a ping every 20 ms, a steady client's pace
          }
        })();
        pinging.catch(() => {});
        const block = encode("this client never reads what comes back\n".repeat(1600)); // 64 KiB
        let pending: Promise<number> | undefined;
        const hogging = (async () => {
          try {
            while (accepted < options.maxMiB * MiB) {
              let at = 0;
              while (at < block.length) {
                pending = hog.write(block.subarray(at));
                const written = await Promise.race([
                  pending,
                  delay(options.stallMs).then(() => -1),
                ]);
                if (written === -1) {
                  // On purpose, the definition of stalled: a write that has waited stallMs (the
                  // server has stopped reading from us; if it was only slow, nothing fails).
                  stalled = true;
                  return;
                }
                at += written;
                accepted += written;
              }
            }
          } finally {
            // On purpose: keep pinging for a second while the hog is stuck, to show the others are
            // unaffected.
            if (stalled) await delay(1000);
            hogDone = true;
          }
        })();
        await settleAll([hogging, pinging]);
        connections.close(hog); // fails the write that is still waiting
        // Deno 2.0-2.6 never settle a write pending at close() (docs/versions.md): bounded.
        await orTimeout(
          pending?.catch(() => {}) ?? Promise.resolve(),
          5000,
          "the write pending on the closed connection never settled (Deno before 2.9)",
        );
        // The server lets the hog go and goes on.
        await writeAll(steady, encode("after the hog\n"));
        if (
          await orTimeout(readLine(steady), 5000, "no echo after the hog left") !==
            "after the hog\n"
        ) {
          throw new Error("wrong echo after the hog left");
        }
      });
    } finally {
      connections.closeAll();
      await rss.stop();
    }
  });
  await stopServer(server, failure);
  const growth = rss.peak() - baseline;
  const figure = stalled
    ? `the server stopped reading from a client that never reads after it had sent ${
      mib(accepted / 1024)
    } MiB (the kernel's socket buffers; its writes then waited ${
      seconds(options.stallMs)
    } s); server RSS growth ${mib(growth)} MiB (limit ${options.rssLimitMiB}); another client got ${
      count(pings)
    } echoes meanwhile (slowest ${slowestPingMs.toFixed(0)} ms)`
    : `the server took ${options.maxMiB} MiB from a client that never reads without stopping`;
  if (!stalled) throw new Error(figure);
  if (growth > options.rssLimitMiB * 1024) throw new Error(`memory grew too much: ${figure}`);
  return figure;
}

/**
 * The chat room (chat_server.ts) with a member who never reads: one member talks, another
 * reads everything; the room must drop the one who never reads, go on, lose nothing for the
 * reader, and keep its memory bounded.
 */
export async function chatNeverReads(
  options: { mebibytes: number; rssLimitMiB: number; timeLimitMs: number },
): Promise<string> {
  const server = await start([...CHAT.args, "--quiet"], {
    script: CHAT.script,
    denoFlags: SERVER_FLAGS,
  });
  const connections = new Connections();
  const lines = options.mebibytes * 1024; // 1 KiB each
  let baseline = 0, sleeperGot = 0, sleeperEnd = "", tookMs = 0;
  const rss = sampleRss(server.child.pid, 25);
  const failure = await attempt(async () => {
    try {
      await within("chat, a member never reads", options.timeLimitMs, connections, async () => {
        const sleeper = await connections.connect(server.port); // never reads
        const reader = await connections.connect(server.port);
        const talker = await connections.connect(server.port);
        // One 1 KiB line per write, then wait for the reader: with Nagle's algorithm on, the last
        // line of each window waits for the server's delayed ACK (40 ms), and the room ran at
        // 1,600 lines/s instead of 18,000. A chat client sends a line as soon as it has one.
        talker.setNoDelay(true);
        // The room has taken in all three before anyone talks: the talker, the last to join, is
        // told "3 online" (in its welcome, or in a notice after it).
        await orTimeout(
          (async () => {
            while (!/\b3 online\b/.test(await readLine(talker))) { /* the next line */ }
          })(),
          10_000,
          "the room never had its three members",
        );
        const talkerDrain = collect(talker, 64 * 1024); // the talker must read too, or be dropped itself
        baseline = await rssKiB(server.child.pid);
        const started = performance.now();
        // The reader sees "stress chat N" lines (whatever the room adds around them) in order.
        let seen = 0;
        const reading = (async () => {
          const decoder = new TextDecoder();
          const buffer = new Uint8Array(64 * 1024);
          let pending = "";
          while (seen < lines) {
            const n = await reader.read(buffer);
            if (n === null) {
              throw new Error(
                `the reader was disconnected after ${count(seen)} of ${count(lines)} lines`,
              );
            }
            pending += decoder.decode(buffer.subarray(0, n), { stream: true });
            const complete = pending.split("\n");
            pending = complete.pop()!;
            for (const line of complete) {
              const m = line.match(/stress chat (\d+) x/);
              if (!m) continue; // a greeting or a notice from the room
              if (Number(m[1]) !== seen) {
                throw new Error(`the reader got line ${m[1]} when line ${seen} was due`);
              }
              seen++;
            }
          }
        })();
        reading.catch(() => {});
        // The talker sends 1 KiB lines, at most 64 lines ahead of the reader, so that the reader is
        // never the one "too far behind".
        let readerFailed = false;
        reading.catch(() => readerFailed = true);
        const talking = (async () => {
          const filler = "x".repeat(1000);
          for (let n = 0; n < lines; n++) {
            while (n - seen >= 64) {
              if (readerFailed || connections.closed) {
                throw new Error(`the talker stopped at line ${n}`);
              }
              await delay(1); // a look every millisecond at how far the reader has got
            }
            await writeAll(talker, encode(`stress chat ${n} ${filler}`.slice(0, 1023) + "\n"));
          }
        })();
        await settleAll([talking, reading]);
        tookMs = performance.now() - started;
        // The sleeper must have been dropped: reading it now gives what was queued for it, then the end.
        const end = collect(sleeper, 64 * 1024, 1);
        try {
          sleeperGot = (await orTimeout(end.all, 5000, "still connected")).length;
          sleeperEnd = "closed";
        } catch (error) {
          if ((error as Error).message.startsWith("still connected")) {
            throw new Error(
              `the member who never reads was not dropped after ${options.mebibytes} MiB of chat`,
            );
          }
          sleeperEnd = `reset (${(error as Error).name})`;
        }
        connections.close(sleeper);
        connections.close(talker);
        await talkerDrain.all.catch(() => {});
        connections.close(reader);
      });
    } finally {
      connections.closeAll();
      await rss.stop();
    }
  });
  await stopServer(server, failure, CHAT.script);
  const growth = rss.peak() - baseline;
  const figure = `chat room: ${count(lines)} lines (${options.mebibytes} MiB) relayed in ${
    seconds(tookMs)
  } s, all in order to the reader; the member who never read was dropped (${sleeperEnd}, ${
    mib(sleeperGot / 1024)
  } MiB had reached it); server RSS growth ${mib(growth)} MiB (limit ${options.rssLimitMiB})`;
  if (growth > options.rssLimitMiB * 1024) throw new Error(`memory grew too much: ${figure}`);
  return figure;
}

// ---------------------------------------------------------------------------------------------
// 5. Garbage datagrams

const MAX_DATAGRAM = 65_507;

/**
 * `datagrams` garbage datagrams (empty, the largest there is, random sizes and bytes) at
 * udp_server.ts from two sockets, each waiting for its echo before sending the next (on loopback
 * nothing is then dropped, so every echo must come back, unchanged); then a normal client.
 */
export async function udpGarbage(
  options: { datagrams: number; seed: number; timeLimitMs: number },
): Promise<string> {
  const random = prng(options.seed);
  // Logging on: each datagram's printable preview is made from the garbage too. Two senders, each
  // far past udp_server.ts's default --max-rate (2,000 a second): the scenario lifts it.
  const server = await start(["--max-rate", "0"], {
    script: "udp_server.ts",
    denoFlags: [...SERVER_FLAGS, "--unstable-net"],
  });
  const sockets = [0, 1].map(() =>
    Deno.listenDatagram({ transport: "udp", hostname: HOST, port: 0 })
  );
  const target: Deno.NetAddr = { transport: "udp", hostname: HOST, port: server.port };
  const sizes = { empty: 0, largest: 0, random: 0 };
  let bytes = 0, echoed = 0;
  const started = performance.now();
  const timer = setTimeout(() => sockets.forEach((s) => s.close()), options.timeLimitMs);
  const failure = await attempt(async () => {
    try {
      const next = () => {
        const r = random.int(10);
        const size = r === 0
          ? 0
          : r === 1
          ? MAX_DATAGRAM
          : random.chance(0.5)
          ? random.int(513)
          : random.int(MAX_DATAGRAM + 1);
        sizes[size === 0 ? "empty" : size === MAX_DATAGRAM ? "largest" : "random"]++;
        return random.bytes(size);
      };
      let sent = 0;
      await settleAll(sockets.map(async (socket) => {
        while (sent < options.datagrams) {
          const datagram = next();
          const n = sent++;
          await socket.send(datagram, target);
          bytes += datagram.length;
          const [back] = await orTimeout(
            socket.receive(),
            2000,
            `datagram ${n} (${datagram.length} bytes) got no echo`,
          );
          if (firstDifference(back, datagram) !== -1) {
            throw new Error(`datagram ${n} came back changed: ${describeMismatch(back, datagram)}`);
          }
          echoed++;
          if (n % 1000 === 0 && !server.running()) {
            throw new Error(`udp_server.ts exited: ${server.stderr()}`);
          }
        }
      }));
      // A normal client afterwards: udp_client.ts as a user runs it, with the narrowest permission.
      const client = await run([
        "run",
        "--unstable-net",
        `--allow-net=127.0.0.1:0,127.0.0.1:${server.port}`,
        "udp_client.ts",
        "--port",
        `${server.port}`,
        "hola after the garbage",
      ]);
      if (
        client.code !== 0 ||
        !/^hola after the garbage {2}\(reply in .*, 1 try\)\n$/.test(client.stdout)
      ) {
        throw new Error(
          `udp_client.ts was not answered normally: exit ${client.code}, ${JSON.stringify(client)}`,
        );
      }
    } finally {
      clearTimeout(timer);
      for (const socket of sockets) {
        try {
          socket.close();
        } catch { /* closed by the timer */ }
      }
    }
  });
  const finished = await stopServer(server, failure, "udp_server.ts");
  const logged = (finished.stdout.match(/^echoed \d+ bytes to /gm) ?? []).length;
  if (logged !== options.datagrams + 1) {
    throw new Error(
      `udp_server.ts logged ${logged} echoes, not ${options.datagrams} and the client's one`,
    );
  }
  return `${count(options.datagrams)} garbage datagrams (${count(sizes.empty)} empty, ${
    count(sizes.largest)
  } of the largest size 65,507 B, ${count(sizes.random)} random; ${mib(bytes / 1024)} MiB) in ${
    seconds(performance.now() - started)
  } s: ${
    count(echoed)
  } echoed unchanged, none lost; udp_server.ts never exited, then answered udp_client.ts at the first try`;
}

// ---------------------------------------------------------------------------------------------
// 6. Out of file descriptors

/**
 * server.ts under `ulimit -n fileLimit`, `attempts` connections held open at once: it accepts what
 * it can, survives, keeps serving the clients it has, says so once, and serves again once we let go.
 */
export async function outOfFiles(
  options: { fileLimit: number; attempts: number; timeLimitMs: number },
): Promise<string> {
  const server = await start(PAST_LIMITS, {
    denoFlags: SERVER_FLAGS,
    fileLimit: options.fileLimit,
  });
  const connections = new Connections();
  const cannot = () => (server.stderr().match(/cannot accept/g) ?? []).length;
  const accepted = () => (server.stdout().match(/^connection from/gm) ?? []).length;
  let acceptedWhileFull = 0, complaintsWhileFull = 0, fresh = "";
  const failure = await attempt(async () => {
    try {
      await within("out of files", options.timeLimitMs, connections, async () => {
        // The kernel completes every handshake (the backlog is 511): all of them connect.
        const held = await inPool(options.attempts, 50, () => connections.connect(server.port));
        // Wait until the server has taken all it can and has hit the limit.
        const deadline = Date.now() + 10_000;
        while (cannot() === 0 && Date.now() < deadline) await delay(20);
        if (cannot() === 0) {
          throw new Error(`server.ts never ran out of descriptors (accepted ${accepted()})`);
        }
        await delay(1000); // on purpose: ten retries' worth, in which the complaint must not repeat
        acceptedWhileFull = accepted();
        complaintsWhileFull = cannot();
        if (!server.running()) throw new Error(`server.ts exited: ${server.stderr()}`);
        // A client it did accept is still served while the others wait.
        const first = held[0];
        if (await readLine(first) !== GREETING) throw new Error("the first client got no greeting");
        await writeAll(first, encode("still served\n"));
        if (
          await orTimeout(readLine(first), 5000, "no echo while out of descriptors") !==
            "still served\n"
        ) {
          throw new Error("a held client was not echoed while the server was out of descriptors");
        }
        // Let go of all of them: every attempt still queued is accepted (and finds us gone).
        for (const conn of held) connections.close(conn);
        const end = Date.now() + 15_000;
        while (accepted() < options.attempts && Date.now() < end) await delay(50);
        if (accepted() < options.attempts) {
          throw new Error(
            `after descriptors were freed, only ${accepted()} of ${options.attempts} were accepted`,
          );
        }
        // The server has ended every one of them (its descriptors are free again), and has said
        // "accepting again": then a fresh client.
        const ended = () => (server.stdout().match(/^closed/gm) ?? []).length;
        const quiet = Date.now() + 15_000;
        while (
          (ended() < options.attempts || !/accepting again/.test(server.stderr())) &&
          Date.now() < quiet
        ) await delay(50);
        if (ended() < options.attempts) {
          throw new Error(`the server ended ${ended()} of the ${options.attempts} connections`);
        }
        fresh = await freshClient(server.port);
      });
    } finally {
      connections.closeAll();
    }
  });
  await stopServer(server, failure);
  const complaints = cannot();
  const figure =
    `under ulimit -n ${options.fileLimit}, ${options.attempts} connections at once: ${acceptedWhileFull} ` +
    `accepted before descriptors ran out, "cannot accept" logged ${complaintsWhileFull} time(s) while out and ` +
    `${complaints} time(s) in all; all ${options.attempts} accepted once freed; server never exited; ${fresh}`;
  if (complaints !== 1) {
    throw new Error(`the failure was logged ${complaints} times, not once: ${figure}`);
  }
  if (!/accepting again/.test(server.stderr())) {
    throw new Error(`no "accepting again" line: ${figure}`);
  }
  return figure;
}

// ---------------------------------------------------------------------------------------------
// 7. Ctrl-C under full load

interface CtrlCOptions {
  /** Connections streaming lines both ways as fast as they can. */
  clients: number;
  /** client.ts processes, fed from their standard input. */
  processes: number;
  /** Connectors opening new connections without pause (each held until the server ends it). */
  connectors: number;
  /**
   * How long the load runs once all of it is seen at work (every connection echoed, every
   * client.ts and the storm connected), before Ctrl-C: a duration on purpose, never a proof that
   * the load started (that is waited for, up to LOAD_SEEN_MS).
   */
  loadMs: number;
  exitLimitMs: number;
}

/** The longest wait for the whole load to be seen at work: it only bounds a failure. */
const LOAD_SEEN_MS = 30_000;

/** One round: the load, then Ctrl-C (SIGINT); everything must end by itself. */
async function ctrlCRound(options: CtrlCOptions, timeLimitMs: number) {
  const server = await start(PAST_LIMITS, { denoFlags: SERVER_FLAGS });
  const connections = new Connections();
  const clientProcesses: Deno.ChildProcess[] = [];
  let storm: Deno.ChildProcess | undefined;
  let stormOutput: Promise<Deno.CommandOutput> | undefined;
  const result = { echoed: 0, exitMs: 0, code: -1, churned: 0, processesEnded: 0 };
  try {
    await within("Ctrl-C under load", timeLimitMs, connections, async () => {
      const block = encode("load line, over and over\n".repeat(160)); // 4 KiB
      let stopping = false, greeted = 0, echoing = 0;
      const conns = await inPool(options.clients, 200, () => connections.connect(server.port));
      const loads = conns.map(async (conn) => {
        const buffer = new Uint8Array(16 * 1024);
        const reading = (async () => {
          let got = 0;
          while (true) {
            const n = await conn.read(buffer).catch(() => null); // a reset counts as the end
            if (n === null) return;
            // The greeting, then past it an echo of ours (each counted once for each connection).
            if (got < GREETING.length && got + n >= GREETING.length) greeted++;
            if (got <= GREETING.length && got + n > GREETING.length) echoing++;
            got += n;
            result.echoed += n;
          }
        })();
        try {
          while (!stopping) await writeAll(conn, block);
        } catch { /* the server has closed us: expected after Ctrl-C */ }
        await reading;
      });
      for (let i = 0; i < options.processes; i++) {
        clientProcesses.push(track(
          new Deno.Command(Deno.execPath(), {
            args: [
              "run",
              `--allow-net=127.0.0.1:${server.port}`,
              "client.ts",
              "--port",
              `${server.port}`,
            ],
            cwd: ROOT,
            env: { NO_COLOR: "1" },
            stdin: "piped",
            stdout: "null",
            stderr: "null",
          }).spawn(),
        ));
      }
      const feeds = clientProcesses.map(async (child) => {
        const writer = child.stdin.getWriter();
        try {
          while (!stopping) await writer.write(block);
        } catch { /* the client has exited */ }
        await writer.close().catch(() => {});
      });
      // New connections all the time, each one held until the server ends it: one that arrives
      // just as Ctrl-C does must be closed too, or the server would wait for it. In a process of its
      // own, so that this one's load does not slow it down.
      storm = track(new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-net=127.0.0.1",
          "stress/connect_storm.ts",
          `${server.port}`,
          `${options.connectors}`,
        ],
        cwd: ROOT,
        env: { NO_COLOR: "1" },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn());
      stormOutput = storm.output();
      stormOutput.catch(() => {});
      // The load at work, seen: echoes coming back to our connections, and the server has accepted
      // as many connections as ours, the client.ts processes' and one of the storm. (Not every
      // connection of ours is served at once: at full size, with 1,000 of them and the storm, a
      // few hundred still had no greeting 30 s later on a busy 2-core machine.)
      const accepted = () => (server.stdout().match(/^connection from/gm) ?? []).length;
      const everyone = options.clients + options.processes + 1;
      const atWork = () => echoing > 0 && accepted() >= everyone;
      const seenBy = Date.now() + LOAD_SEEN_MS;
      while (!atWork() && Date.now() < seenBy) await delay(20);
      if (!atWork()) {
        throw new Error(
          `no full load after ${seconds(LOAD_SEEN_MS)} s: ${greeted} of ${options.clients} ` +
            `connections greeted, ${echoing} echoing, ${accepted()} of at least ${everyone} ` +
            "connections accepted",
        );
      }
      await delay(options.loadMs); // on purpose: the load goes on for this long before Ctrl-C
      const signalled = performance.now();
      const printedBefore = server.stdout().length;
      server.child.kill("SIGINT");
      const status = await exitWithin(server.child, 5000);
      if (!status) {
        // Say what happened: did the server act on Ctrl-C at all? Then take the load away (no new
        // signal) and see whether it ends by itself.
        const acceptedSince =
          (server.stdout().slice(printedBefore).match(/^connection from/gm) ?? []).length;
        stopping = true;
        connections.closeAll();
        for (const child of [...clientProcesses, ...(storm ? [storm] : [])]) {
          try {
            child.kill("SIGKILL");
          } catch { /* exited */ }
        }
        const unloaded = performance.now();
        const late = await exitWithin(server.child, 5000);
        throw new Error(
          `server.ts was still running 5 s after Ctrl-C (it logged ${acceptedSince} new connections meanwhile); ` +
            `once the load was taken away, with no new signal, it ${
              late
                ? `exited (code ${late.code}) ${(performance.now() - unloaded).toFixed(0)} ms later`
                : "was still running 5 s later"
            }. Deno 2.9 can hold the main thread's signal listener back while its event loop stays busy, ` +
            `and server.ts's worker that hears the signal too did not help this time: see docs/stress.md.`,
        );
      }
      result.exitMs = performance.now() - signalled;
      result.code = status.code;
      stopping = true;
      // Everything ends by itself now: our connections see their end, client.ts processes exit.
      await orTimeout(settleAll(loads), 5000, "a connection was left open after the server exited");
      const stormed = await orTimeout(
        stormOutput,
        5000,
        "a new connection was left open after the server exited",
      );
      const opened = new TextDecoder().decode(stormed.stdout).match(/^opened (\d+)$/m);
      if (stormed.code !== 0 || !opened) {
        throw new Error(`the connect storm failed: ${new TextDecoder().decode(stormed.stderr)}`);
      }
      result.churned = Number(opened[1]);
      await orTimeout(
        Promise.all(
          clientProcesses.map((child) => child.status.then(() => result.processesEnded++)),
        ),
        5000,
        "a client.ts process was still running",
      );
      await Promise.all(feeds);
      const after = await Deno.connect({ hostname: HOST, port: server.port }).then(
        (c) => c.close(),
        (e) => e,
      );
      if (!(after instanceof Deno.errors.ConnectionRefused)) {
        throw new Error("the port still accepts connections");
      }
    });
  } finally {
    connections.closeAll();
    for (const child of clientProcesses) {
      try {
        child.kill("SIGKILL");
      } catch { /* exited */ }
      await child.status;
    }
    if (storm) {
      try {
        storm.kill("SIGKILL");
      } catch { /* exited */ }
      await stormOutput?.catch(() => {});
    }
    await server.stop("SIGKILL"); // it has exited already, unless this round failed
  }
  return result;
}

/**
 * Ctrl-C during full load, `rounds` times (a connection accepted just as Ctrl-C arrives is a matter
 * of timing, so one round is not enough): each time, exit 0 within `exitLimitMs`, every connection
 * ended, nothing left running.
 */
export async function ctrlCUnderLoad(
  options: CtrlCOptions & { rounds: number; timeLimitMs: number },
): Promise<string> {
  const deadline = Date.now() + options.timeLimitMs;
  const rounds: Awaited<ReturnType<typeof ctrlCRound>>[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    const result = await ctrlCRound(options, Math.max(1000, deadline - Date.now())).catch(
      (error) => {
        throw new Error(`round ${round} of ${options.rounds}: ${(error as Error).message}`, {
          cause: error,
        });
      },
    );
    if (result.code !== 0 || result.exitMs > options.exitLimitMs) {
      throw new Error(
        `round ${round}: exit ${result.code} after ${
          result.exitMs.toFixed(0)
        } ms (limit ${options.exitLimitMs})`,
      );
    }
    rounds.push(result);
  }
  const sum = (key: "echoed" | "churned" | "processesEnded") =>
    rounds.reduce((total, r) => total + r[key], 0);
  const slowest = Math.max(...rounds.map((r) => r.exitMs));
  return `${options.rounds} rounds of Ctrl-C with ${
    count(options.clients)
  } connections streaming (${mib(sum("echoed") / 1024 / options.rounds)} MiB echoed per round; ${
    seconds(options.loadMs)
  } s of full load before Ctrl-C), ${options.processes} client.ts processes and ${
    count(Math.round(sum("churned") / options.rounds))
  } new connections per round from ${options.connectors} connectors: exit 0 every time, the slowest in ${
    slowest.toFixed(0)
  } ms (limit ${options.exitLimitMs}); every connection ended, all ${
    sum("processesEnded")
  } client.ts exited, ` +
    `the port refused connections after`;
}

// ---------------------------------------------------------------------------------------------
// 4c. A storm of joins in the chat room. Self-contained: it uses only what tests/helpers/
// exports.

/** The process's CPU time so far (user + system), in ms, from /proc/PID/stat. */
async function cpuMs(pid: number): Promise<number> {
  const fields = (await shell(`cat /proc/${pid}/stat`)).replace(/^.*\) /, "").split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]); // utime and stime, in 1/100 s
  return ticks * 10;
}

/**
 * `joins` members join the room as fast as they can connect (none of them reads), while one
 * member says a line every 50 ms to another who reads: the server must stay up, the reader must
 * get every line in order, and the figure is the server's CPU time for the storm and the worst
 * delay of a line. `serverArgs` goes past the room's default limits (--max-clients 1000,
 * --max-per-address 50), which would otherwise refuse most of the storm.
 */
export async function chatJoinStorm(options: {
  joins: number;
  timeLimitMs: number;
  maxDelayMs: number;
  script?: string;
  serverArgs?: string[];
}): Promise<string> {
  const script = options.script ?? "chat_server.ts";
  const args = options.serverArgs ??
    ["--max-clients", `${options.joins + 10}`, "--max-per-address", `${options.joins + 10}`];
  const server = await start(["--quiet", ...args], { script, denoFlags: SERVER_FLAGS });
  const connections = new Connections();
  let cpu = 0, worst = 0, said = 0, joined = 0;
  const failure = await attempt(async () => {
    try {
      await within("chat, a storm of joins", options.timeLimitMs, connections, async () => {
        const reader = await connections.connect(server.port);
        const talker = await connections.connect(server.port);
        talker.setNoDelay(true);
        // Both are members before the talker talks: the talker, the second to join, is told so.
        await orTimeout(
          (async () => {
            while (!/\b2 online\b/.test(await readLine(talker))) { /* the next line */ }
          })(),
          10_000,
          "the room never had its first two members",
        );
        const talkerDrain = collect(talker, 64 * 1024, 1);
        const cpuBefore = await cpuMs(server.child.pid);
        let storming = true;
        const sentAt: number[] = [];
        const talking = (async () => {
          while (storming && !connections.closed) {
            sentAt.push(performance.now());
            await writeAll(talker, encode(`storm line ${said++}\n`));
            await delay(50); // on purpose: a line every 50 ms, a person's pace at most
          }
          sentAt.push(performance.now()); // the last line, which the reader waits for
          await writeAll(talker, encode(`storm line ${said++}\n`));
        })();
        // The reader's lines arrive in order; each one's delay is measured as it comes.
        let seen = 0, pending = "", online = 0;
        const decoder = new TextDecoder();
        const watching = (async () => {
          const buffer = new Uint8Array(64 * 1024);
          while (seen < said || storming) {
            const n = await reader.read(buffer);
            if (n === null) throw new Error(`the reader was closed after ${seen} lines`);
            pending += decoder.decode(buffer.subarray(0, n), { stream: true });
            const lines = pending.split("\n");
            pending = lines.pop()!;
            for (const line of lines) {
              online = Number(line.match(/\((\d+) online\)$/)?.[1] ?? online);
              const m = line.match(/storm line (\d+)$/);
              if (!m) continue;
              if (Number(m[1]) !== seen) throw new Error(`line ${m[1]} came when ${seen} was due`);
              worst = Math.max(worst, performance.now() - sentAt[seen++]);
            }
          }
        })();
        watching.catch(() => {});
        await inPool(options.joins, 64, async () => {
          await connections.connect(server.port); // and never read
          joined++;
        });
        // The room has announced the last joins to the reader.
        const told = Date.now() + 30_000;
        while (online < options.joins + 2 && Date.now() < told && !connections.closed) {
          await delay(20);
        }
        if (online < options.joins + 2) {
          throw new Error(`the reader was told of ${online} online, not ${options.joins + 2}`);
        }
        storming = false;
        await talking;
        await watching;
        cpu = (await cpuMs(server.child.pid)) - cpuBefore;
        connections.close(talker);
        await talkerDrain.all.catch(() => {});
      });
    } finally {
      connections.closeAll();
    }
  });
  await stopServer(server, failure, script);
  const figure = `chat room: ${count(joined)} joins; server CPU ${seconds(cpu)} s for the storm, ` +
    `a chat line delayed ${Math.round(worst)} ms at worst (${count(said)} lines, all in order)`;
  if (worst > options.maxDelayMs) throw new Error(`a line waited too long: ${figure}`);
  return figure;
}

// ---------------------------------------------------------------------------------------------
// 8. Unfinished lines held by many connections

/**
 * `connections` connections at once, each sends `lineBytes` bytes with no "\n" and holds them. The
 * memory the server keeps for unfinished lines is bounded in all, not only per connection: past
 * its bound (64 MiB of buffers) a connection gets an `error:` line and is closed. Once they all
 * close, the memory is given back. The server's RSS before, at its peak, and 5 s after.
 */
export async function heldLines(
  options: { connections: number; lineBytes: number; timeLimitMs: number },
): Promise<string> {
  const server = await start(["--quiet", ...PAST_LIMITS], { denoFlags: SERVER_FLAGS });
  const connections = new Connections();
  const refusal = "error: the server is holding too many unfinished lines, closing\n";
  const before = await rssKiB(server.child.pid);
  const rss = sampleRss(server.child.pid, 100);
  let refused = 0, after = 0, fresh = "";
  const failure = await attempt(async () => {
    try {
      await within("held lines", options.timeLimitMs, connections, async () => {
        const line = new Uint8Array(options.lineBytes).fill(120); // "x" again and again, no "\n"
        const replies: { done: boolean; got?: Uint8Array }[] = [];
        await inPool(options.connections, 200, async (id) => {
          const conn = await connections.connect(server.port);
          const reply = collect(conn), state: { done: boolean; got?: Uint8Array } = { done: false };
          replies.push(state);
          reply.all.then((got) => state.got = got).finally(() => state.done = true).catch(() => {});
          await orTimeout(reply.greeted, 30_000, `connection ${id} got no greeting`);
          await writeAll(conn, line);
        });
        // The server has read every line (all queues empty on both ends), and has closed the ones it
        // refuses: each connection is either still established or ended here.
        const settled = async () => {
          const sockets = (await tcpSockets(server.port)).filter((s) => s.state === "ESTAB");
          const held = sockets.filter((s) => s.localPort === server.port).length;
          const done = replies.filter((reply) => reply.done).length;
          return sockets.every((s) => s.recvQ === 0 && s.sendQ === 0) &&
            held + done === options.connections;
        };
        while (!await settled() && !connections.closed) await delay(250);
        const closed = replies.filter((reply) => reply.done);
        refused = closed.length;
        const wrong = closed.find((reply) =>
          new TextDecoder().decode(reply.got) !== GREETING + refusal
        );
        if (wrong) {
          throw new Error(
            `a closed connection got ${
              JSON.stringify(wrong.got && new TextDecoder().decode(wrong.got))
            }`,
          );
        }
        if (refused === options.connections) throw new Error("every connection was closed");
        const needed = options.connections * options.lineBytes * 2;
        if (refused === 0 && needed > 64 * MiB) {
          throw new Error("no connection was refused: is the memory for unfinished lines bounded?");
        }
        connections.closeAll();
        await allClosed(server.port); // the server has seen every end, and closed its side...
        // ...and, on purpose, 5 s for its garbage collector: the figure is the RSS 5 s after.
        await delay(5000);
        after = await rssKiB(server.child.pid);
        fresh = await freshClient(server.port);
      });
    } finally {
      connections.closeAll();
      await rss.stop();
    }
  });
  await stopServer(server, failure);
  const held = options.connections - refused;
  return `${count(options.connections)} connections each holding ${
    count(options.lineBytes)
  } bytes with no "\\n": ${count(held)} held, ${count(refused)} refused with an error line ` +
    `(the server holds at most 64 MiB of buffers); server RSS ${mib(before)} MiB before, ${
      mib(rss.peak())
    } MiB at the peak, ${mib(after)} MiB 5 s after they all closed; ${fresh}`;
}
