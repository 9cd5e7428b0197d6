// server.ts's language: Spanish where the system speaks it (LC_ALL=es_AR.UTF-8) or with --lang es,
// English with --lang en (even on a Spanish system) and elsewhere. Each message family runs four
// ways (two Spanish, two English): the welcome and the log, the refusals, the --explain trace,
// --help, usage errors and the errors of listening. A Spanish run shows no English text of
// server.ts's own table (nor an English run a Spanish one); "listening on HOST:PORT" is the same
// in both; the Spanish trace keeps the step tags and the Python and Deno calls as they are, each
// line within 100 columns.
import assert from "node:assert/strict";
import { pathToFileURL } from "node:url";
import { encode, readLine, readToEnd, waitUntil, within, writeAll } from "./helpers/io.ts";
import { freePort, ROOT, startServer, startUnread } from "./helpers/process.ts";

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const WELCOME = "cada línea que mandes vuelve a vos\n"; // after "bienvenido: "

/** The four ways a family runs: the language its output must be in, and how it was asked. */
const WAYS = [
  { language: "es", env: "es_AR.UTF-8", flags: [] as string[] }, // the system's language
  { language: "es", env: "C", flags: ["--lang", "es"] }, // forced, on an English system
  { language: "en", env: "es_AR.UTF-8", flags: ["--lang=en"] }, // forced, on a Spanish system
  { language: "en", env: "C", flags: [] as string[] }, // the system's language: English
] as const;
type Way = { language: "en" | "es"; env: string; flags: readonly string[] };
const named = (way: Way) => `${way.language}, LC_ALL=${way.env} ${way.flags.join(" ")}`.trim();

/** Run server.ts to its end (it must end by itself: a usage or listen error); killed after 20 s. */
async function runServer(way: Way, args: string[], denoFlags = ["--allow-net"]) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...denoFlags, "server.ts", ...way.flags, ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", LC_ALL: way.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(20_000),
  }).output();
  return { code, stdout: decode(stdout), stderr: decode(stderr) };
}

/** Start server.ts the way `way` says, on a free loopback port. */
function start(way: Way, args: string[], denoFlags = ["--allow-net"]) {
  return startServer([...way.flags, ...args], { env: { LC_ALL: way.env }, denoFlags });
}

// A stand-in for every argument of a message: it prints as "\0", and any field of it is itself.
const MARK: unknown = new Proxy(function () {}, {
  get: (_target, key) => key === Symbol.toPrimitive ? () => "\0" : MARK,
});

/** The pieces of text of one language's messages that the other language's do not have. */
async function ownWords(language: "en" | "es"): Promise<string[]> {
  const url = pathToFileURL(`${ROOT}server.ts`).href; // a server.ts without the table has none
  const table = ((await import(url)) as { MESSAGES?: Record<string, Record<string, unknown>> })
    .MESSAGES ?? {};
  const other = language === "en" ? "es" : "en";
  const text = (value: unknown) =>
    typeof value === "function" ? String(value(...Array(value.length).fill(MARK))) : `${value}`;
  const theirs = Object.values(table).map((entry) => text(entry[other])).join("\n");
  const words = new Set<string>();
  for (const entry of Object.values(table)) {
    for (const piece of text(entry[language]).split(/\0|\n/).map((piece) => piece.trim())) {
      // A piece with a word in it (not only a flag's name), which the other language lacks.
      const letters = piece.replace(/--[a-z-]+/g, "");
      if (/[a-záéíóúñ]{3}/i.test(letters) && !theirs.includes(piece)) words.add(piece);
    }
  }
  return [...words];
}

/** Fails if the output holds a piece of the other language's messages. */
async function onlyItsLanguage(way: Way, output: string) {
  const found = (await ownWords(way.language === "en" ? "es" : "en"))
    .filter((piece) => output.includes(piece));
  assert.deepEqual(found, [], `${named(way)}: ${output}`);
}

/** Greeting, one line back, then our end: what the client got. Bounded by its own timer. */
async function exchange(port: number, line: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    return await within(
      (async () => {
        const welcome = await readLine(conn);
        await writeAll(conn, encode(line));
        const echo = await readLine(conn);
        await conn.closeWrite();
        return welcome + echo + decode(await readToEnd(conn));
      })(),
      15_000,
      `no echo of ${JSON.stringify(line)}`,
    );
  } finally {
    conn.close();
  }
}

/** Every line of a trace: at most 100 columns (after the --timestamps stamp, if any). */
function assertColumns(way: Way, stdout: string) {
  const wide = stdout.split("\n").map((line) => line.replace(/^@[\d.]+ /, ""))
    .filter((line) => [...line].length > 100);
  assert.deepEqual(wide, [], named(way));
}

for (const way of WAYS) {
  const es = way.language === "es";

  Deno.test(`server.ts (${named(way)}): the welcome, the log, and the --explain trace`, async () => {
    const server = await start(way, ["--explain"], ["--allow-net", "--allow-sys=hostname"]);
    let got = "";
    try {
      got = await exchange(server.port, "hola\n");
    } finally {
      const { stdout, stderr, code } = await server.stop();
      assert.equal(code, 0, stderr);
      const welcome = es
        ? "bienvenido: cada línea que mandes vuelve a vos\n"
        : "welcome: every line you send comes back to you\n";
      assert.equal(got, welcome + "hola\n");
      assert.match(stdout, /^listening on 127\.0\.0\.1:\d+\n/); // the same in both
      const log = es
        ? [
          `esta máquina se llama ${Deno.hostname()}`,
          "conexión de 127.0.0.1:",
          /cerrada 127\.0\.0\.1:\d+: 1 línea, 5 bytes/,
        ]
        : [
          `this machine is ${Deno.hostname()}`,
          "connection from 127.0.0.1:",
          /closed 127\.0\.0\.1:\d+: 1 line, 5 bytes/,
        ];
      for (const line of log) assert.match(stdout, new RegExp(line), named(way));
      // The trace: tags and calls verbatim, the words around them in the language.
      const calls = [
        '[steps 4-6] python: s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(511)',
        'deno: Deno.listen({ hostname: "127.0.0.1", port: 0, tcpBacklog: 511 })',
        `[step 2] python: socket.gethostname()  deno: Deno.hostname() -> "${Deno.hostname()}"`,
        "[step 7] python: conn, addr = s.accept()  deno: await listener.accept() -> 127.0.0.1:",
        "[recv #1] python: conn.recv(256)  deno: conn.read() -> 5\n",
        "[step 9 #1] python: conn.close()  deno: conn.close() -> 127.0.0.1:",
      ];
      for (const call of calls) assert.ok(stdout.includes(call), `${named(way)}: ${call}`);
      const words = es
        ? [
          ") hace los tres\n",
          "[step 8 #1] python: conn.sendall(data)  deno: conn.write() hasta mandar todo -> 48 bytes",
          "[recv #1] python: conn.recv(256)  deno: conn.read() -> null: fin de los datos",
        ]
        : [
          ") fuses all three -> 127.0.0.1:",
          "[step 8 #1] python: conn.sendall(data)  deno: conn.write() until all is sent -> 47 bytes",
          "[recv #1] python: conn.recv(256)  deno: conn.read() -> null: end of stream",
        ];
      for (const word of words) assert.ok(stdout.includes(word), `${named(way)}: ${word}`);
      if (es) assertColumns(way, stdout);
      await onlyItsLanguage(way, stdout + stderr + got);
    }
  });

  Deno.test(`server.ts (${named(way)}): each refusal, told to the client and logged`, async () => {
    const server = await start(way, ["--max-clients", "1", "--line-timeout", "1"]);
    const said: string[] = [];
    try {
      // Served, then one too many; the first one sends a line too long; the next one leaves a
      // line unfinished for the line timeout. Each gets one "error: " line, then the end.
      const first = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
      try {
        said.push(await readLine(first));
        const second = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
        try {
          said.push(await readLine(second));
        } finally {
          second.close();
        }
        const long = writeAll(first, new Uint8Array(70_000).fill(120)).catch(() => {});
        said.push(await readLine(first));
        await long;
      } finally {
        first.close();
      }
      const third = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
      try {
        said.push(await readLine(third));
        await writeAll(third, encode("sin terminar"));
        said.push(await readLine(third)); // after 1 to 2 s
      } finally {
        third.close();
      }
      // Each connection is logged once it has ended: wait for the third's line.
      const ended = es ? /^cerrada \(línea sin terminar/m : /^closed \(unfinished line/m;
      await waitUntil(() => ended.test(server.stdout()), "the third's log line").catch(() => {});
    } finally {
      const { stdout, stderr } = await server.stop();
      const expected = es
        ? [
          "bienvenido: cada línea que mandes vuelve a vos\n",
          "error: demasiados clientes (--max-clients 1), cierro la conexión\n",
          "error: línea de más de 65536 bytes, cierro la conexión\n",
          "bienvenido: cada línea que mandes vuelve a vos\n",
          "error: línea sin terminar durante 1 s (--line-timeout), cierro la conexión\n",
        ]
        : [
          "welcome: every line you send comes back to you\n",
          "error: too many clients (--max-clients 1), closing\n",
          "error: line longer than 65536 bytes, closing\n",
          "welcome: every line you send comes back to you\n",
          "error: line unfinished for 1 s (--line-timeout), closing\n",
        ];
      assert.deepEqual(said, expected, named(way));
      const log = es
        ? [
          /^rechazada 127\.0\.0\.1:\d+: demasiados clientes \(--max-clients 1\)$/m,
          /^cerrada \(línea demasiado larga\) 127\.0\.0\.1:\d+: 0 líneas, \d+ bytes$/m,
          /^cerrada \(línea sin terminar, --line-timeout 1\) 127\.0\.0\.1:\d+: 0 líneas, 12 bytes$/m,
        ]
        : [
          /^refused 127\.0\.0\.1:\d+: too many clients \(--max-clients 1\)$/m,
          /^closed \(line too long\) 127\.0\.0\.1:\d+: 0 lines, \d+ bytes$/m,
          /^closed \(unfinished line, --line-timeout 1\) 127\.0\.0\.1:\d+: 0 lines, 12 bytes$/m,
        ];
      for (const line of log) assert.match(stdout, line, named(way));
      await onlyItsLanguage(way, stdout + stderr + said.join(""));
    }
  });

  Deno.test(`server.ts (${named(way)}): --help, usage errors, and the errors of listening`, async () => {
    const help = await runServer(way, ["--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, es ? /^uso: deno run --allow-net server\.ts / : /^usage: deno run /);
    assert.match(
      help.stdout,
      es ? /--lang L +el idioma de los mensajes/ : /--lang L +the language/,
    );
    const unknown = await runServer(way, ["--nope"]);
    assert.equal(unknown.code, 2);
    assert.match(
      unknown.stderr,
      es
        ? /^server\.ts: no existe la opción '--nope'\nuso: /
        : /^server\.ts: Unknown option '--nope'/,
    );
    const number = await runServer(way, ["--port", "70000"]);
    assert.equal(number.code, 2);
    const port = es
      ? "server.ts: --port tiene que ser un número entero de 0 a 65535\nuso: "
      : "server.ts: --port must be a whole number from 0 to 65535\nusage: ";
    assert.ok(number.stderr.startsWith(port), number.stderr);
    // Listening: a port already taken, and a port we have no permission for.
    const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    let inUse;
    try {
      inUse = await runServer(way, ["--host", "127.0.0.1", "--port", `${taken.addr.port}`]);
    } finally {
      taken.close();
    }
    assert.equal(inUse.code, 1);
    const p = taken.addr.port;
    assert.equal(
      inUse.stderr,
      es
        ? `server.ts: el puerto ${p} ya está en uso en 127.0.0.1: pará el otro servidor, o elegí ` +
          "otro puerto con --port\n"
        : `server.ts: port ${p} is already in use on 127.0.0.1: stop the other server, or pick ` +
          "another port with --port\n",
    );
    const free = freePort();
    const address = `127.0.0.1:${free}`;
    const denied = await runServer(way, ["--host", "127.0.0.1", "--port", `${free}`], [
      `--allow-net=127.0.0.1:${free + 1}`,
    ]);
    assert.equal(denied.code, 1);
    assert.equal(
      denied.stderr,
      es
        ? `server.ts: no hay permiso para escuchar en ${address}: corré con --allow-net=${address}\n`
        : `server.ts: no permission to listen on ${address}: run with --allow-net=${address}\n`,
    );
    for (const ran of [help, unknown, number, inUse, denied]) {
      await onlyItsLanguage(way, ran.stdout + ran.stderr);
      assert.equal(ran.stderr.includes("Stack"), false, ran.stderr);
    }
  });
}

Deno.test("server.ts: an unknown --lang is a usage error in English, exit 2, on any system", async () => {
  for (const env of ["es_AR.UTF-8", "C"]) {
    const ran = await runServer({ language: "en", env, flags: [] }, ["--lang", "fr"]);
    assert.equal(ran.code, 2);
    assert.match(ran.stderr, /^server\.ts: --lang must be es or en\nusage: deno run /);
  }
});

Deno.test("server.ts --lang es: the count of lines it could not print, once its output moves", async () => {
  // Its stdout is a pipe not read after the first line: 300 exchanges overflow the queue.
  const server = await startUnread("server.ts", ["--allow-net"], ["--lang", "es", "--explain"]);
  try {
    for (let i = 0; i < 300; i++) {
      assert.equal(
        await exchange(server.port, `línea ${i}\n`),
        `bienvenido: ${WELCOME}línea ${i}\n`,
      );
    }
    let seen = "";
    const reading = (async () => {
      while (!/^\(\d+ líneas sin mostrar: nadie leía la salida\)$/m.test(seen)) {
        const { value, done } = await server.stdout.read();
        if (done) break;
        seen += decode(value);
      }
    })();
    await within(reading, 10_000, `no count of the lines not printed: ${seen.slice(-300)}`);
    await onlyItsLanguage(WAYS[1], seen);
  } finally {
    assert.equal(await server.finish(), "");
  }
});

Deno.test("server.ts: the language check itself finds an English piece in a Spanish run", async () => {
  const english = await ownWords("en");
  assert.ok(english.includes("welcome: every line you send comes back to you"));
  assert.ok(english.some((piece) => piece.startsWith("too many clients")), english.join("|"));
  assert.ok(!english.includes("bytes"), "a word both languages share is not English here");
  await assert.rejects(onlyItsLanguage(WAYS[0], "error: too many clients (--max-clients 1)"));
});
