// deno task demo: the two ends' lines in the order they happened, on a projector's width, and the
// same run as a Mermaid sequence diagram (--mermaid).
import assert from "node:assert/strict";
import { ROOT } from "./helpers/process.ts";

const RUNS = 3;

/** Run the demo in English (LC_ALL=C), the language these tests read; lang_tools_test.ts runs it
 * in Spanish. */
async function run(args: string[], options: { timeoutMs: number }) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env: { NO_COLOR: "1", LC_ALL: "C" },
    stdin: "null",
    signal: AbortSignal.timeout(options.timeoutMs),
  }).output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

interface Shown {
  who: string;
  text: string;
}

/** The demo's lines, continuation lines ("who |     ...") joined back to the line they wrap. */
function lines(section: string): Shown[] {
  const out: Shown[] = [];
  for (const raw of section.split("\n")) {
    const match = raw.match(/^(server|client) \| (.*)$/);
    if (!match) continue;
    const [, who, text] = match;
    if (text.startsWith("    ") && out.length > 0 && out.at(-1)!.who === who) {
      out.at(-1)!.text += (text.trimStart().startsWith("deno:") ? "  " : " ") + text.trimStart();
    } else out.push({ who, text });
  }
  return out;
}

/** Where the first line of `who` that matches `pattern` is, after `from`; fails if none. */
function find(shown: Shown[], who: string, pattern: RegExp, from = 0): number {
  const at = shown.findIndex((line, n) => n >= from && line.who === who && pattern.test(line.text));
  assert.notEqual(at, -1, `no ${who} line matching ${pattern}:\n${show(shown)}`);
  return at;
}
const show = (shown: Shown[]) => shown.map((line) => `${line.who} | ${line.text}`).join("\n");

function before(shown: Shown[], first: number, then: number, what: string) {
  assert(first < then, `${what}, but not in this order:\n${show(shown)}`);
}

/** Cause before effect in the TCP exchange of one run. */
function checkTcp(shown: Shown[]) {
  const connect = find(shown, "client", /^\[steps 3-4\] /);
  const accept = find(shown, "server", /^\[step 7\b/);
  const greeting = find(shown, "server", /^\[step 8\b.*-> 47 bytes$/);
  before(shown, connect, accept, "the client connects before the server accepts");
  before(shown, accept, greeting, "accept() returns before the server uses the connection");
  const firstSend = find(shown, "client", /^\[step 5\] python: s\.sendall/);
  const firstRecv = find(shown, "server", /^\[recv\b.*-> \d+$/);
  before(shown, firstSend, firstRecv, "the client sends before the server receives");
  const echo = find(shown, "server", /^\[step 8\b/, greeting + 1);
  before(shown, firstRecv, echo, "the server receives a line before it echoes it");
  const printed = find(shown, "client", /^hola$/);
  before(shown, echo, printed, "the server echoes before the client prints the echo");
  const shutdown = find(shown, "client", /s\.shutdown\(socket\.SHUT_WR\)/);
  const endOfStream = find(shown, "server", /^\[recv\b.*-> null/);
  before(
    shown,
    shutdown,
    endOfStream,
    "the client's shutdown comes before the server's end of stream",
  );
  const serverClose = find(shown, "server", /^\[step 9\b/);
  const clientClose = find(shown, "client", /^\[step 6\] /);
  const lastOther = shown.findLastIndex((_line, n) => n !== serverClose && n !== clientClose);
  assert(serverClose > lastOther || clientClose > lastOther, `close is not last:\n${show(shown)}`);
  before(
    shown,
    serverClose,
    find(shown, "client", /-> null: end of stream/),
    "server closes first",
  );
}

/** Cause before effect for each UDP message: sent, received, echoed, printed. */
function checkUdp(shown: Shown[]) {
  let from = 0;
  for (const message of ["uno", "dos", "tres"]) {
    const printed = find(shown, "client", new RegExp(`^${message}  \\(reply in`), from);
    const echoed = find(shown, "server", new RegExp(`^echoed \\d+ bytes to .*: "${message}"$`));
    const sendto = shown.findLastIndex((line, n) =>
      n < echoed && line.who === "server" && /^\[step 8\b.*sendto/.test(line.text)
    );
    assert.notEqual(sendto, -1, `no sendto for ${message}:\n${show(shown)}`);
    before(
      shown,
      sendto,
      printed,
      `the server sends "${message}" back before the client prints it`,
    );
    const got = shown.findLastIndex((line, n) =>
      n < sendto && line.who === "server" && /^\[step 7\b/.test(line.text)
    );
    const sent = shown.findLastIndex((line, n) =>
      n < printed && line.who === "client" && /sendto\(data, addr\)/.test(line.text)
    );
    before(shown, sent, got, `the client sends "${message}" before the server receives it`);
    from = printed + 1;
  }
  const clientClose = find(shown, "client", /^\[step 6\] /);
  assert.equal(shown.filter((line, n) => n > clientClose && line.who === "client").length, 0);
}

Deno.test({
  name: `deno task demo, ${RUNS} runs: cause before effect on both ends, no line over 100 columns`,
  sanitizeOps: false, // run() spawns with its own timer
  async fn() {
    for (let n = 0; n < RUNS; n++) {
      const demo = await run(["task", "demo"], { timeoutMs: 60_000 });
      assert.equal(demo.code, 0, demo.stdout + demo.stderr);
      const wide = demo.stdout.split("\n").filter((line) => line.length > 100);
      assert.deepEqual(wide, [], "lines wider than a projector");
      const [tcp, udp] = demo.stdout.split(/^=== UDP/m);
      checkTcp(lines(tcp));
      checkUdp(lines(udp));
      // The servers it started are gone: their ports no longer answer.
      const tcpPort = Number(tcp.match(/^server \| listening on 127\.0\.0\.1:(\d+)$/m)![1]);
      await assert.rejects(
        Deno.connect({ hostname: "127.0.0.1", port: tcpPort }),
        Deno.errors.ConnectionRefused,
      );
    }
  },
});

Deno.test("deno task demo --mermaid: a sequence diagram with one arrow per step that happened", async () => {
  const demo = await run(["task", "demo", "--mermaid"], { timeoutMs: 60_000 });
  assert.equal(demo.code, 0, demo.stdout + demo.stderr);
  const diagram = demo.stdout.trim().split("\n");
  assert.equal(diagram[0], "sequenceDiagram");
  const participants = diagram.filter((line) => /^ {2}participant \w+ as \S+$/.test(line));
  assert.deepEqual(participants.map((line) => line.split(" as ")[1]), [
    "client.ts",
    "server.ts",
    "udp_client.ts",
    "udp_server.ts",
  ]);
  // Every other line is an arrow (A->>B or A-xB, a lost datagram) or a note, with a label.
  for (const line of diagram.slice(1)) {
    assert.match(
      line,
      /^ {2}(participant \w+ as \S+|\w+(->>|-x)\w+: .+|Note over \w+(,\w+)?: .+)$/,
    );
  }
  // The transcript went to stderr: count there the steps that send something, one arrow each.
  const [tcp, udp] = demo.stderr.split(/^=== UDP/m).map(lines);
  const count = (shown: Shown[], who: string, pattern: RegExp) =>
    shown.filter((line) => line.who === who && pattern.test(line.text)).length;
  const tcpArrows =
    count(tcp, "client", /^\[steps 3-4\]|^\[step 5\] python: s\.(sendall|shutdown)/) +
    count(tcp, "server", /^\[step (8|9)\b/);
  const udpSent = count(udp, "client", /sendto\(data, addr\)/);
  const udpEchoed = count(udp, "server", /^echoed /);
  const udpLost = count(udp, "server", /^dropped /);
  const arrows = (pattern: RegExp) => diagram.filter((line) => pattern.test(line)).length;
  assert.equal(arrows(/^ {2}[CS](->>|-x)[CS]: /), tcpArrows);
  assert.equal(arrows(/^ {2}U(->>|-x)V: /), udpSent);
  assert.equal(arrows(/^ {2}U-xV: .*lost/), udpLost);
  assert(udpLost > 0, "the demo's seed drops some datagrams");
  assert.equal(arrows(/^ {2}V->>U: /), udpEchoed);
});
