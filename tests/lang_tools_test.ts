// The tools a class runs, `deno task demo` and `deno task lab`, in Spanish and in English: their own
// lines (titles, steps, checks, the end, --help, usage errors) in the language of the machine or of
// --lang, and no line of the other language left in a run. The lab part needs root, `ip` and the
// lock other helpers take for the namespaces: run this file under `flock /tmp/kit-netns.lock`.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

// Every line of a Spanish run is checked for English, the lines the scripts print (shown by the
// tools after "who |") too: server.ts, client.ts, udp_server.ts and udp_client.ts speak Spanish.
// chat_server.ts is not run by these tests (only the lab's chat scenario starts it); its Spanish
// is tests/lang_chat_test.ts's.
const CHECK_SCRIPT_LINES = true;

/** A machine whose language is Spanish, and one whose language is English. */
const SPANISH_MACHINE = { LANG: "es_AR.UTF-8", LC_ALL: "es_AR.UTF-8" };
const ENGLISH_MACHINE = { LANG: "C", LC_ALL: "C" };

/** What the tools send to the scripts, the same in both languages: data, not messages. */
const DATA = [
  "hola Beto, ¿me leés?",
  "sí, Ana: te leo a través de servidor",
  "qué tal",
  "hola",
  "uno",
  "dos",
  "tres",
];

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(args: string[], env: Record<string, string>, timeoutMs = 90_000): Promise<Ran> {
  const result = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(timeoutMs),
  }).output();
  const decoder = new TextDecoder();
  return {
    code: result.code,
    stdout: decoder.decode(result.stdout),
    stderr: decoder.decode(result.stderr),
  };
}

/** Lines of output, without Deno's own "Task demo deno run ..." line (not the tool's). */
const linesOf = (text: string) =>
  text.split("\n").filter((line) => line.trim() !== "" && !/^Task \w+ /.test(line));

/**
 * The words of a line meant to be read as prose: without what never changes with the language
 * (commands after "$ " or "# ", the "listening on" line, calls, flags, file and task names,
 * addresses, numbers, names in capitals, quoted text) and without the data the tools send.
 */
function prose(line: string): string {
  let text = line;
  for (const data of DATA) {
    const literal = data.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    text = text.replace(new RegExp(`(?<!\\p{L})${literal}(?!\\p{L})`, "gu"), " ");
  }
  return text
    .replace(/(^|\s)[$#] .*$/, " ") // a command as typed
    .replace(/\blistening on \S+$/, " ") // a server's ready line, the same in every language
    .replace(/\bdeno (run|task|test)\b/g, " ") // a command named in a sentence
    .replace(/\b(python|deno):.*?(?= {2}deno:|$)/g, " ") // a trace's calls
    .replace(/"[^"]*"/g, " ")
    .replace(/[:;,!?](?=\s|$)/g, " ") // punctuation after a word
    .replace(/\S*[()[\]{}|<>=_./:\\@%]\S*/g, " ") // calls, files, addresses, flags' values
    .replace(/(?<![\w-])[a-z]+(-[a-z]+)+\b/g, " ") // names: two-computers, kit-alumno
    .replace(/--?[\w-]+/g, " ") // flags
    .replace(/\b[A-Z][A-Z0-9]+\b/g, " ") // TCP, UDP, ARP, SYN, NAME
    .replace(/\b(kit|lab|deno|task|demo|netns|veth|nft|nftables|iproute2|apt-get|sudo)\b/g, " ")
    .replace(/\d+/g, " ");
}

const ENGLISH_WORDS = new RegExp(
  "\\b(the|and|of|to|with|from|is|are|was|were|this|that|its|it|by|on|in|at|after|before|each|" +
    "every|nothing|not|none|than|then|when|which|what|who|be|been|has|have|only|both|one|two|" +
    "three|usage|default|exited|finished|running|left|behind|expected|steps?|lines?|server|client|" +
    "computers?|sends?|sent|again|lost|dropped|reply|replies|packets?|datagrams?|tries|try|" +
    "address|link|gives|connects?|listens?|ended|checks?|found|removing|needs|run)\\b",
  "i",
);
const SPANISH_WORDS = new RegExp(
  "[áéíóúñ¿¡]|\\b(el|la|los|las|que|del|con|una|un|por|para|cada|vos|y|se|lo|le|al|es|son|sin|" +
    "como|pero|más|paso|pasos|línea|líneas|cliente|computadoras?|uso|nada|terminó|terminada|" +
    "quedó|otra|otro|respuesta|nadie|hay|desde|hasta|intento|vuelta)\\b",
  "i",
);

/** Lines of the other language, with the words that gave them away. */
function foreign(lines: string[], words: RegExp): string[] {
  return lines.filter((line) => words.test(prose(line)))
    .map((line) => `${line}   <- ${prose(line).match(words)![0]}`);
}

// ---------------------------------------------------------------------------------------------
// deno task demo

/** A line of the demo that a script printed: "who | text" (not the command the demo shows). */
const demoScriptLine = (line: string) =>
  /^(server|client|servidor|cliente) \| /.test(line) && !/^\S+ \| \$ /.test(line);

function checkDemo(run: Ran, lang: "es" | "en") {
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const lines = linesOf(run.stdout);
  const wide = lines.filter((line) => line.length > 100);
  assert.deepEqual(wide, [], "lines wider than a projector");
  // A trace line that the script wrapped itself (the Spanish one keeps to 100 columns) is joined
  // back and wrapped once: no empty "who |" line, no trailing spaces.
  assert.deepEqual(lines.filter((line) => /\s$/.test(line)), [], "empty or ragged lines");
  // The server's ready line never changes; who printed it does, with the language.
  const who = lang === "es" ? ["servidor", "cliente"] : ["server", "client"];
  assert.match(run.stdout, new RegExp(`^${who[0]} \\| listening on 127\\.0\\.0\\.1:\\d+$`, "m"));
  assert.match(run.stdout, new RegExp(`^${who[1]} \\| \\$ deno run --allow-net client\\.ts `, "m"));
  assert.match(run.stdout, new RegExp(`^${who[0]} \\| \\[step 8 #1\\] python: `, "m"));
  const own = lines.filter((line) => !demoScriptLine(line));
  if (lang === "es") {
    assert.match(own[0], /^=== TCP: server\.ts y client\.ts, cada paso de la lección/);
    assert(own.includes("(el cliente terminó con código 0, el servidor con 0)"), own.join("\n"));
    assert.equal(own.at(-1), "demo terminada: no queda nada corriendo");
    const checked = CHECK_SCRIPT_LINES ? lines : own;
    assert.deepEqual(foreign(checked, ENGLISH_WORDS), [], "English in a Spanish run");
  } else {
    assert.match(own[0], /^=== TCP: server\.ts and client\.ts, each step of the lesson/);
    assert(own.includes("(client exited with 0, server with 0)"), own.join("\n"));
    assert.equal(own.at(-1), "demo finished: nothing is left running");
    // The scripts speak English already: everything is checked.
    assert.deepEqual(foreign(lines, SPANISH_WORDS), [], "Spanish in an English run");
  }
}

Deno.test("demo on a Spanish machine: its own lines in Spanish, within 100 columns", async () => {
  checkDemo(await run(["task", "demo"], SPANISH_MACHINE), "es");
});

Deno.test("demo --lang en on a Spanish machine: English only, its scripts' lines too", async () => {
  checkDemo(await run(["task", "demo", "--lang", "en"], SPANISH_MACHINE), "en");
});

Deno.test("demo --lang es on an English machine: Spanish", async () => {
  checkDemo(await run(["task", "demo", "--lang=es"], ENGLISH_MACHINE), "es");
});

/** The words of a Mermaid line that are labels, without its arrows and participants' ids. */
const label = (line: string) =>
  line.replace(/^\s*(participant \w+ as |Note over [\w,]+: |\w+(->>|-x)\w+: )/, "");

Deno.test("demo --mermaid in both languages: the same diagram, its words in each language", async () => {
  const es = await run(["task", "demo", "--mermaid"], SPANISH_MACHINE);
  const en = await run(["task", "demo", "--mermaid", "--lang", "en"], SPANISH_MACHINE);
  for (
    const [ran, words, lang] of [[es, ENGLISH_WORDS, "es"], [en, SPANISH_WORDS, "en"]] as const
  ) {
    assert.equal(ran.code, 0, ran.stdout + ran.stderr);
    const diagram = linesOf(ran.stdout);
    assert.equal(diagram[0], "sequenceDiagram");
    assert.deepEqual(
      diagram.filter((line) => /^ {2}participant /.test(line)).map((line) => line.split(" as ")[1]),
      ["client.ts", "server.ts", "udp_client.ts", "udp_server.ts"],
    );
    // Step tags are the same in both languages (the deck turns them into "[paso N]").
    assert(diagram.some((line) => line.endsWith("[step 8]")), diagram.join("\n"));
    assert.deepEqual(foreign(diagram.slice(1).map(label), words), [], `a ${lang} diagram`);
    const note = lang === "es"
      ? "  Note over C,S: TCP: una conexión, y después un flujo de bytes"
      : "  Note over C,S: TCP: a connection, then a flow of bytes";
    assert(diagram.includes(note), diagram.join("\n"));
    // The transcript went to stderr, in the same language.
    const own = linesOf(ran.stderr).filter((line) => !demoScriptLine(line));
    assert.equal(
      own.at(-1),
      lang === "es"
        ? "demo terminada: no queda nada corriendo"
        : "demo finished: nothing is left running",
    );
  }
});

Deno.test("demo --help and a usage error, in each language; a bad --lang in English", async () => {
  const helpEs = await run(["task", "demo", "--help"], SPANISH_MACHINE);
  assert.equal(helpEs.code, 0);
  assert.match(helpEs.stdout, /^uso: deno task demo \[--mermaid\] \[--lang es\|en\]$/m);
  assert.match(helpEs.stdout, /^ {2}--mermaid +\S/m);
  assert.deepEqual(foreign(linesOf(helpEs.stdout), ENGLISH_WORDS), []);
  const helpEn = await run(["task", "demo", "--help", "--lang", "en"], SPANISH_MACHINE);
  assert.equal(helpEn.code, 0);
  assert.match(helpEn.stdout, /^usage: deno task demo \[--mermaid\] \[--lang es\|en\]$/m);
  assert.deepEqual(foreign(linesOf(helpEn.stdout), SPANISH_WORDS), []);

  const badEs = await run(["task", "demo", "--nope"], SPANISH_MACHINE);
  assert.equal(badEs.code, 2);
  assert.match(badEs.stderr, /^demo: no conozco la opción --nope$/m);
  assert.match(badEs.stderr, /^uso: deno task demo /m);
  const badEn = await run(["task", "demo", "--nope"], ENGLISH_MACHINE);
  assert.equal(badEn.code, 2);
  assert.match(badEn.stderr, /^demo: unknown option --nope$/m);
  assert.match(badEn.stderr, /^usage: deno task demo /m);

  const badLang = await run(["task", "demo", "--lang", "fr"], SPANISH_MACHINE);
  assert.equal(badLang.code, 2);
  assert.match(badLang.stderr, /^demo: --lang must be es or en$/m);
  assert.equal(badLang.stdout, "");
});

// ---------------------------------------------------------------------------------------------
// deno task lab

const LAB = ["run", "--allow-run", "--allow-read", "--allow-sys=uid", "tools/lab.ts"];

async function whyNot(): Promise<string | undefined> {
  if (Deno.build.os !== "linux") return "needs Linux";
  const id = await new Deno.Command("id", { args: ["-u"], stdin: "null" }).output()
    .catch(() => undefined);
  if (new TextDecoder().decode(id?.stdout).trim() !== "0") return "needs root";
  const ip = await new Deno.Command("ip", { args: ["-V"], stdin: "null" }).output()
    .catch(() => undefined);
  if (!ip?.success) return "needs ip (apt-get install iproute2)";
  return undefined;
}
const reason = await whyNot();
if (reason) console.log(`lang_tools_test.ts: the lab runs are IGNORED: ${reason}`);

/** A line of the lab that a script printed: "  alumno Ana    | text". */
const labScriptLine = (line: string) => /^ {2}\S+( \S+)? +\| /.test(line);

function checkLab(run: Ran, lang: "es" | "en") {
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const lines = linesOf(run.stdout);
  const own = lines.filter((line) => !labScriptLine(line));
  if (lang === "es") {
    assert.match(own[0], /^Dos computadoras en una sola máquina: kit-alumno \(10\.213\.42\.1\)/);
    assert(
      own.includes(
        "=== 1. Dirección equivocada: nadie ahí, ningún camino, y una puerta de enlace que se calla (--only wrong-address) ===",
      ),
      own.join("\n"),
    );
    assert.equal(own.filter((line) => line.startsWith("  -> como se esperaba: ")).length, 3);
    assert.match(run.stdout, /^ {2}\(client\.ts terminó a los [\d.]+ s, código de salida 1\)$/m);
    assert.match(
      own.at(-1)!,
      /^laboratorio terminado: 3 de 3 comprobaciones como se esperaba; no quedó nada/,
    );
    const checked = CHECK_SCRIPT_LINES ? lines : own;
    assert.deepEqual(foreign(checked, ENGLISH_WORDS), [], "English in a Spanish run");
  } else {
    assert.match(own[0], /^Two computers on one machine: kit-alumno \(10\.213\.42\.1\)/);
    assert.equal(own.filter((line) => line.startsWith("  -> as expected: ")).length, 3);
    assert.match(own.at(-1)!, /^lab finished: 3 of 3 checks as expected; nothing left behind/);
    assert.deepEqual(foreign(lines, SPANISH_WORDS), [], "Spanish in an English run");
  }
}

Deno.test({
  name: `lab wrong-address on a Spanish machine: its own lines in Spanish${
    reason ? ` (IGNORED: ${reason})` : ""
  }`,
  ignore: reason !== undefined,
  async fn() {
    checkLab(await run([...LAB, "--only", "wrong-address"], SPANISH_MACHINE, 120_000), "es");
  },
});

Deno.test({
  name: `lab wrong-address --lang en on a Spanish machine: English only${
    reason ? ` (IGNORED: ${reason})` : ""
  }`,
  ignore: reason !== undefined,
  async fn() {
    const ran = await run([...LAB, "--only", "wrong-address", "--lang", "en"], SPANISH_MACHINE);
    checkLab(ran, "en");
  },
});

Deno.test("lab --help and usage errors in each language (runs anywhere)", async () => {
  const helpEs = await run([...LAB, "--help"], SPANISH_MACHINE);
  assert.equal(helpEs.code, 0);
  assert.match(helpEs.stdout, /^uso: deno task lab \[--only NOMBRE\]/);
  assert.deepEqual(foreign(linesOf(helpEs.stdout), ENGLISH_WORDS), []);
  const helpEn = await run([...LAB, "--help", "--lang=en"], SPANISH_MACHINE);
  assert.equal(helpEn.code, 0);
  assert.match(helpEn.stdout, /^usage: deno task lab \[--only NAME\]/);
  assert.deepEqual(foreign(linesOf(helpEn.stdout), SPANISH_WORDS), []);

  const badEs = await run([...LAB, "--only", "nowhere"], SPANISH_MACHINE);
  assert.equal(badEs.code, 2);
  assert.match(badEs.stderr, /^lab\.ts: --only tiene que ser uno de two-computers, wrong-address/);
  assert.deepEqual(foreign(linesOf(badEs.stderr), ENGLISH_WORDS), []);
  const badEn = await run([...LAB, "--loss", "95", "--lang", "en"], SPANISH_MACHINE);
  assert.equal(badEn.code, 2);
  assert.match(badEn.stderr, /^lab\.ts: --loss must be a whole number from 0 to 90$/m);
  assert.deepEqual(foreign(linesOf(badEn.stderr), SPANISH_WORDS), []);
  const badLang = await run([...LAB, "--lang"], SPANISH_MACHINE);
  assert.equal(badLang.code, 2);
  assert.match(badLang.stderr, /^lab\.ts: --lang must be es or en$/m);
});
