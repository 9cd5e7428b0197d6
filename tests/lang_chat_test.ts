// chat_server.ts's language: Spanish where the system speaks it (LC_ALL=es_AR.UTF-8) or with
// --lang es, English with --lang en (even on a Spanish system) and elsewhere. Each family runs in
// both: the welcome (with and without a first "/name" line), the room's notices, a refusal, the
// log and the --explain trace (tags and calls verbatim, each Spanish line within 100 columns),
// --help and usage errors. A Spanish run shows no English text of chat_server.ts's own table (nor
// an English run a Spanish one); "listening on HOST:PORT" and "error: " are the same in both.
import assert from "node:assert/strict";
import { pathToFileURL } from "node:url";
import { delay, encode, readLine, within, writeAll } from "./helpers/io.ts";
import { ROOT, startChat } from "./helpers/process.ts";

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

const WAYS = [
  { language: "es", env: "es_AR.UTF-8", flags: [] as string[] }, // the system's language
  { language: "es", env: "C", flags: ["--lang", "es"] }, // forced, on an English system
  { language: "en", env: "es_AR.UTF-8", flags: ["--lang=en"] }, // forced, on a Spanish system
  { language: "en", env: "C", flags: [] as string[] }, // the system's language: English
] as const;
type Way = { language: "en" | "es"; env: string; flags: readonly string[] };
const named = (way: Way) => `${way.language}, LC_ALL=${way.env} ${way.flags.join(" ")}`.trim();

async function runChat(way: Way, args: string[]) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "chat_server.ts", ...way.flags, ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", LC_ALL: way.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(20_000),
  }).output();
  return { code, stdout: decode(stdout), stderr: decode(stderr) };
}

// A stand-in for every argument of a message: it prints as "\0", and any field of it is itself.
const MARK: unknown = new Proxy(function () {}, {
  get: (_target, key) => key === Symbol.toPrimitive ? () => "\0" : MARK,
});

/** The pieces of text of one language's messages that the other language's do not have. */
async function ownWords(language: "en" | "es"): Promise<string[]> {
  const url = pathToFileURL(`${ROOT}chat_server.ts`).href; // without the table: none
  const table = ((await import(url)) as { MESSAGES?: Record<string, Record<string, unknown>> })
    .MESSAGES ?? {};
  const other = language === "en" ? "es" : "en";
  const text = (value: unknown) =>
    typeof value === "function" ? String(value(...Array(value.length).fill(MARK))) : `${value}`;
  const theirs = Object.values(table).map((entry) => text(entry[other])).join("\n");
  const words = new Set<string>();
  for (const entry of Object.values(table)) {
    for (const piece of text(entry[language]).split(/\0|\n/).map((piece) => piece.trim())) {
      const letters = piece.replace(/--[a-z-]+/g, "");
      if (/[a-záéíóúñ]{3}/i.test(letters) && !theirs.includes(piece)) words.add(piece);
    }
  }
  return [...words];
}

async function onlyItsLanguage(way: Way, output: string) {
  const found = (await ownWords(way.language === "en" ? "es" : "en"))
    .filter((piece) => output.includes(piece));
  assert.deepEqual(found, [], `${named(way)}: ${output}`);
}

const connect = (port: number) => Deno.connect({ hostname: "127.0.0.1", port });

for (const way of WAYS) {
  const es = way.language === "es";

  Deno.test(`chat_server.ts (${named(way)}): welcomes, notices, a refusal, log, trace`, async () => {
    const args = [...way.flags, "--explain", "--max-clients", "2"];
    const server = await startChat(args, { env: { LC_ALL: way.env } });
    const heard: string[] = [];
    try {
      const ana = await connect(server.port);
      let bo: Deno.TcpConn | undefined;
      const cy: Deno.TcpConn[] = [];
      try {
        await within(
          (async () => {
            heard.push(await readLine(ana)); // welcome
            heard.push(await readLine(ana, 5000)); // a second later, told how to pick a name
            bo = await connect(server.port);
            await writeAll(bo, encode("/name Bo\n")); // what client.ts --name sends first
            heard.push(await readLine(bo)); // welcome (Bo is never told how)
            heard.push(await readLine(ana), await readLine(ana)); // joined, is now
            cy.push(await connect(server.port));
            heard.push(await readLine(cy[0])); // refused
            cy[0].close();
            bo.close();
            heard.push(await readLine(ana)); // left
            // Each ending is logged once its connection is closed: wait for the two.
            const ended = es
              ? [/^rechazada .*\(#3\)/m, /^cerrada .*\(#2\)/m]
              : [/^refused .*\(#3\)/m, /^closed .*\(#2\)/m];
            while (!ended.every((line) => line.test(server.stdout()))) await delay(20);
          })(),
          30_000,
          `the room's lines: ${heard.join("")}`,
        );
      } finally {
        ana.close();
        for (const conn of cy) {
          try {
            conn.close();
          } catch { /* closed already */ }
        }
        try {
          bo?.close();
        } catch { /* closed already */ }
      }
    } finally {
      const { stdout, stderr } = await server.stop();
      const expected = es
        ? [
          /^bienvenido al chat, 127\.0\.0\.1:\d+: 1 en línea\n$/,
          /^\* mandá "\/name NOMBRE" para elegir un nombre\n$/,
          /^bienvenido al chat, 127\.0\.0\.1:\d+: 2 en línea\n$/,
          /^\* 127\.0\.0\.1:\d+ entró \(2 en línea\)\n$/,
          /^\* 127\.0\.0\.1:\d+ ahora se llama Bo\n$/,
          /^error: demasiados clientes \(--max-clients 2\), cierro la conexión\n$/,
          /^\* Bo se fue \(1 en línea\)\n$/,
        ]
        : [
          /^welcome to the chat, 127\.0\.0\.1:\d+: 1 online\n$/,
          /^\* send "\/name NAME" to pick a name\n$/,
          /^welcome to the chat, 127\.0\.0\.1:\d+: 2 online\n$/,
          /^\* 127\.0\.0\.1:\d+ joined \(2 online\)\n$/,
          /^\* 127\.0\.0\.1:\d+ is now Bo\n$/,
          /^error: too many clients \(--max-clients 2\), closing\n$/,
          /^\* Bo left \(1 online\)\n$/,
        ];
      assert.equal(heard.length, expected.length, `${named(way)}: ${heard.join("")}`);
      expected.forEach((line, at) => assert.match(heard[at], line, `${named(way)}: ${heard}`));
      assert.match(stdout, /^listening on 127\.0\.0\.1:\d+\n/); // the same in both
      const log = es
        ? [
          /^conexión de 127\.0\.0\.1:\d+ \(#1\)$/m,
          /^rechazada \(--max-clients\) 127\.0\.0\.1:\d+ \(#3\): 0 líneas, 0 bytes$/m,
          /^cerrada 127\.0\.0\.1:\d+ \(#2\): 1 línea, 9 bytes$/m,
        ]
        : [
          /^connection from 127\.0\.0\.1:\d+ \(#1\)$/m,
          /^refused \(--max-clients\) 127\.0\.0\.1:\d+ \(#3\): 0 lines, 0 bytes$/m,
          /^closed 127\.0\.0\.1:\d+ \(#2\): 1 line, 9 bytes$/m,
        ];
      for (const line of log) assert.match(stdout, line, named(way));
      const calls = [
        '[steps 4-6] python: s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(511)',
        'deno: Deno.listen({ hostname: "127.0.0.1", port: 0, tcpBacklog: 511 })',
        "[step 7] python: conn, addr = s.accept()  deno: await listener.accept() -> 127.0.0.1:",
        "[recv #2] python: conn.recv(",
        "[step 9 #1] python: conn.close()  deno: conn.close() -> 127.0.0.1:",
        "[step 8 #1] python: conn.sendall(data)  deno: conn.write() ",
      ];
      for (const call of calls) assert.ok(stdout.includes(call), `${named(way)}: ${call}`);
      const words = es
        ? [") hace los tres\n", "conn.write() hasta mandar todo -> ", "-> null: fin de los datos"]
        : [") fuses all three -> 127.0.0.1:", "conn.write() until all is sent -> "];
      for (const word of words) assert.ok(stdout.includes(word), `${named(way)}: ${word}`);
      if (es) {
        const wide = stdout.split("\n").filter((line) => [...line].length > 100);
        assert.deepEqual(wide, [], named(way));
      }
      await onlyItsLanguage(way, stdout + stderr + heard.join(""));
    }
  });

  Deno.test(`chat_server.ts (${named(way)}): --help and usage errors`, async () => {
    const help = await runChat(way, ["--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, es ? /^uso: deno run --allow-net chat_server\.ts / : /^usage: /);
    assert.match(help.stdout, es ? /--lang L +el idioma de los mensajes/ : /--lang L +the lang/);
    const unknown = await runChat(way, ["--nope"]);
    assert.equal(unknown.code, 2);
    assert.match(
      unknown.stderr,
      es
        ? /^chat_server\.ts: no existe la opción '--nope'\nuso: /
        : /^chat_server\.ts: Unknown option '--nope'/,
    );
    const number = await runChat(way, ["--max-clients", "0"]);
    assert.equal(number.code, 2);
    const told = es
      ? "chat_server.ts: --max-clients tiene que ser un número entero de 1 a 1000000\nuso: "
      : "chat_server.ts: --max-clients must be a whole number from 1 to 1000000\nusage: ";
    assert.ok(number.stderr.startsWith(told), number.stderr);
    for (const ran of [help, unknown, number]) {
      await onlyItsLanguage(way, ran.stdout + ran.stderr);
      assert.equal(ran.stderr.includes("Stack"), false, ran.stderr);
    }
  });
}

Deno.test("chat_server.ts: an unknown --lang is a usage error in English, exit 2", async () => {
  const ran = await runChat({ language: "en", env: "es_AR.UTF-8", flags: [] }, ["--lang", "fr"]);
  assert.equal(ran.code, 2);
  assert.match(ran.stderr, /^chat_server\.ts: --lang must be es or en\nusage: deno run /);
});

Deno.test("chat_server.ts: the language check finds an English piece in a Spanish run", async () => {
  const english = await ownWords("en");
  assert.ok(english.some((piece) => piece.startsWith("welcome to the chat")), english.join("|"));
  await assert.rejects(onlyItsLanguage(WAYS[0], "error: too many clients (--max-clients 1)"));
});
