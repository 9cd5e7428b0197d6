// The prankster scenario: one classroom prankster against the chat room (chat_server.ts), with the
// ordinary tools of a student, while honest members read at a modest speed and one of them talks.
//
//   flood   `seq 1 N | client.ts --name Spam`: numbered lines as fast as the room takes them
//           (this driver plays seq)
//   burst   a 65,000-byte line and the start of another, a 0.6 s pause, then one 63 KB write of
//           "ab\n" lines (21,000 lines in one read)
//   idle    connections that join and then neither send nor read
//
// The honest members are one python3 process, each member from its own loopback address
// (127.0.0.10, 127.0.0.11, ...; a classroom), reading at `rate` bytes a second at most. Each must
// stay in the room and receive every line: the flood's numbers with no gap, every burst line, every
// line of the honest speaker (Ana). A prompt reader (Bo) times each of Ana's lines: the room must
// relay an honest line within `maxDelayMs` while the prankster floods (the slow readers' delays
// are reported: see PranksterOptions.settleMs). Then a newcomer is served.
// Used by stress/stress.ts (full size) and tests/chat_prankster_test.ts (small).
import { delay, encode, readLine, writeAll } from "../tests/helpers/io.ts";
import { CHAT, ROOT } from "../tests/helpers/process.ts";
import {
  attempt,
  collect,
  Connections,
  count,
  orTimeout,
  seconds,
  SERVER_FLAGS,
  start,
  stopServer,
  track,
  within,
} from "./helpers.ts";

/**
 * The honest readers, in python3: argv port, count, rate (bytes/s each), first address (127.0.0.N).
 * Prints "ready" once all have joined and named themselves (R0, R1, ...). Reads each socket at
 * `rate` at most (a token bucket of 50 ms: steady, never a gulp after a pause). On a line
 * "end HONEST BURST" on stdin it reads on until every member still connected has seen Ana's "end",
 * HONEST lines of Ana and BURST lines of the burst (BURST_NAME), then prints one JSON line: a
 * summary per member. Lines are counted in C (bytes.count), not one by one in Python; the flood's
 * numbers must follow each other from 1 with no gap (its tail, which the room slowed, may still be
 * on its way).
 */
const BURST_NAME = "Burst-from-the-back-row"; // long: each "ab\n" goes out as 28 bytes
export const HONEST_READERS = String.raw`
import json, re, socket, sys, time, os, select
port, n, rate, first = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
members = []
for i in range(n):
    s = socket.socket()
    s.bind(("127.0.0.%d" % (first + i), 0))
    s.connect(("127.0.0.1", port))
    s.sendall(b"/name R%d\n" % i)
    s.setblocking(False)
    members.append({"s": s, "pending": b"", "credit": 0.0, "got": 0, "spam": 0, "last": 0,
                    "gaps": 0, "honest": 0, "worst": 0.0, "delays": [], "burst": 0, "end": False,
                    "error": "", "closed": False})
HONEST = re.compile(rb"^Ana: t=(\d+)", re.M)
def take(m, data):
    m["got"] += len(data)
    data = m["pending"] + data
    cut = data.rfind(b"\n") + 1
    m["pending"] = data[cut:]
    lines = data[:cut]
    if not lines:
        return
    now = time.time() * 1000
    spam = lines.count(b"\nSpam: ") + (1 if lines.startswith(b"Spam: ") else 0)
    if spam:
        at = lines.rfind(b"Spam: ")
        last = int(lines[at + 6:lines.index(b"\n", at)])
        if last != m["last"] + spam:
            m["gaps"] += 1
        m["spam"] += spam
        m["last"] = last
    for sent in HONEST.findall(lines):
        m["honest"] += 1
        m["worst"] = max(m["worst"], now - int(sent))
        m["delays"].append([int(sent), round(now - int(sent))])
    m["burst"] += lines.count(b"\n${BURST_NAME}: ") + (1 if lines.startswith(b"${BURST_NAME}: ") else 0)
    if b"\nAna: end\n" in b"\n" + lines:
        m["end"] = True
    at = (b"\n" + lines).find(b"\nerror: ")
    if at != -1:
        m["error"] = lines[at:lines.index(b"\n", at)].decode()
print("ready", flush=True)
want = None
before = time.monotonic()
stdin = sys.stdin.buffer.raw
typed = b""
while True:
    ready, _, _ = select.select([stdin] if want is None else [], [], [], 0.01)
    if ready:
        typed += os.read(stdin.fileno(), 100)
        if b"\n" in typed:
            parts = typed.split()
            want = (int(parts[1]), int(parts[2]))
            deadline = time.monotonic() + 60
    now = time.monotonic()
    gained = (now - before) * rate
    before = now
    for m in members:
        if m["closed"]:
            continue
        m["credit"] = min(m["credit"] + gained, rate * 0.05)
        while m["credit"] >= 1:
            try:
                data = m["s"].recv(int(min(m["credit"], 262144)))
            except BlockingIOError:
                break
            except ConnectionResetError:
                data = b""
            if not data:
                m["closed"] = True
                break
            m["credit"] -= len(data)
            take(m, data)
    if want is not None:
        done = all(m["closed"] or (m["end"] and m["honest"] >= want[0] and m["burst"] >= want[1])
                   for m in members)
        if done or time.monotonic() > deadline:
            break
out = [{k: v for k, v in m.items() if k not in ("s", "pending", "credit")} for m in members]
print(json.dumps(out), flush=True)
`;

export interface PranksterOptions {
  /** Honest members reading at `rate` bytes a second (each from its own loopback address). */
  readers: number;
  rate: number;
  /** How long the flood lasts, in ms (the burst comes 1 s into it). */
  floodMs: number;
  /** Idle connections the prankster holds (from 127.0.0.1, like the flood). */
  idle: number;
  /** The longest an honest line may take to reach the prompt reader (the room relays it). */
  maxDelayMs: number;
  /**
   * The slow readers' delays are reported for the first `settleMs` of flood and after, not held
   * to a limit: until the room slows the flooder, their own socket buffers (megabytes, in the
   * system) may be full of flood, and how soon they fill depends on the flood's speed.
   */
  settleMs: number;
  timeLimitMs: number;
}

const BURST_LONG = 65_000; // the long line; then "xy" with no "\n", then after 0.6 s the "ab" lines
const BURST_LINES = 21_000; // 63,000 bytes of "ab\n", one write

export async function prankster(options: PranksterOptions): Promise<string> {
  const server = await start([...CHAT.args, "--quiet"], {
    script: CHAT.script,
    denoFlags: SERVER_FLAGS,
  });
  const connections = new Connections();
  const readers = track(
    new Deno.Command("python3", {
      args: ["-c", HONEST_READERS, `${server.port}`, `${options.readers}`, `${options.rate}`, "10"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn(),
  );
  const readersOut = readers.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const readersErr = new Response(readers.stderr).text();
  const input = readers.stdin.getWriter();
  let readersSaid = "";
  const readerLine = async (ms: number, what: string) => {
    const deadline = Date.now() + ms;
    while (!readersSaid.includes("\n")) {
      const { value, done } = await orTimeout(
        readersOut.read(),
        Math.max(0, deadline - Date.now()),
        what,
      );
      if (done) throw new Error(`${what}: the readers ended (${await readersErr})`);
      readersSaid += value;
    }
    const line = readersSaid.slice(0, readersSaid.indexOf("\n"));
    readersSaid = readersSaid.slice(line.length + 1);
    return line;
  };
  let flooder: Deno.ChildProcess | undefined;
  let floodEnd = 0; // the flood's last number given to client.ts
  let floodStarted = 0; // Date.now()
  const delays: number[] = [];
  let summary: Record<string, number | string | boolean>[] = [];
  let newcomer = "";
  const failure = await attempt(async () => {
    try {
      await within("the prankster", options.timeLimitMs, connections, async () => {
        if (await readerLine(30_000, "the honest readers joining") !== "ready") {
          throw new Error("the honest readers did not start");
        }
        // Bo reads as fast as he can and times Ana's lines; Ana talks.
        const bo = await connections.connect(server.port);
        const ana = await connections.connect(server.port);
        ana.setNoDelay(true);
        await readLine(bo, 10_000); // the welcome line
        await writeAll(bo, encode("/name Bo\n"));
        await writeAll(ana, encode("/name Ana\n"));
        const anaDrain = collect(ana, 64 * 1024, 1);
        for (let i = 0; i < options.idle; i++) await connections.connect(server.port);
        const burst = await connections.connect(server.port);
        await writeAll(burst, encode(`/name ${BURST_NAME}\n`));
        const burstDrain = collect(burst, 64 * 1024, 1);
        let boSawEnd = false, boLastSpam = 0, boError = "";
        const renamed = new Set<string>(); // the names Bo has seen taken
        const names = ["Ana", BURST_NAME];
        const boReading = (async () => {
          const decoder = new TextDecoder();
          const buffer = new Uint8Array(256 * 1024);
          let pending = "";
          while (!boSawEnd) {
            const n = await bo.read(buffer);
            if (n === null) throw new Error(`Bo was disconnected ${boError}`);
            pending += decoder.decode(buffer.subarray(0, n), { stream: true });
            const cut = pending.lastIndexOf("\n") + 1;
            const lines = "\n" + pending.slice(0, cut); // searched with indexOf: cheap
            pending = pending.slice(cut);
            const now = Date.now();
            for (
              let at = lines.indexOf("\nAna: ");
              at !== -1;
              at = lines.indexOf("\nAna: ", at + 1)
            ) {
              const said = lines.slice(at + 6, lines.indexOf("\n", at + 1));
              if (said === "end") boSawEnd = true;
              else delays.push(now - Number(said.slice(2)));
            }
            for (const name of names) if (lines.includes(` is now ${name}\n`)) renamed.add(name);
            const spam = lines.lastIndexOf("\nSpam: ") + 1;
            if (spam > 0) boLastSpam = parseInt(lines.slice(spam + 6));
            if (!boError && lines.includes("\nerror: ")) {
              boError = lines.slice(lines.indexOf("\nerror: "));
            }
          }
        })();
        boReading.catch(() => {});
        // The flood starts once the room has taken Ana's and the burst's names (Bo was told).
        const named = Date.now() + 10_000;
        while (renamed.size < names.length && Date.now() < named) await delay(20);
        if (renamed.size < names.length) throw new Error(`Bo saw only ${[...renamed]} named`);
        // The flood: a student's client.ts, with this driver as seq (so that it knows the last
        // number) and a --timeout long enough for the pauses the room imposes on it.
        flooder = track(
          new Deno.Command(Deno.execPath(), {
            args: ["run", "--allow-net=127.0.0.1", "client.ts", "--port", `${server.port}`]
              .concat(["--name", "Spam", "--timeout", "60000"]),
            cwd: ROOT,
            stdin: "piped",
            stdout: "null",
            stderr: "null",
          }).spawn(),
        );
        const seq = flooder.stdin.getWriter();
        let flooding = true, number = 0;
        const seqDone = (async () => {
          while (flooding) {
            let lines = "";
            while (lines.length < 64 * 1024) lines += `${++number}\n`;
            await seq.write(encode(lines));
          }
          await seq.close();
        })();
        seqDone.catch(() => {});
        floodStarted = Date.now();
        let talking = true, said = 0;
        const speaking = (async () => {
          while (talking) {
            await writeAll(ana, encode(`t=${Date.now()}\n`));
            said++;
            await delay(200);
          }
        })();
        speaking.catch(() => {}); // awaited below
        await delay(1000); // on purpose: 1 s of flood before the burst
        await writeAll(burst, encode(`${"x".repeat(BURST_LONG)}\nxy`));
        await delay(600); // on purpose: the burst's pause (nothing reaches anyone for 0.6 s)
        await writeAll(burst, encode("ab\n".repeat(BURST_LINES)));
        await delay(Math.max(0, options.floodMs - (Date.now() - floodStarted)));
        flooding = false;
        floodEnd = number;
        talking = false;
        await speaking.catch((error) => {
          throw new Error(`Ana could not talk: ${error.message}`);
        });
        await writeAll(ana, encode("end\n"));
        await input.write(encode(`end ${said} ${BURST_LINES + 1}\n`));
        summary = JSON.parse(await readerLine(90_000, "the honest readers' summary"));
        await orTimeout(boReading, 30_000, "Bo reading to the end").catch((error) => {
          const state =
            `Bo saw Ana's end: ${boSawEnd}, flood ${boLastSpam} of ${floodEnd} ${boError}`;
          throw new Error(`${error.message} (${state}; readers: ${JSON.stringify(summary)})`);
        });
        // A newcomer is served while the prankster's idle connections are still there.
        const fresh = await connections.connect(server.port);
        const welcome = await readLine(fresh, 10_000);
        if (!welcome.startsWith("welcome to the chat")) {
          throw new Error(`a newcomer was not welcomed: ${JSON.stringify(welcome)}`);
        }
        newcomer = "a newcomer was welcomed";
        connections.close(fresh);
        connections.close(ana);
        connections.close(burst);
        await anaDrain.all.catch(() => {});
        await burstDrain.all.catch(() => {});
      });
    } finally {
      try {
        flooder?.kill("SIGKILL");
      } catch { /* it has exited */ }
      await flooder?.status;
      connections.closeAll();
      await input.close().catch(() => {});
      try {
        readers.kill("SIGKILL");
      } catch { /* it has exited */ }
      await readers.status;
      await readersOut.cancel().catch(() => {});
      await readersErr;
    }
  });
  await stopServer(server, failure, CHAT.script);
  const problems: string[] = [];
  for (const [i, member] of summary.entries()) {
    const name = `R${i}`;
    if (member.error) problems.push(`${name} got ${JSON.stringify(member.error)}`);
    else if (member.closed) problems.push(`${name} was disconnected`);
    if (member.gaps) problems.push(`${name} missed flood lines (${member.gaps} gaps)`);
    if (!member.end) problems.push(`${name} did not read to the end`);
    if ((member.burst as number) < BURST_LINES + 1) {
      problems.push(`${name} got ${member.burst} of ${BURST_LINES + 1} burst lines`);
    }
  }
  const spam = summary.map((member) => member.spam as number);
  const honest = summary.map((member) => member.honest as number);
  const mb = summary.map((member) => (member.got as number) / 1e6);
  // Each slow reader's delays, [sent, ms]: before and after the room slowed the flooder.
  const pairs = summary.flatMap((member) => member.delays as unknown as [number, number][]);
  const settled = floodStarted + options.settleMs;
  const early = Math.max(0, ...pairs.filter(([sent]) => sent < settled).map(([, ms]) => ms));
  const late = Math.max(0, ...pairs.filter(([sent]) => sent >= settled).map(([, ms]) => ms));
  const boWorst = Math.max(...delays);
  const dropped = summary.filter((member) => member.error || member.closed).length;
  const kept = problems.length === 0
    ? "none dropped, every line kept"
    : `${dropped} dropped, NOT every line kept`;
  const figure = `${options.readers} honest members reading at ${options.rate / 1e6} MB/s at ` +
    `most, ${kept}: the flood's 1 to ${count(Math.min(...spam))} or more (of ` +
    `${count(floodEnd)} typed in ${seconds(options.floodMs)} s) with no gap, ` +
    `${count(BURST_LINES + 1)} burst lines, ${Math.min(...honest)} honest lines; ` +
    `${Math.min(...mb).toFixed(1)}-${Math.max(...mb).toFixed(1)} MB read each. An honest line ` +
    `reached a prompt reader within ${Math.round(boWorst)} ms (${delays.length} lines), the ` +
    `slow readers within ${early} ms in the first ${seconds(options.settleMs)} s of flood ` +
    `(their socket buffers full of it), ${late} ms after; ${options.idle} idle connections ` +
    `held; ${newcomer}`;
  if (failure === undefined && problems.length > 0) {
    throw new Error(`${problems.slice(0, 5).join("; ")}: ${figure}`);
  }
  if (delays.length === 0 || boWorst > options.maxDelayMs) {
    throw new Error(`an honest line took too long: ${figure}`);
  }
  return figure;
}
