// The clients' language: client.ts and udp_client.ts speak Spanish where the system does
// (LC_ALL=es_AR.UTF-8) or with --lang es, English with --lang en (even on a Spanish system) and
// elsewhere. Each message family runs three ways: the system's Spanish, --lang es (on an English
// system) and --lang en (on a Spanish system). A Spanish run shows no English line of the
// script's own table (nor an English run a Spanish one), and the Spanish --explain trace keeps
// the step tags and the Python and Deno calls as they are, each line within 100 columns.
import assert from "node:assert/strict";
import { pathToFileURL } from "node:url";
import { readLine, readToEnd, writeAll } from "./helpers/io.ts";
import { freePort, ROOT } from "./helpers/process.ts";
import { freeUdpPort, UdpPeer } from "./helpers/udp.ts";

const encode = (text: string) => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** The three ways a family runs: which language the output must be in, and how it was asked. */
const WAYS = [
  { language: "es", env: "es_AR.UTF-8", flags: [] as string[] }, // the system's language
  { language: "es", env: "C", flags: ["--lang", "es"] }, // forced, on an English system
  { language: "en", env: "es_AR.UTF-8", flags: ["--lang=en"] }, // forced, on a Spanish system
] as const;
type Way = { language: "en" | "es"; env: string; flags: readonly string[] };

/** Run a client to its end with the locale `way.env` and its flags; killed after 20 s. */
async function client(script: string, way: Way, args: string[], denoFlags: string[] = []) {
  const net = script === "udp_client.ts" ? ["--unstable-net", "--allow-net"] : ["--allow-net"];
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...net, ...denoFlags, script, ...way.flags, ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", LC_ALL: way.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(20_000),
  }).output();
  const ran = { code, stdout: decode(stdout), stderr: decode(stderr) };
  await onlyItsLanguage(script, way, ran);
  return ran;
}

/** The words of one language in a script's MESSAGES table that the other language does not have. */
async function ownWords(script: string, language: "en" | "es"): Promise<string[]> {
  const url = pathToFileURL(`${ROOT}${script}`).href; // a script from before the table has none
  const table = ((await import(url)) as { MESSAGES?: Record<string, Record<string, unknown>> })
    .MESSAGES ?? {};
  const other = language === "en" ? "es" : "en";
  const words = new Set<string>();
  for (const entry of Object.values(table)) {
    const theirs = texts(entry[other]).join("\n");
    for (const text of texts(entry[language])) {
      for (const piece of text.split(/\0|\n/).map((piece) => piece.trim())) {
        if (/[a-záéíóúñ]{3}/i.test(piece) && !theirs.includes(piece)) words.add(piece);
      }
    }
  }
  return [...words];
}

/** A table entry's text: a function is called with "\0" for each argument, then with false. */
function texts(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (typeof value !== "function") return [];
  const call = value as (...args: unknown[]) => string;
  const marked = call(...Array(call.length).fill("\0"));
  return [marked, call(...Array(call.length).fill(false)).replaceAll("false", "\0")];
}

async function onlyItsLanguage(script: string, way: Way, ran: Ran) {
  const other = way.language === "en" ? "es" : "en";
  const output = `${ran.stdout}${ran.stderr}`;
  const found = (await ownWords(script, other)).filter((words) => appears(words, output));
  assert.deepEqual(found, [], `${script} ${way.flags.join(" ")} (LC_ALL=${way.env}): ${output}`);
}

/** Whether `words` stand in `text` as words ("tries" is not in "--retries"). */
function appears(words: string, text: string): boolean {
  const letter = /[\p{L}\d_-]/u;
  for (let at = text.indexOf(words); at !== -1; at = text.indexOf(words, at + 1)) {
    const before = letter.test(words[0]) && letter.test(text[at - 1] ?? "");
    const after = letter.test(words.at(-1)!) && letter.test(text[at + words.length] ?? "");
    if (!before && !after) return true;
  }
  return false;
}

/**
 * A TCP server on loopback that serves each connection with `serve`, until stop(); `released`
 * resolves at stop(), for a server that holds its connections open.
 */
function tcpServer(serve: (conn: Deno.Conn, released: Promise<void>) => Promise<unknown>) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let release = () => {};
  const released = new Promise<void>((resolve) => release = resolve);
  const served: Promise<unknown>[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      served.push(serve(conn, released).catch(() => {}).finally(() => conn.close()));
    }
  })();
  return {
    port: listener.addr.port,
    async stop() {
      release();
      listener.close();
      await accepting.catch(() => {});
      await Promise.all(served);
    },
  };
}

/** An echo server as the lesson's: a greeting, then each line back, then close at end of stream. */
async function echo(conn: Deno.Conn) {
  await writeAll(conn, encode("hola, soy el servidor\n"));
  await writeAll(conn, await readToEnd(conn));
}

// client.ts -------------------------------------------------------------------------------------

Deno.test("client.ts: a usage error and --help in each language", async () => {
  for (const way of WAYS) {
    const bad = await client("client.ts", way, ["--bogus"]);
    assert.equal(bad.code, 2);
    const badPort = await client("client.ts", way, ["--port", "70000"]);
    assert.equal(badPort.code, 2);
    const help = await client("client.ts", way, ["--help"]);
    assert.equal(help.code, 0);
    if (way.language === "es") {
      assert.match(bad.stderr, /^client\.ts: no existe la opción '--bogus'\nuso: deno run /);
      assert.match(badPort.stderr, /^client\.ts: --port tiene que ser un número entero de 1 a/);
      assert.match(help.stdout, /^uso: deno run --allow-net client\.ts .*\[--lang L\]/s);
      assert.match(help.stdout, /--lang L +el idioma de los mensajes: es o en/);
    } else {
      assert.match(bad.stderr, /^client\.ts: Unknown option '--bogus'\nusage: deno run /);
      assert.match(badPort.stderr, /^client\.ts: --port must be a whole number from 1 to 65535/);
      assert.match(help.stdout, /^usage: deno run --allow-net client\.ts .*\[--lang L\]/s);
      assert.match(help.stdout, /--lang L +the language of the messages: es or en/);
    }
  }
});

Deno.test("client.ts: a bad --lang is a usage error, in English", async () => {
  const spanishSystem = { language: "en", env: "es_AR.UTF-8", flags: [] } as const;
  const ran = await client("client.ts", spanishSystem, ["--lang", "fr", "hola"]);
  assert.equal(ran.code, 2);
  assert.match(ran.stderr, /^client\.ts: --lang must be es or en\nusage: deno run /);
});

Deno.test("client.ts: connection refused in each language", async () => {
  const port = freePort();
  for (const way of WAYS) {
    const ran = await client("client.ts", way, ["--port", `${port}`, "hola"]);
    assert.equal(ran.code, 1);
    assert.equal(
      ran.stderr,
      way.language === "es"
        ? `client.ts: 127.0.0.1:${port} rechazó la conexión: ¿está andando server.ts, y en ese ` +
          "puerto?\n"
        : `client.ts: connection refused by 127.0.0.1:${port}: is server.ts running, and on that ` +
          "port?\n",
    );
  }
});

Deno.test("client.ts: a server that never answers, in each language", async () => {
  // It reads all, answers nothing, and keeps the connection open.
  const server = tcpServer(async (conn, released) => {
    await readToEnd(conn);
    await released;
  });
  try {
    for (const way of WAYS) {
      const ran = await client("client.ts", way, [
        "--port",
        `${server.port}`,
        "--timeout",
        "300",
        "hola",
      ]);
      assert.equal(ran.code, 1);
      assert.equal(
        ran.stderr,
        way.language === "es"
          ? `client.ts: 127.0.0.1:${server.port} no mandó nada en 300 ms: 1 de 1 línea sin eco\n`
          : `client.ts: 127.0.0.1:${server.port} sent nothing for 300 ms: 1 of 1 line not echoed\n`,
      );
    }
  } finally {
    await server.stop();
  }
});

Deno.test("client.ts: the server's refusal line, relayed in each language", async () => {
  const server = tcpServer(async (conn) => {
    await writeAll(conn, encode("hola, soy el servidor\n"));
    await readLine(conn);
    await writeAll(conn, encode("error: no te entiendo\n")); // the server's words, as they are
  });
  try {
    for (const way of WAYS) {
      const ran = await client("client.ts", way, ["--port", `${server.port}`, "hola"]);
      assert.equal(ran.code, 1);
      assert.equal(ran.stdout, "hola, soy el servidor\nerror: no te entiendo\n");
      const address = `127.0.0.1:${server.port}`;
      assert.equal(
        ran.stderr,
        way.language === "es"
          ? `client.ts: ${address} cerró la conexión después de "error: no te entiendo": 1 de 1 ` +
            "línea sin eco\n"
          : `client.ts: ${address} closed the connection after "error: no te entiendo": 1 of 1 ` +
            "line not echoed\n",
      );
    }
  } finally {
    await server.stop();
  }
});

Deno.test("client.ts --explain: the Spanish trace keeps the calls and tags, within 100 columns", async () => {
  const server = tcpServer(echo);
  try {
    for (const way of WAYS) {
      const args = ["--port", `${server.port}`, "--explain", "hola", "qué tal"];
      const ran = await client("client.ts", way, args);
      assert.equal(ran.code, 0, ran.stderr);
      assert.equal(ran.stdout, "hola, soy el servidor\nhola\nqué tal\n");
      const calls = [
        "[steps 3-4] python: ",
        `s = socket.socket(); s.connect(("127.0.0.1", ${server.port}))`,
        `deno: Deno.connect({ hostname: "127.0.0.1", port: ${server.port} })`,
        "[step 5] python: s.sendall(data)  deno: conn.write()",
        "[step 5] python: s.shutdown(socket.SHUT_WR)  deno: conn.closeWrite()",
        "[step 5] python: s.recv(65536)  deno: conn.read(buffer) -> ",
        "[step 6] python: s.close()  deno: conn.close()",
      ];
      for (const call of calls) assert.ok(ran.stderr.includes(call), `${call}: ${ran.stderr}`);
      if (way.language === "en") {
        assert.match(ran.stderr, /conn\.closeWrite\(\) -> the server reads end of stream\n/);
        continue;
      }
      assert.match(ran.stderr, /deno: conn\.write\(\) hasta mandar todo -> 9 bytes\n/);
      assert.match(ran.stderr, /-> null: fin de los datos\n/);
      for (const line of ran.stderr.trimEnd().split("\n")) {
        assert.ok(line.length <= 100, `${line.length} columns: ${line}`);
      }
    }
  } finally {
    await server.stop();
  }
});

// udp_client.ts ---------------------------------------------------------------------------------

/** A UDP peer that answers each datagram with `answer` of it, until stop(). */
function udpServer(answer: (bytes: Uint8Array) => Uint8Array[]) {
  const peer = new UdpPeer();
  let stopped = false;
  const serving = (async () => {
    for (let count = 0; count < 1000 && !stopped; count++) {
      const got = await peer.receive(200);
      if (got === undefined) continue;
      for (const bytes of answer(got[0])) await peer.send(bytes, got[1].port);
    }
  })();
  return {
    port: peer.port,
    async stop() {
      stopped = true;
      await serving;
      await peer.close();
    },
  };
}

Deno.test("udp_client.ts: a usage error and --help in each language", async () => {
  for (const way of WAYS) {
    const bad = await client("udp_client.ts", way, ["--retries", "x"]);
    assert.equal(bad.code, 2);
    const help = await client("udp_client.ts", way, ["--help"]);
    assert.equal(help.code, 0);
    const tooLong = await client("udp_client.ts", way, ["x".repeat(65508)]);
    assert.equal(tooLong.code, 2);
    if (way.language === "es") {
      assert.match(bad.stderr, /^udp_client\.ts: --retries tiene que ser un número entero de 0/);
      assert.match(bad.stderr, /\nuso: deno run --unstable-net --allow-net udp_client\.ts /);
      assert.match(help.stdout, /^uso: deno run .*\[--lang L\].*\nSolo las respuestas /s);
      assert.equal(
        tooLong.stderr,
        "udp_client.ts: el mensaje 1 tiene 65508 bytes: en un datagrama UDP entran 65.507 como " +
          "mucho\n",
      );
    } else {
      assert.match(bad.stderr, /^udp_client\.ts: --retries must be a whole number from 0 to 100/);
      assert.match(bad.stderr, /\nusage: deno run --unstable-net --allow-net udp_client\.ts /);
      assert.match(help.stdout, /^usage: deno run .*\[--lang L\].*\nOnly the server's replies /s);
      assert.equal(
        tooLong.stderr,
        "udp_client.ts: message 1 is 65508 bytes: a UDP datagram holds at most 65,507\n",
      );
    }
  }
});

Deno.test("udp_client.ts: no server, no reply, in each language", async () => {
  const port = freeUdpPort();
  for (const way of WAYS) {
    const args = ["--port", `${port}`, "--timeout", "200", "--retries", "1", "hola"];
    const ran = await client("udp_client.ts", way, args);
    assert.equal(ran.code, 1);
    assert.equal(
      ran.stderr,
      way.language === "es"
        ? `udp_client.ts: sin respuesta de 127.0.0.1:${port} tras 2 intentos: ¿está andando ` +
          "udp_server.ts? UDP nunca te avisa\n"
        : `udp_client.ts: no reply from 127.0.0.1:${port} after 2 tries: is udp_server.ts ` +
          "running? UDP itself never tells you\n",
    );
  }
});

// Deno's --preload (2.4 and later) runs tests/windows_udp_reset.ts first: Windows' refusal.
const PRELOAD = decode(
  (await new Deno.Command(Deno.execPath(), { args: ["run", "--help"], stdin: "null" }).output())
    .stdout,
).includes("--preload");

Deno.test({
  name: `udp_client.ts: a refusal from the server's system (ConnectionReset), in each language${
    PRELOAD ? "" : " (ignored: this Deno has no --preload)"
  }`,
  ignore: !PRELOAD,
  async fn() {
    const port = freeUdpPort();
    const preload = ["--preload", `${ROOT}tests/windows_udp_reset.ts`];
    for (const way of WAYS) {
      const args = ["--port", `${port}`, "--timeout", "200", "--retries", "0", "hola"];
      const ran = await client("udp_client.ts", way, args, preload);
      assert.equal(ran.code, 1);
      assert.equal(
        ran.stderr,
        way.language === "es"
          ? `udp_client.ts: sin respuesta de 127.0.0.1:${port} tras 1 intento: su sistema ` +
            "contestó que en ese puerto no escucha nadie (ConnectionReset): ¿está andando " +
            "udp_server.ts, y en ese puerto?\n"
          : `udp_client.ts: no reply from 127.0.0.1:${port} after 1 try: its system answered ` +
            "that nothing listens on that port (ConnectionReset): is udp_server.ts running, and " +
            "on that port?\n",
      );
    }
  },
});

Deno.test("udp_client.ts: a stale reply told, the reply shown, in each language", async () => {
  const server = udpServer((bytes) => [encode("viejo"), bytes]); // a late reply first, then ours
  try {
    for (const way of WAYS) {
      const ran = await client("udp_client.ts", way, ["--port", `${server.port}`, "hola"]);
      assert.equal(ran.code, 0, ran.stderr);
      if (way.language === "es") {
        assert.match(ran.stdout, /^hola {2}\(respuesta en \d+\.\d ms, 1 intento\)\n$/);
        assert.equal(ran.stderr, 'udp_client.ts: respuesta atrasada 1 ignorada: "viejo"\n');
      } else {
        assert.match(ran.stdout, /^hola {2}\(reply in \d+\.\d ms, 1 try\)\n$/);
        assert.equal(ran.stderr, 'udp_client.ts: stale reply 1 ignored: "viejo"\n');
      }
    }
  } finally {
    await server.stop();
  }
});

Deno.test("udp_client.ts --explain: the Spanish trace keeps the calls and tags, within 100 columns", async () => {
  const server = udpServer((bytes) => [bytes]);
  try {
    for (const way of WAYS) {
      const ran = await client("udp_client.ts", way, [
        "--port",
        `${server.port}`,
        "--explain",
        "hola",
      ]);
      assert.equal(ran.code, 0, ran.stderr);
      const calls = [
        "[step 3] python: socket(AF_INET, SOCK_DGRAM)",
        'deno: Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 })',
        "[step 4] python: (",
        "[step 5] python: sendto(data, addr)  deno: socket.send(data, addr) -> ",
        "[step 5] python: recvfrom(65507)  deno: socket.receive() -> ",
        "[step 6] python: close()  deno: socket.close() -> ",
      ];
      for (const call of calls) assert.ok(ran.stderr.includes(call), `${call}: ${ran.stderr}`);
      if (way.language === "en") {
        assert.match(ran.stderr, /socket\.send\(data, addr\) -> try 1 of 4\n/);
        continue;
      }
      assert.match(ran.stderr, /socket\.send\(data, addr\) -> intento 1 de 4\n/);
      assert.match(ran.stderr, /socket\.receive\(\) -> llegan 4 bytes\n/);
      assert.match(ran.stderr, /-> UDP no tiene conexión: cada sendto\(\) nombra a 127\.0\.0\.1:/);
      for (const line of ran.stderr.trimEnd().split("\n")) {
        assert.ok(line.length <= 100, `${line.length} columns: ${line}`);
      }
    }
  } finally {
    await server.stop();
  }
});
