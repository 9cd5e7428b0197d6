// What the clients do where Windows (or macOS) differs from Linux, made to happen here:
// - a line typed at a Windows console ends in "\r\n": client.ts sends it as typed, "\n" only
//   (a pseudo-terminal that keeps the "\r" stands in for the console);
// - Windows reports a datagram sent to a closed port as ConnectionReset on the next receive:
//   udp_client.ts waits its timeout all the same before it sends again (tests/windows_udp_reset.ts);
// - the system's error numbers differ (no route: 113 on Linux, 65 on macOS, 10065 on Windows):
//   each client gives the same friendly line on each system (a preloaded module plays the system).
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { decode, encode } from "./helpers/io.ts";
import { UdpPeer } from "./helpers/udp.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const RESET = fileURLToPath(new URL("windows_udp_reset.ts", import.meta.url));
const help = await new Deno.Command(Deno.execPath(), { args: ["run", "--help"], stdin: "null" })
  .output();
const PRELOAD = decode(help.stdout).includes("--preload");
const NO_PRELOAD = "needs deno run --preload (Deno 2.4 and later)";
const ignoredUnless = (ok: boolean, why: string) => ok ? "" : ` (IGNORED: ${why})`;

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(command: string, args: string[], stdin?: Uint8Array): Promise<Ran> {
  const child = new Deno.Command(command, {
    args,
    cwd: ROOT,
    env: { NO_COLOR: "1", LC_ALL: "C" },
    stdin: stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).spawn();
  if (stdin) {
    const writer = child.stdin.getWriter();
    await writer.write(stdin);
    await writer.close();
  }
  const out = await child.output();
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

/** An echo server that greets, keeps every byte it was sent, and echoes until end of stream. */
function recordingServer() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let received = new Uint8Array();
  const served = (async () => {
    const conn = await listener.accept();
    await conn.write(encode("welcome\n"));
    const buffer = new Uint8Array(1024);
    while (true) {
      const count = await conn.read(buffer);
      if (count === null) break;
      received = new Uint8Array([...received, ...buffer.subarray(0, count)]);
      await conn.write(buffer.subarray(0, count));
    }
    conn.close();
  })();
  return {
    port: listener.addr.port,
    async received() {
      await served;
      listener.close();
      return received;
    },
  };
}

const python = await new Deno.Command("python3", { args: ["--version"], stdout: "null" }).output()
  .then((out) => out.success, () => false);
const PTY = Deno.build.os !== "windows" && python;

// A terminal whose Enter gives "\r\n", as a Windows console's does: ICRNL off keeps the "\r".
const CONSOLE = `
import os, pty, subprocess, sys, termios
master, slave = pty.openpty()
attrs = termios.tcgetattr(slave)
attrs[0] &= ~termios.ICRNL
attrs[3] &= ~termios.ECHO
termios.tcsetattr(slave, termios.TCSANOW, attrs)
child = subprocess.Popen(sys.argv[2:], stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
os.close(slave)
for line in sys.argv[1].split(","):
    os.write(master, bytes.fromhex(line))
os.write(master, b"\\x04")
out, err = child.communicate(timeout=20)
sys.stdout.buffer.write(out)
sys.stderr.buffer.write(err)
sys.exit(child.returncode)
`;

Deno.test({
  name: `client.ts sends a line typed at a console as typed, without the console's "\\r"${
    ignoredUnless(PTY, "needs python3 and a pseudo-terminal (not Windows)")
  }`,
  ignore: !PTY,
  async fn() {
    const server = recordingServer();
    const client = ["run", "--allow-net", "client.ts", "--port", `${server.port}`];
    const lines = typing("hola\r\n", "qué tal\r\n");
    const ran = await run("python3", ["-c", CONSOLE, lines, Deno.execPath(), ...client]);
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal(ran.stderr, "");
    assert.equal(decode(await server.received()), "hola\nqué tal\n");
    assert.equal(ran.stdout, "welcome\nhola\nqué tal\n");
  },
});

/** Lines to type, as hex for the console script: text, or bytes as they are. */
function typing(...lines: (string | number[])[]): string {
  const hex = (bytes: Iterable<number>) =>
    [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  return lines.map((line) => hex(typeof line === "string" ? encode(line) : line)).join(",");
}

Deno.test({
  name: `client.ts says once when a console passes typed text on in its code page, not UTF-8${
    ignoredUnless(PTY, "needs python3 and a pseudo-terminal (not Windows)")
  }`,
  ignore: !PTY,
  async fn() {
    // "qué" as a Spanish Windows console gives it (code page 850: é is 0x82), twice; then as
    // Windows 10's console gives it under chcp 65001 (a 0 byte for the é).
    const cp850 = [...encode("qu"), 0x82, 0x0d, 0x0a];
    for (
      const [line, said] of [[cp850, /not pass on UTF-8.*chcp 65001/], [
        [0x71, 0, 13, 10],
        /0 byte.*arguments/,
      ]] as const
    ) {
      const server = recordingServer();
      const client = ["run", "--allow-net", "client.ts", "--port", `${server.port}`];
      const ran = await run("python3", [
        "-c",
        CONSOLE,
        typing([...line], [...line]),
        Deno.execPath(),
        ...client,
      ]);
      assert.equal(ran.code, 0, ran.stderr);
      const warnings = ran.stderr.split("\n").filter(Boolean);
      assert.equal(warnings.length, 1, ran.stderr);
      assert.match(warnings[0], /^client\.ts: the terminal /);
      assert.match(warnings[0], said);
      const sent = [...line.slice(0, -2), 10]; // as it came, without the console's "\r"
      assert.deepEqual([...await server.received()], [...sent, ...sent]);
    }
  },
});

Deno.test("client.ts sends piped input byte for byte, a \\r before \\n included", async () => {
  const server = recordingServer();
  const client = ["run", "--allow-net", "client.ts", "--port", `${server.port}`];
  const ran = await run(Deno.execPath(), client, encode("hola\r\nchau\n"));
  assert.equal(ran.code, 0, ran.stderr);
  assert.equal(decode(await server.received()), "hola\r\nchau\n");
});

Deno.test({
  name: `udp_client.ts waits its timeout after a ConnectionReset before it sends again${
    ignoredUnless(PRELOAD, NO_PRELOAD)
  }`,
  ignore: !PRELOAD,
  async fn() {
    const nobody = new UdpPeer(); // takes every datagram, never answers
    try {
      const args = ["--port", `${nobody.port}`, "--timeout", "400", "--retries", "2", "hola"];
      const client = run(Deno.execPath(), [
        "run",
        "--allow-net",
        "--preload",
        RESET,
        "udp_client.ts",
        ...args,
      ]);
      const arrivals: number[] = [];
      for (let i = 0; i < 3; i++) {
        const got = await nobody.receive(10_000);
        assert.ok(got, `try ${i + 1} never came`);
        arrivals.push(performance.now());
      }
      const ran = await client;
      assert.equal(ran.code, 1);
      for (let i = 1; i < arrivals.length; i++) {
        const gap = arrivals[i] - arrivals[i - 1];
        assert.ok(gap >= 350, `try ${i + 1} came ${gap.toFixed(0)} ms after try ${i}`);
      }
      assert.equal(
        ran.stderr,
        `udp_client.ts: no reply from 127.0.0.1:${nobody.port} after 3 tries: its system answered ` +
          "that nothing listens on that port (ConnectionReset): is udp_server.ts running, and on " +
          "that port?\n",
      );
    } finally {
      await nobody.close();
    }
  },
});

/** A module to preload: Deno.build.os is `os`, and every connect or send fails with `error`. */
async function systemPlayedBy(os: string, error: string): Promise<string> {
  const path = await Deno.makeTempFile({ prefix: "os_error_", suffix: ".ts" });
  await Deno.writeTextFile(
    path,
    `Object.defineProperty(Deno, "build", { value: { ...Deno.build, os: "${os}" } });
const fails = () => Promise.reject(${error});
Object.defineProperty(Deno, "connect", { value: fails });
const listenDatagram = Deno.listenDatagram;
Object.defineProperty(Deno, "listenDatagram", {
  value: (options: Deno.UdpListenOptions & { transport: "udp" }) =>
    Object.assign(listenDatagram(options), { send: fails }),
});
`,
  );
  return path;
}

// What each system says (Deno's kind where it has one), and the line the clients print for it.
const SYSTEMS: [string, string, string][] = [
  ["linux", `new Error("No route to host (os error 113)")`, "no route to"],
  ["darwin", `new Error("No route to host (os error 65)")`, "no route to"],
  [
    "windows",
    `new Error("A socket operation was attempted to an unreachable host. (os error 10065)")`,
    "no route to",
  ],
  [
    "linux",
    `new Deno.errors.NetworkUnreachable("Network is unreachable (os error 101)")`,
    "network unreachable for",
  ],
  ["darwin", `new Error("Network is unreachable (os error 51)")`, "network unreachable for"],
  [
    "windows",
    `new Error("A socket operation was attempted to an unreachable network. (os error 10051)")`,
    "network unreachable for",
  ],
  ["windows", `new Error("No such host is known. (os error 11001)")`, "unknown host name"],
  ["darwin", `new Error("Operation timed out (os error 60)")`, "no answer from"],
  [
    "windows",
    `new Deno.errors.TimedOut("A connection attempt failed (os error 10060)")`,
    "no answer",
  ],
];

Deno.test({
  name:
    `client.ts and udp_client.ts give the same line for the same failure on Linux, macOS and Windows${
      ignoredUnless(PRELOAD, NO_PRELOAD)
    }`,
  ignore: !PRELOAD,
  async fn() {
    for (const [os, error, line] of SYSTEMS) {
      const preload = await systemPlayedBy(os, error);
      try {
        const host = line === "unknown host name" ? "aula-profe" : "10.0.0.9";
        const tcp = await run(Deno.execPath(), [
          "run",
          "--allow-net",
          "--preload",
          preload,
          "client.ts",
          "--host",
          host,
          "hola",
        ]);
        assert.equal(tcp.code, 1, `${os} ${error}: ${tcp.stderr}`);
        assert.ok(tcp.stderr.startsWith(`client.ts: ${line} `), `${os} ${error}: ${tcp.stderr}`);
        if (line.startsWith("no answer") || line.startsWith("unknown")) continue; // TCP only
        const udp = await run(Deno.execPath(), [
          "run",
          "--allow-net",
          "--preload",
          preload,
          "udp_client.ts",
          "--host",
          host,
          "hola",
        ]);
        assert.equal(udp.code, 1, `${os} ${error}: ${udp.stderr}`);
        assert.ok(
          udp.stderr.startsWith(`udp_client.ts: ${line} `),
          `${os} ${error}: ${udp.stderr}`,
        );
      } finally {
        await Deno.remove(preload);
      }
    }
  },
});
