// udp_server.ts in a classroom: output nobody reads, and the echo loop
// guard (no datagram bounces for ever between two echo servers; real clients still get every reply).
import assert from "node:assert/strict";
import { delay, encode, waitUntil } from "./helpers/io.ts";
import { run, startServer, startUnread as startUnreadServer } from "./helpers/process.ts";
import { pythonCode, runPython } from "./helpers/python.ts";
import { UdpPeer } from "./helpers/udp.ts";
import { lacking, testNeeding } from "./helpers/needs.ts";

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const NET = ["--unstable-net", "--allow-net"];
const startUdp = (args: string[] = [], host?: string, port?: number) =>
  startServer(args, { script: "udp_server.ts", denoFlags: NET, host, port });
const count = (text: string, pattern: RegExp) => (text.match(pattern) ?? []).length;

/** Forging a sender takes Python and a raw socket, which needs Linux and root (CI runs as root). */
async function whyNotForge(): Promise<string> {
  if (Deno.build.os !== "linux") return "forging a sender needs Linux's raw sockets";
  const uid = decode((await new Deno.Command("id", { args: ["-u"] }).output()).stdout).trim();
  if (uid !== "0") return "forging a sender needs root, for a raw socket";
  return lacking("python");
}
const forgeWhy = await whyNotForge();
const NOT_ROOT = forgeWhy ? ` (ignored: ${forgeWhy})` : "";

/**
 * Send one UDP datagram that claims to come from `from` (host, port), through a raw socket with
 * our own IPv4 and UDP headers (loopback takes a UDP checksum of 0, "none").
 */
async function forge(from: [string, number], to: [string, number], payload = "loop?") {
  const code = `
import socket, struct, sys
src, sport, dst, dport, data = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5].encode()
udp = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, socket.IPPROTO_UDP, 0,
                 socket.inet_aton(src), socket.inet_aton(dst))
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
s.sendto(ip + udp, (dst, 0))
`;
  const out = await pythonCode(code, [from[0], `${from[1]}`, to[0], `${to[1]}`, payload]);
  assert.equal(out.code, 0, out.stderr);
}

Deno.test(`two udp_server.ts cannot be made to bounce a datagram between them${NOT_ROOT}`, {
  ignore: NOT_ROOT !== "",
}, async () => {
  const a = await startUdp(["--timestamps"]);
  const b = await startUdp(["--timestamps"], "127.0.0.1");
  // Same port on another address (two classroom machines on the default port): inetd's guard.
  const c = await startUdp([], "127.0.0.2", a.port);
  try {
    await forge(["127.0.0.1", b.port], ["127.0.0.1", a.port]); // "from B" to A
    await forge(["127.0.0.2", a.port], ["127.0.0.1", a.port]); // "from C" to A
    await forge(["127.0.0.1", 7], ["127.0.0.1", a.port]); // "from the echo port 7" to A
    // The loop has ended (one of the two first sees its own replies come back 50 times in a row,
    // long before either runs out of its --max-rate burst), and A has refused the other two; then,
    // on purpose, 1 s for the echoes still on their way to be logged.
    const over = /^@[\d.]+ ignored datagram from 127\.0\.0\.1:\d+: its own replies came back 50 /gm;
    const fromC = `ignored datagram from 127.0.0.2:${a.port}: a server port (echo loop guard)`;
    await waitUntil(
      () =>
        count(a.stdout() + b.stdout(), over) > 0 && a.stdout().includes(fromC) &&
        a.stdout().includes("ignored datagram from 127.0.0.1:7:"),
      "the end of the loop, and the two other forged datagrams ignored",
    );
    await delay(1000);
    const [inA, inB] = [a.stdout(), b.stdout()];
    // Without a guard these count tens of thousands, and on; with it, the default --max-rate's
    // burst (4,000) and what its 2,000 a second refill while the loop runs (under 1 s on an idle
    // machine, longer on a busy one: the bound follows how long it lasted).
    const [echoesA, echoesB] = [echoTimes(inA), echoTimes(inB)];
    const bounces = [echoesA.length, echoesB.length];
    for (const times of [echoesA, echoesB]) {
      const lasted = times[times.length - 1] - times[0];
      const most = 4000 + Math.ceil(2 * lasted) + 10;
      assert.ok(
        times.length >= 1 && times.length <= most,
        `echoed by A and B: ${bounces}, in ${lasted.toFixed(0)} ms (at most ${most})`,
      );
      assert.ok(lasted < 10_000, `the loop went on for ${lasted.toFixed(0)} ms (${bounces})`);
    }
    assert.doesNotMatch(inA + inB, /lines not printed/); // every echo was counted
    // The loop ends at whichever of the two sees its replies come back first: that one says so.
    assert.equal(count(inA, over) + count(inB, over), 1, inA + inB);
    assert.equal(count(inA, new RegExp(` ${fromC.replace(/[().]/g, "\\$&")}$`, "gm")), 1);
    assert.match(inA, / ignored datagram from 127\.0\.0\.1:7: a server port \(echo loop guard\)$/m);
    assert.equal(count(c.stdout(), /^echoed /gm), 0); // C never heard of it: A did not answer
    // And the loop is over: a second later (on purpose), nothing more has been echoed.
    await delay(1000);
    assert.deepEqual([echoTimes(a.stdout()).length, echoTimes(b.stdout()).length], bounces);
  } finally {
    for (const server of [a, b, c]) assert.equal((await server.stop()).code, 0);
  }
});

/** The time of each "echoed" line in a --timestamps log, in ms. */
function echoTimes(log: string): number[] {
  return [...log.matchAll(/^@([\d.]+) echoed /gm)].map((match) => Number(match[1]));
}

testNeeding(
  ["python"],
  "the loop guard keeps every reply for udp_client.ts and the lesson's Python client",
  async () => {
    const server = await startUdp();
    try {
      const messages = Array.from({ length: 40 }, (_, n) => `mensaje ${n}`);
      const client = await run([
        "run",
        ...NET,
        "udp_client.ts",
        "--port",
        `${server.port}`,
        ...messages,
      ]);
      assert.equal(client.code, 0, client.stderr);
      assert.deepEqual(
        client.stdout.trimEnd().split("\n").map((line) => line.replace(/ {2}\(reply .*$/, "")),
        messages,
      );
      assert.doesNotMatch(client.stdout, /tries\)/); // every one at the first try
      const python = await runPython("lesson_udp_client.py", ["127.0.0.1", `${server.port}`]);
      assert.equal(python.stdout, "hola desde Python\n", python.stderr);
    } finally {
      const finished = await server.stop();
      assert.doesNotMatch(finished.stdout, /^ignored/m);
    }
  },
);

Deno.test("the default --max-rate lets a file of 4,000 lines through udp_client.ts, every reply at the first try", async () => {
  const server = await startUdp(["--quiet"]);
  try {
    // A student's `seq 1 4000 | udp_client.ts`: one datagram in flight, as fast as it goes.
    const lines = Array.from({ length: 4000 }, (_, n) => `${n + 1}`);
    const client = await run(
      ["run", ...NET, "udp_client.ts", "--port", `${server.port}`],
      { stdin: lines.join("\n") + "\n" },
    );
    assert.equal(client.code, 0, client.stderr);
    const replies = client.stdout.trimEnd().split("\n");
    assert.deepEqual(replies.map((line) => line.replace(/ {2}\(reply .*$/, "")), lines);
    const retried = replies.filter((line) => !line.endsWith(", 1 try)"));
    assert.deepEqual(retried, []); // every one at the first try
  } finally {
    const finished = await server.stop();
    assert.equal(finished.stdout.split("\n").length, 2, finished.stdout); // nothing ignored
  }
});

Deno.test("--max-rate: one sender past its burst of 2 x N is ignored (said once); --max-rate 0 answers all", async () => {
  for (const rate of [20, 0]) {
    const server = await startUdp(["--max-rate", `${rate}`]);
    const peer = new UdpPeer();
    let got = 0;
    const started = performance.now();
    try {
      // 200 datagrams as fast as they go: a ping-pong like the bench's, one in flight.
      // On purpose, 20 ms: the time after which a ping counts as ignored; a reply later than that
      // (a slow machine) is still counted, by the next wait or by the last one, of 1 s.
      for (let i = 0; i < 200; i++) {
        await peer.send(encode("ping"), server.port);
        if (await peer.receive(rate === 0 ? 2000 : 20)) got++;
      }
      if (rate !== 0) { while (await peer.receive(1000)) got++; }
      const seconds = (performance.now() - started) / 1000;
      if (rate === 0) assert.equal(got, 200);
      else {
        // The burst, plus what the bucket refilled meanwhile, and not one more.
        const most = 2 * rate + Math.ceil(rate * seconds) + 1;
        assert.ok(got >= 2 * rate && got <= most && got < 200, `${got} answered (at most ${most})`);
      }
    } finally {
      await peer.close();
      const finished = await server.stop();
      const said = count(finished.stdout, /^ignored datagram from .*--max-rate/gm);
      assert.equal(said, rate === 0 ? 0 : 1);
    }
  }
});

Deno.test("--max-rate: said once an episode, and again when the sender comes back after 5 s under it", async () => {
  const server = await startUdp(["--max-rate", "20"]);
  const peer = new UdpPeer();
  const said = () => count(server.stdout(), /^ignored datagram from .*--max-rate/gm);
  // 100 datagrams at once: 40 answered (the burst), the rest ignored.
  const flood = async () => {
    for (let i = 0; i < 100; i++) await peer.send(encode(`flood ${i}`), server.port);
  };
  const sayTimes = async (times: number) => {
    const deadline = Date.now() + 5000;
    while (said() < times && Date.now() < deadline) await delay(20);
    await delay(200); // on purpose: and no more after that
    assert.equal(said(), times, server.stdout());
  };
  try {
    await flood();
    await sayTimes(1);
    await flood(); // the same episode: not said again
    await sayTimes(1);
    await delay(6000); // on purpose: quiet for longer than 5 s, the next flood is a new episode
    await flood();
    await sayTimes(2);
  } finally {
    await peer.close();
    assert.equal((await server.stop()).code, 0);
  }
});

const startUnread = (args: string[]) => startUnreadServer("udp_server.ts", NET, args);

testNeeding(
  ["signals"],
  "udp_server.ts keeps answering while nobody reads its output, and SIGTERM stops it within 2 s",
  async () => {
    const server = await startUnread(["--explain"]);
    const peers = Array.from({ length: 10 }, () => new UdpPeer());
    try {
      // Three lines of about 100 bytes for each datagram: 800 of them are 240 KB, past any pipe.
      await Promise.all(peers.map(async (peer, p) => {
        for (let i = 0; i < 80; i++) {
          await peer.send(encode(`peer ${p} datagram ${i}`), server.port);
          const reply = await peer.receive(5000);
          assert.ok(reply, `peer ${p}: no reply to datagram ${i}`);
          assert.equal(decode(reply[0]), `peer ${p} datagram ${i}`);
        }
      }));
      const client = await run([
        "run",
        ...NET,
        "udp_client.ts",
        "--port",
        `${server.port}`,
        "hola",
      ]);
      assert.match(client.stdout, /^hola {2}\(reply in .*, 1 try\)\n$/, client.stderr);
      const signalled = performance.now();
      server.child.kill("SIGTERM");
      const status = await server.child.status;
      const tookMs = performance.now() - signalled;
      assert.equal(status.code, 0);
      assert.ok(tookMs < 2000, `exited ${tookMs.toFixed(0)} ms after SIGTERM`);
    } finally {
      for (const peer of peers) await peer.close();
      assert.equal(await server.finish(), "");
    }
  },
);

Deno.test("udp_server.ts --timestamps: every line after the listening line starts with @ and the time", async () => {
  const server = await startUdp(["--timestamps", "--explain"]);
  const peer = new UdpPeer();
  try {
    await peer.send(encode("hola"), server.port);
    assert.ok(await peer.receive(5000));
  } finally {
    await peer.close();
    const [first, ...rest] = (await server.stop()).stdout.trimEnd().split("\n");
    assert.match(first, /^listening on 127\.0\.0\.1:\d+$/);
    assert.ok(rest.length >= 4, rest.join("\n")); // steps 4-5, 7, the log line, 8, 9
    for (const line of rest) assert.match(line, /^@\d{13}\.\d{3} \S/);
    const times = rest.map((line) => Number(line.slice(1, line.indexOf(" "))));
    assert.deepEqual(times, [...times].sort((a, b) => a - b)); // in the order they happened
    assert.ok(Math.abs(times[0] - Date.now()) < 60_000);
  }
});
