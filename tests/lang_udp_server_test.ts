// udp_server.ts speaks the class's language: every line for a person in Spanish where the system's
// language is Spanish (LC_ALL=es_AR.UTF-8) or with --lang es, in English otherwise (LC_ALL=C, or
// --lang en). The first line `listening on HOST:PORT`, the trace's step tags and its Python and
// Deno calls, numbers, addresses and flags stay the same in both.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { delay, encode } from "./helpers/io.ts";
import { type Finished, LISTENING, type RunningServer, startServer } from "./helpers/process.ts";
import { freeUdpPort, UdpPeer } from "./helpers/udp.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const NET = ["--unstable-net", "--allow-net"];
type Language = "es" | "en";

/** The ways to ask for each language: the system's (LC_ALL), and --lang against the other one. */
interface Way {
  name: string;
  language: Language;
  env: Record<string, string>;
  args: string[];
}
const WAYS: Way[] = [
  { name: "LC_ALL=es_AR.UTF-8", language: "es", env: { LC_ALL: "es_AR.UTF-8" }, args: [] },
  { name: "--lang es", language: "es", env: { LC_ALL: "C" }, args: ["--lang", "es"] },
  { name: "LC_ALL=C", language: "en", env: { LC_ALL: "C" }, args: [] },
  { name: "--lang en", language: "en", env: { LC_ALL: "es_AR.UTF-8" }, args: ["--lang", "en"] },
];

// Deno takes the system's language from the locale's name, installed or not; where it does not
// (navigator.language is then "und"), the LC_ALL=es_AR.UTF-8 runs cannot be Spanish: skipped.
const probe = await new Deno.Command(Deno.execPath(), {
  args: ["eval", "console.log(navigator.language)"],
  env: { LC_ALL: "es_AR.UTF-8" },
}).output();
const SYSTEM_SPANISH = new TextDecoder().decode(probe.stdout).trim().startsWith("es");
const ways = WAYS.filter((way) => {
  if (SYSTEM_SPANISH || way.name !== "LC_ALL=es_AR.UTF-8") return true;
  console.log(`lang_udp_server_test.ts: skipping ${way.name}: Deno gives no Spanish for it here`);
  return false;
});

/**
 * What a run of one language must not print: the pieces of the other language's messages in
 * udp_server.ts's MESSAGES table (each message cut at its parameters and at line ends) that have
 * words (two or more) and are not also in the first language's text of the same message (the
 * flags of the usage, say). Empty if the table cannot be read: the test that needs it fails.
 */
const MARK = "\u0001";
const table = await import(new URL("../udp_server.ts", import.meta.url).href)
  .then((module) => module.MESSAGES as Record<string, Record<Language, unknown>> | undefined)
  .catch(() => undefined);
function pieces(message: unknown): string[] {
  const said = typeof message === "function" ? message(MARK, MARK, MARK, MARK) : `${message}`;
  return `${said}`.split(new RegExp(`${MARK}|\\n`)).map((piece) => piece.trim());
}
function foreign(language: Language): string[] {
  const other = language === "es" ? "en" : "es";
  const found = [];
  for (const both of Object.values(table ?? {})) {
    const own = pieces(both[language]).join("\n");
    for (const piece of pieces(both[other])) {
      if (/\p{L}{2,}\S*\s+\S*\p{L}{2,}/u.test(piece) && !own.includes(piece)) found.push(piece);
    }
  }
  return found;
}
const FOREIGN = { es: foreign("es"), en: foreign("en") };

function assertOnly(language: Language, printed: string, what: string) {
  assert.ok(table, "udp_server.ts exports no MESSAGES table (es and en side by side)");
  const left = FOREIGN[language].filter((piece) => printed.includes(piece));
  assert.deepEqual(
    left,
    [],
    `${what}: ${language} run with words of the other language:\n${printed}`,
  );
}

/** udp_server.ts to its end (it ends by itself: a usage error, --help, a port in use). */
async function runServer(args: string[], env: Record<string, string>): Promise<Finished> {
  const { code, signal, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...NET, "udp_server.ts", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    signal: AbortSignal.timeout(30_000),
  }).output();
  const decoder = new TextDecoder();
  return { code, signal, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

function startUdp(way: Way, args: string[], denoFlags = NET, port?: number) {
  const options = { script: "udp_server.ts", denoFlags, env: way.env, port };
  return startServer([...way.args, ...args], options);
}

/** Wait (at most 10 s) until the server's stdout or stderr matches, doing `poke` meanwhile. */
async function until(server: RunningServer, pattern: RegExp, poke = async () => {}) {
  const deadline = Date.now() + 10_000;
  while (!pattern.test(server.stdout() + server.stderr()) && Date.now() < deadline) {
    await poke();
    await delay(50);
  }
}

/** Send `text` from `peer` until the server's reply comes (at most 20 tries of 500 ms). */
async function sendUntilEchoed(peer: UdpPeer, port: number, text: string) {
  for (let tries = 0; tries < 20; tries++) {
    await peer.send(encode(text), port);
    if (await peer.receive(500)) return;
  }
  assert.fail(`no reply to ${text} in 20 tries`);
}

const LOG = {
  es: {
    dropped: /^descartados 4 bytes de 127\.0\.0\.1:\d+: "hola" \(--drop 0\.5\)$/m,
    echoed: /^devueltos 4 bytes a 127\.0\.0\.1:\d+: "hola"$/m,
  },
  en: {
    dropped: /^dropped 4 bytes from 127\.0\.0\.1:\d+: "hola" \(--drop 0\.5\)$/m,
    echoed: /^echoed 4 bytes to 127\.0\.0\.1:\d+: "hola"$/m,
  },
};

Deno.test("udp_server.ts in each language: the log of each datagram, dropped or echoed; the first line never changes", async () => {
  for (const way of ways) {
    // --seed 1 drops the first two datagrams.
    const server = await startUdp(way, ["--drop", "0.5", "--seed", "1"]);
    const peer = new UdpPeer();
    let finished: Finished;
    try {
      await sendUntilEchoed(peer, server.port, "hola");
    } finally {
      await peer.close();
      finished = await server.stop();
    }
    assert.equal(finished.code, 0, `${way.name}: ${finished.stderr}`);
    assert.match(finished.stdout.split("\n")[0], LISTENING, way.name);
    assert.match(finished.stdout, LOG[way.language].dropped, way.name);
    assert.match(finished.stdout, LOG[way.language].echoed, way.name);
    assertOnly(way.language, finished.stdout + finished.stderr, way.name);
  }
});

const CANNOT_REPLY = {
  es: /^udp_server\.ts: no se puede responder a 127\.0\.0\.1:\d+: Requires net access/m,
  en: /^udp_server\.ts: cannot reply to 127\.0\.0\.1:\d+: Requires net access/m,
};

Deno.test("udp_server.ts in each language: a reply its permission does not allow", async () => {
  for (const way of ways) {
    const port = freeUdpPort();
    const flags = ["--unstable-net", `--allow-net=127.0.0.1:${port}`];
    const server = await startUdp(way, [], flags, port);
    const peer = new UdpPeer();
    let finished: Finished;
    try {
      const send = async () => void await peer.send(encode("¿me oís?"), server.port);
      await until(server, CANNOT_REPLY[way.language], send);
    } finally {
      await peer.close();
      finished = await server.stop();
    }
    assert.equal(finished.code, 0, way.name);
    assert.match(finished.stderr, CANNOT_REPLY[way.language], way.name);
    assertOnly(way.language, finished.stdout + finished.stderr, way.name);
  }
});

const GUARD = {
  es: {
    rate:
      /^datagrama de 127\.0\.0\.1:\d+ ignorado: más de 1 por segundo, --max-rate \(freno de bucles de eco\)$/m,
    loop:
      /^datagrama de 127\.0\.0\.1:\d+ ignorado: nuestras respuestas volvieron 50 veces seguidas \(freno de bucles de eco\)$/m,
    server:
      /^datagrama de 127\.0\.0\.2:\d+ ignorado: viene de un puerto de servidor \(freno de bucles de eco\)$/m,
  },
  en: {
    rate:
      /^ignored datagram from 127\.0\.0\.1:\d+: over 1 a second, --max-rate \(echo loop guard\)$/m,
    loop:
      /^ignored datagram from 127\.0\.0\.1:\d+: its own replies came back 50 times in a row \(echo loop guard\)$/m,
    server: /^ignored datagram from 127\.0\.0\.2:\d+: a server port \(echo loop guard\)$/m,
  },
};

Deno.test("udp_server.ts in each language: the echo loop guard's line, for each of its three reasons", async () => {
  for (const way of ways) {
    const expected = GUARD[way.language];
    // Over --max-rate: 1 a second, in bursts of 2; the third datagram at once is over.
    const rated = await startUdp(way, ["--max-rate", "1"]);
    const peer = new UdpPeer();
    try {
      const flood = async () => {
        for (let i = 0; i < 3; i++) await peer.send(encode(`uno más ${i}`), rated.port);
      };
      await until(rated, expected.rate, flood);
    } finally {
      await peer.close();
    }
    const afterRate = await rated.stop();
    assert.match(afterRate.stdout, expected.rate, way.name);

    // Its own replies, sent back at once by another "echo server" (this test): cut after 50.
    const looped = await startUdp(way, []);
    const echo = new UdpPeer();
    try {
      await echo.send(encode("¿un bucle?"), looped.port);
      for (let bounces = 0; bounces < 100; bounces++) {
        const got = await echo.receive(1000);
        if (!got) break;
        await echo.send(got[0], looped.port);
      }
    } finally {
      await echo.close();
    }
    const afterLoop = await looped.stop();
    assert.match(afterLoop.stdout, expected.loop, way.name);

    // From a server's port: its own port, on another address (Python may use 127.0.0.2).
    const guarded = await startUdp(way, []);
    const send = async () => {
      const code = "import socket, sys\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n" +
        "s.bind(('127.0.0.2', int(sys.argv[1])))\ns.sendto(b'eco?', ('127.0.0.1', int(sys.argv[1])))";
      const args = ["-c", code, `${guarded.port}`];
      await new Deno.Command("python3", { args, signal: AbortSignal.timeout(10_000) }).output();
    };
    await until(guarded, expected.server, send);
    const afterServer = await guarded.stop();
    assert.match(afterServer.stdout, expected.server, way.name);
    for (const finished of [afterRate, afterLoop, afterServer]) {
      assert.equal(finished.code, 0, way.name);
      assertOnly(way.language, finished.stdout + finished.stderr, way.name);
    }
  }
});

Deno.test("udp_server.ts --help in each language, --lang in it", async () => {
  for (const way of ways) {
    const help = await runServer([...way.args, "--help"], way.env);
    assert.equal(help.code, 0, way.name);
    assert.equal(help.stderr, "", way.name);
    const first = way.language === "es" ? "uso: " : "usage: ";
    assert.ok(
      help.stdout.startsWith(`${first}deno run --unstable-net --allow-net udp_server.ts`),
      `${way.name}: ${help.stdout}`,
    );
    assert.match(help.stdout, /^ {2}--lang L {8}\S/m, way.name);
    for (const line of help.stdout.split("\n")) assert.ok(line.length <= 100, line);
    assertOnly(way.language, help.stdout, way.name);
  }
});

const USAGE_ERRORS: [string[], Record<Language, string>][] = [
  [["--port", "abc"], {
    es: "--port tiene que ser un número entero de 0 a 65535",
    en: "--port must be a whole number from 0 to 65535",
  }],
  [["--drop", "2"], {
    es: "--drop tiene que ser un número de 0 a 1, como 0.5",
    en: "--drop must be a number from 0 to 1, like 0.5",
  }],
  [["--bogus"], { es: "no existe la opción '--bogus'", en: "Unknown option '--bogus'" }],
  [["--port"], {
    es: "a '--port' le falta su valor",
    en: "Option '--port <value>' argument missing",
  }],
  [["--quiet=1"], {
    es: "'--quiet' no lleva valor",
    en: "Option '--quiet' does not take an argument",
  }],
];

Deno.test("udp_server.ts in each language: a usage error, its line and the usage, exit 2; a bad --lang is told in English", async () => {
  for (const way of ways) {
    for (const [args, said] of USAGE_ERRORS) {
      // --lang first: the bad flag comes after it, so that it is read before the error.
      const bad = await runServer([...way.args, ...args], way.env);
      assert.equal(bad.code, 2, `${way.name} ${args}`);
      assert.equal(bad.stdout, "");
      const usage = way.language === "es" ? "uso: " : "usage: ";
      assert.ok(
        bad.stderr.startsWith(`udp_server.ts: ${said[way.language]}\n${usage}deno run `),
        `${way.name} ${args}: ${bad.stderr}`,
      );
      assertOnly(way.language, bad.stderr, `${way.name} ${args}`);
    }
    const badLang = await runServer(["--lang", "fr"], way.env);
    assert.equal(badLang.code, 2);
    assert.ok(badLang.stderr.startsWith("udp_server.ts: --lang must be es or en\nusage: "));
  }
});

const IN_USE = {
  es: (port: number) =>
    `udp_server.ts: el puerto UDP ${port} ya está en uso en 127.0.0.1: pará el otro servidor, ` +
    "o usá --port\n",
  en: (port: number) =>
    `udp_server.ts: UDP port ${port} is in use on 127.0.0.1: stop the other server, or use --port\n`,
};

Deno.test("udp_server.ts in each language: the port in use, one line, exit 1", async () => {
  const holder = await startUdp(WAYS[2], ["--quiet"]);
  try {
    for (const way of ways) {
      const args = [...way.args, "--host", "127.0.0.1", "--port", `${holder.port}`];
      const second = await runServer(args, way.env);
      assert.equal(second.code, 1, way.name);
      assert.equal(second.stdout, "", way.name);
      assert.equal(second.stderr, IN_USE[way.language](holder.port), way.name);
    }
  } finally {
    await holder.stop();
  }
});

/** The calls each trace line must carry, in both languages, and the Spanish words after "->". */
const CALLS = [
  '[steps 4-5] python: socket(AF_INET, SOCK_DGRAM) + bind(("127.0.0.1", 0))',
  'deno: Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 })',
  "[step 7] python: data, addr = recvfrom(65507)  deno: socket.receive() -> ",
  "[step 8] python: sendto(data, addr)  deno: socket.send(data, addr) -> ",
  "[step 9] python: close()  deno: socket.close() -> ",
];
const TRACE = {
  es: [
    /-> asociado a 127\.0\.0\.1:\d+, sin listen\(\) \(paso 6\): UDP no espera conexiones$/m,
    /^\[step 7\] .* -> llegan 4 bytes de 127\.0\.0\.1:\d+$/m,
    /^\[step 8\] python: \(sin sendto\) {2}deno: \(sin socket\.send\) -> descartado adrede: 127\.0\.0\.1:\d+ nunca se entera$/m,
    /^\[step 8\] python: sendto\(data, addr\) {2}deno: socket\.send\(data, addr\) -> 4 bytes de vuelta$/m,
    /^\[step 9\] python: close\(\) {2}deno: socket\.close\(\) -> cerrado el único socket, el que atendió a todos$/m,
  ],
  en: [
    /-> bound to 127\.0\.0\.1:\d+, and no listen\(\) \(step 6\): UDP has no connections to wait for$/m,
    /^\[step 7\] .* -> got 4 bytes from 127\.0\.0\.1:\d+$/m,
    /^\[step 8\] python: \(no sendto\) {2}deno: \(no socket\.send\) -> dropped on purpose: 127\.0\.0\.1:\d+ is never told$/m,
    /^\[step 8\] python: sendto\(data, addr\) {2}deno: socket\.send\(data, addr\) -> 4 bytes back$/m,
    /^\[step 9\] python: close\(\) {2}deno: socket\.close\(\) -> closed the one socket that served every client$/m,
  ],
};

Deno.test("udp_server.ts --explain in each language: the calls and tags verbatim, the words translated, Spanish lines within 100 columns", async () => {
  for (const way of ways) {
    const server = await startUdp(way, ["--explain", "--drop", "0.5", "--seed", "1"]);
    const peer = new UdpPeer();
    let finished: Finished;
    try {
      await sendUntilEchoed(peer, server.port, "hola");
    } finally {
      await peer.close();
      finished = await server.stop();
    }
    assert.equal(finished.code, 0, way.name);
    assert.match(finished.stdout.split("\n")[0], LISTENING, way.name);
    // A Spanish line that would pass 100 columns goes on below, cut before "deno:" or "->".
    const trace = finished.stdout.replace(/\n +(deno: )/g, "  $1").replace(/\n +(-> )/g, " $1");
    for (const call of CALLS) assert.ok(trace.includes(call), `${way.name}: ${call}\n${trace}`);
    for (const line of TRACE[way.language]) assert.match(trace, line, way.name);
    if (way.language === "es") {
      const wide = finished.stdout.split("\n").filter((line) => line.length > 100);
      assert.deepEqual(wide, [], `${way.name}: lines over 100 columns`);
    }
    assertOnly(way.language, finished.stdout + finished.stderr, way.name);
  }
});
