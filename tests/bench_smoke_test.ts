// A quick check that the benchmark harness (deno task bench) still works: one run with tiny counts,
// the C ceilings and the kit's servers (and the Node chat, if node is here). It measures nothing;
// `deno task bench` does. Then: the load generator's chat mode fails against a chat server that
// never relays, drops a line or reorders two, and passes against one that does it right.
import assert from "node:assert/strict";
import { ROOT } from "./helpers/process.ts";

const has = (command: string) => {
  try {
    return new Deno.Command("sh", {
      args: ["-c", `command -v ${command}`],
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
  } catch {
    return false; // no sh (Windows)
  }
};
// The harness compiles C with cc and pins processes with taskset; without them (not Linux, say) skip.
const haveTools = Deno.build.os === "linux" && has("cc") && has("taskset");
const haveNode = has("node");
const why = haveTools ? "" : " (IGNORED: needs Linux, cc and taskset)";

Deno.test({
  name: `deno task bench --smoke: every measure gives a figure for C and the kit's servers${why}`,
  ignore: !haveTools,
  async fn() {
    const out = await Deno.makeTempDir({ prefix: "bench-smoke-" });
    const chats = ["c-chat", "deno-chat", ...(haveNode ? ["node-chat"] : [])];
    try {
      const run = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-run",
          "--allow-read",
          "--allow-write",
          "--allow-env",
          "--allow-sys",
          "bench/bench.ts",
          "--smoke",
          "--servers",
          ["c", "deno", "c-udp", "deno-udp", ...chats].join(","),
          "--out",
          out,
        ],
        cwd: ROOT,
        env: { NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(90_000),
      }).output();
      const said = new TextDecoder().decode(run.stdout) + new TextDecoder().decode(run.stderr);
      assert.equal(run.code, 0, said);
      const results = JSON.parse(await Deno.readTextFile(`${out}/latest.json`));
      const expected: Record<string, string[]> = {
        bulk: ["c", "deno"],
        pp1: ["c", "deno"],
        pp100: ["c", "deno"],
        connrate: ["c", "deno"],
        idle: ["c", "deno"],
        udp1: ["c-udp", "deno-udp"],
        udp8: ["c-udp", "deno-udp"],
        chat100: chats,
        chat1000: chats,
        startup: ["c", "deno", "c-udp", "deno-udp"],
      };
      // Every cell ran without an error and measured something: a server that never replies (a
      // figure of 0 datagrams/s or requests/s) fails here.
      for (const [measure, servers] of Object.entries(expected)) {
        for (const server of servers) {
          const [sample] = results.samples[measure][server];
          const what = `${measure} ${server}: ${JSON.stringify(sample)}\n${said}`;
          assert.equal(sample.error, undefined, what);
          assert.ok(sample.value > 0, what);
        }
      }
      const md = await Deno.readTextFile(`${out}/latest.md`);
      assert.match(md, /## Targets/);
      if (haveNode) assert.match(md, /chat, 1,000 members: p99 latency ≤ 1\.0× Node's \| \d/);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});

// A chat room for the generator to test, with one fault on purpose: "mute" relays nothing, "drop"
// loses the third line of each member, "swap" sends each member's third line after its fourth.
type Fault = "none" | "mute" | "drop" | "swap";
async function fakeChat(fault: Fault, run: (port: number) => Promise<void>) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const queues = new Map<Deno.Conn, Promise<void>>(); // each member's writes, one after another
  const post = (to: Deno.Conn, text: string) => {
    const bytes = new TextEncoder().encode(text);
    const write = async () => {
      for (let at = 0; at < bytes.length;) at += await to.write(bytes.subarray(at));
    };
    queues.set(to, (queues.get(to) ?? Promise.resolve()).then(write).catch(() => {}));
  };
  const announce = (from: Deno.Conn, text: string) => {
    for (const other of queues.keys()) if (other !== from) post(other, text);
  };
  const serve = async (conn: Deno.Conn) => {
    const { hostname, port } = conn.remoteAddr as Deno.NetAddr;
    const name = `${hostname}:${port}`;
    let pending = "", count = 0, held = "";
    post(conn, `welcome to the chat, ${name}: ${queues.size + 1} online\n`);
    announce(conn, `* ${name} joined (${queues.size} online)\n`);
    const buffer = new Uint8Array(4096), decoder = new TextDecoder();
    try {
      while (true) {
        const n = await conn.read(buffer);
        if (n === null) break;
        const lines = (pending + decoder.decode(buffer.subarray(0, n))).split("\n");
        pending = lines.pop()!;
        for (const line of lines) {
          count++;
          const text = `${name}: ${line}\n`;
          if (fault === "mute" || (fault === "drop" && count === 3)) continue;
          if (fault === "swap" && count === 3) held = text;
          else announce(conn, text + (fault === "swap" && count === 4 ? held : ""));
        }
      }
    } catch { /* the generator is gone */ }
    queues.delete(conn);
    conn.close();
  };
  const served: Promise<void>[] = [];
  const accepting = (async () => {
    try {
      for await (const conn of listener) served.push(serve(conn));
    } catch { /* closed */ }
  })();
  try {
    await run((listener.addr as Deno.NetAddr).port);
  } finally {
    listener.close();
    await accepting;
    await Promise.all(served);
    await Promise.all(queues.values());
  }
}

Deno.test({
  name: `loadgen chat: a room that relays nothing, drops or reorders a line fails the run${why}`,
  ignore: !haveTools,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "loadgen-chat-" });
    try {
      const cc = await new Deno.Command("cc", {
        args: ["-O2", "-o", `${dir}/loadgen`, `${ROOT}bench/loadgen.c`],
      }).output();
      assert.ok(cc.success, new TextDecoder().decode(cc.stderr));
      const cases: [Fault, RegExp][] = [
        ["none", /"deliveries_per_s": [1-9]/],
        ["mute", /"error": "chat: \d+ lines never reached every member"/],
        ["drop", /"error": "chat: member \d: a line is missing or late: '127\.0\.0\.1:\d+: #\d 3 /],
        ["swap", /"error": "chat: member \d: a line is missing or late: '127\.0\.0\.1:\d+: #\d 3 /],
      ];
      for (const [fault, wanted] of cases) {
        await fakeChat(fault, async (port) => {
          const out = await new Deno.Command(`${dir}/loadgen`, {
            args: ["chat", "--port", `${port}`, "--members", "4", "--senders", "2", "--inflight"]
              .concat(["8", "--warmup", "0.05", "--duration", "0.3", "--timeout", "2"]),
            signal: AbortSignal.timeout(20_000),
          }).output();
          const said = new TextDecoder().decode(out.stdout);
          assert.match(said, wanted, `${fault}: ${said}`);
          assert.equal(out.code, fault === "none" ? 0 : 1, `${fault}: ${said}`);
        });
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
