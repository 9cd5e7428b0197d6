// The guides quote the scripts' code and say where it comes from, so that a reader can find it
// (`grep -n -F 'text' server.ts`). Every such quotation must still be in the file it names,
// verbatim: a script changed without its guide fails this test.
//
// What counts as a quotation from a named file:
// - in a table, every code span of a column headed `FILE`, "Código en `FILE`" or "Code in `FILE`";
// - a ```ts block: its lines, as a whole, in one of the scripts (the twins, or the full ones);
// - in the text, a code span that reads as a line of code (it ends with ";", "{" or ",", carries a
//   "// comment", or starts with a keyword), when the same sentence names a script (`FILE.ts`),
//   or else the heading it stands under names one. Other ``` blocks (commands, output) are not.
import assert from "node:assert/strict";
import { ROOT } from "./helpers/process.ts";

/** The guides: the Spanish ones in leccion/, the README, the reference in docs/ and the bench's. */
const GUIDES = [
  ...["leccion/README.md", "leccion/clase.md", "leccion/alumno.md", "README.md", "bench/README.md"],
  ...[...Deno.readDirSync(`${ROOT}docs`)].filter((entry) => entry.name.endsWith(".md"))
    .map((entry) => `docs/${entry.name}`).sort(),
];
/** Where a ```ts block may come from. */
const SCRIPTS = [
  ...["server.ts", "client.ts", "udp_server.ts", "udp_client.ts", "chat_server.ts"],
  ...["leccion/server.ts", "leccion/client.ts", "leccion/udp_server.ts", "leccion/udp_client.ts"],
].join("|");

/**
 * Quotations known to be stale, each as "FILE: code" (whichever guide quotes it); empty while the
 * guides are current. An entry no longer stale fails the test: take it out.
 */
const KNOWN_STALE: string[] = [];

export interface Quotation {
  guide: string;
  line: number;
  code: string;
  /** The files it is said to come from: it must be in each. */
  files: string[];
}

const CODE_SPAN = /(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)/g;
const SCRIPT = /`((?:[\w-]+\/)*[\w-]+\.(?:ts|py))`/g;
const CODE_LINE =
  /(?:;|\{|,)$|\s\/\/\s|^(?:const|let|if|for|while|await|async|function|return|import)\b/;

export function spans(text: string): string[] {
  return [...text.matchAll(CODE_SPAN)].map((m) =>
    m[1].length > 1 ? m[2].replace(/^ (.*) $/, "$1") : m[2]
  );
}

/** A table row's cells; "|" inside a code span (written "\|") does not split. */
function cells(row: string): string[] {
  const out: string[] = [];
  let cell = "", inCode = false;
  for (let i = 0; i < row.length; i++) {
    const c = row[i];
    if (c === "\\" && row[i + 1] === "|") {
      cell += "|";
      i++;
    } else if (c === "`") {
      inCode = !inCode;
      cell += c;
    } else if (c === "|" && !inCode) {
      out.push(cell.trim());
      cell = "";
    } else cell += c;
  }
  out.push(cell.trim());
  return out.slice(1, -1);
}

export function quotations(guide: string, markdown: string): Quotation[] {
  const found: Quotation[] = [];
  const lines = markdown.split("\n");
  let fenced = false, headingFiles: string[] = [];
  let tableFiles: (string | undefined)[] | undefined;
  // Prose is taken paragraph by paragraph, so that a sentence may run over several lines.
  let paragraph: { line: number; text: string }[] = [];
  const flush = () => {
    const text = paragraph.map((p) => p.text).join("\n");
    for (const sentence of text.split(/(?<=[.:;])\s+(?=[A-ZÁÉÍÓÚ¿(*])/)) {
      for (const match of sentence.matchAll(CODE_SPAN)) {
        const code = match[1].length > 1 ? match[2].replace(/^ (.*) $/, "$1") : match[2];
        if (!CODE_LINE.test(code) || !/\W/.test(code) || code.includes("...")) {
          continue;
        }
        const named = (text: string) => [...text.matchAll(SCRIPT)].map((m) => m[1]);
        const end = match.index + match[0].length;
        const close = sentence.indexOf(")", end);
        // "(`code`, in `a.ts` and `b.ts`)": in each; "`a.ts` does it (`code`)": in a.ts; a script
        // named later in the sentence, or the heading's: in one of them.
        const inParenthesis = close === -1 ? [] : named(sentence.slice(end, close));
        const before = named(sentence.slice(0, match.index)).slice(-1);
        const after = named(sentence.slice(end));
        const files = inParenthesis.length > 0
          ? [...new Set(inParenthesis)]
          : before.length > 0
          ? before
          : after.length > 0
          ? [after.join("|")]
          : headingFiles.length > 0
          ? [headingFiles.join("|")]
          : [];
        if (files.length === 0) continue;
        const at = paragraph.find((p) => p.text.includes(code)) ?? paragraph[0];
        found.push({ guide, line: at.line, code, files });
      }
    }
    paragraph = [];
  };
  let block: { line: number; code: string[] } | undefined; // a ```ts block being read
  for (const [n, line] of lines.entries()) {
    if (line.startsWith("```")) {
      if (block) {
        found.push({ guide, line: block.line, code: block.code.join("\n"), files: [SCRIPTS] });
      }
      block = !fenced && line.trim() === "```ts" ? { line: n + 2, code: [] } : undefined;
      fenced = !fenced;
      flush();
      continue;
    }
    if (fenced) {
      block?.code.push(line);
      continue;
    }
    if (line.startsWith("#")) {
      flush();
      headingFiles = [...line.matchAll(SCRIPT)].map((m) => m[1]);
      continue;
    }
    if (line.startsWith("|")) {
      flush();
      const row = cells(line);
      if (!tableFiles) {
        tableFiles = row.map((cell) =>
          cell.match(/^(?:(?:Código en|Code in) )?`([^`]+\.(?:ts|py))`$/)?.[1]
        );
      } else if (!/^[\s|:-]+$/.test(line)) {
        for (const [column, file] of tableFiles.entries()) {
          if (!file || row[column] === undefined) continue;
          for (const code of spans(row[column])) {
            found.push({ guide, line: n + 1, code, files: [file] });
          }
        }
      }
      continue;
    }
    tableFiles = undefined;
    if (line.trim() === "") flush();
    else paragraph.push({ line: n + 1, text: line });
  }
  flush();
  return found;
}

/** The quotations that are not in the file(s) they name ("a|b" means: in a or in b). */
async function stale(quoted: Quotation[]): Promise<string[]> {
  const texts = new Map<string, string>();
  const read = async (file: string) => {
    if (!texts.has(file)) {
      texts.set(
        file,
        await Deno.readTextFile(`${ROOT}${file}`).catch(() => ""),
      );
    }
    return texts.get(file)!;
  };
  const missing: string[] = [];
  for (const q of quoted) {
    for (const choice of q.files) {
      const options = choice.split("|");
      const inAny = (await Promise.all(options.map(read))).some((text) => text.includes(q.code));
      if (!inAny) missing.push(`${q.guide}: ${choice}: ${q.code}`);
    }
  }
  return missing;
}

Deno.test("the guides' code quotations are still in the files they name, verbatim", async () => {
  const present = GUIDES.filter((guide) => {
    try {
      return Deno.statSync(`${ROOT}${guide}`).isFile;
    } catch {
      return false;
    }
  });
  assert.ok(present.includes("README.md") && present.length >= 2, `guides found: ${present}`);
  const quoted: Quotation[] = [];
  for (const guide of present) {
    quoted.push(...quotations(guide, await Deno.readTextFile(`${ROOT}${guide}`)));
  }
  assert.ok(quoted.length >= 20, `only ${quoted.length} quotations found: is the pattern lost?`);
  const missing = await stale(quoted);
  const known = (entry: string) => KNOWN_STALE.includes(entry.slice(entry.indexOf(": ") + 2));
  const unexpected = missing.filter((entry) => !known(entry));
  const fixed = KNOWN_STALE.filter((entry) => !missing.some((m) => m.endsWith(`: ${entry}`)));
  assert.deepEqual(unexpected, [], "quoted, but no longer in the file named");
  assert.deepEqual(fixed, [], "listed in KNOWN_STALE, but no longer stale: take it out");
});

Deno.test("the quotation finder: tables, sentences naming a script, headings", async () => {
  const sample = [
    "### 2.1 El servidor: `server.ts`",
    "",
    "| Paso | Código en `client.ts` |",
    "| ---- | --------------------- |",
    "| 5.   | `conn.closeWrite();`  |",
    "| 6.   | no existe             |",
    "",
    "El script pregunta (`if (granted) {`, justo antes). Los dos clientes lo hacen",
    "(`const host = x;`, en `client.ts` y de `udp_client.ts`). En Python, `s.close()` cierra.",
  ].join("\n");
  assert.deepEqual(quotations("g.md", sample).map((q) => [q.code, q.files]), [
    ["conn.closeWrite();", ["client.ts"]],
    ["if (granted) {", ["server.ts"]],
    ["const host = x;", ["client.ts", "udp_client.ts"]],
  ]);
  // And a quotation that is not in its file is reported.
  assert.deepEqual(
    await stale([{ guide: "g.md", line: 1, code: "no such line;", files: ["server.ts"] }]),
    ["g.md: server.ts: no such line;"],
  );
});

// The Spanish texts quote what the kit prints, as a Spanish run prints it. Each script's
// MESSAGES table gives its lines in both languages: a quoted line that starts with a script's
// prefix (`client.ts: ...`) must be one of that script's Spanish lines, and no quoted line may be
// one of the kit's English lines (unless it reads the same in Spanish, as `listening on ...`).
// Placeholders are wildcards; "..." in a quote stands for anything.
const SPANISH_TEXTS = ["leccion/README.md", "leccion/clase.md", "leccion/alumno.md"]
  .concat(["leccion/ejercicios/README.md"]);
const TABLES: Record<string, string> = {
  "server.ts": "../server.ts",
  "client.ts": "../client.ts",
  "udp_server.ts": "../udp_server.ts",
  "udp_client.ts": "../udp_client.ts",
  "chat_server.ts": "../chat_server.ts",
  "demo.ts": "../tools/demo.ts",
  "lab.ts": "../tools/lab.ts",
};
const HOLE = "\u0000";

/** Every message of a table in one language, as an anchored pattern with wildcards. */
export function templates(table: unknown, language: "es" | "en", cut = false): RegExp[] {
  // A stand-in for any argument: it prints as HOLE, and any property or call gives it back.
  const any: unknown = new Proxy(() => {}, {
    get: (_target, key) => key === Symbol.toPrimitive ? () => HOLE : any,
    apply: () => any,
  });
  const out: RegExp[] = [];
  const add = (value: unknown) => {
    let text = value;
    if (typeof value === "function") {
      try {
        text = value(...Array(value.length).fill(any));
      } catch {
        return;
      }
    }
    if (typeof text !== "string") return;
    for (const line of text.split("\n").map((l) => l.trim()).filter((l) => l !== "")) {
      // Each character, or a placeholder's wildcard; with cut, the quote may stop anywhere.
      const tokens = [...line.replace(new RegExp(`${HOLE}+`, "gu"), HOLE)].map((c) =>
        c === HOLE ? ".*" : c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
      );
      // A cut quote still holds the line's first 10 letters (or all of a shorter one).
      let keep = 0;
      for (let letters = 0; keep < tokens.length && letters < 10; keep++) {
        if (tokens[keep] !== ".*") letters++;
      }
      const source = cut
        ? tokens.slice(0, keep).join("") +
          tokens.slice(keep).reduceRight((rest, token) => `(?:${token}${rest})?`, "")
        : tokens.join("");
      out.push(new RegExp(`^${source}$`, "su"));
    }
  };
  const walk = (node: unknown, inLanguage: boolean) => {
    if (node === null || typeof node !== "object") {
      if (inLanguage) add(node);
      return;
    }
    for (const [key, value] of Object.entries(node)) {
      if (inLanguage) walk(value, true);
      else if (key === language) walk(value, true);
      else if (key !== "en" && key !== "es") walk(value, false);
    }
  };
  for (const value of Object.values(table as object)) {
    if (typeof value === "function" || typeof value === "string") continue;
    walk(value, false);
  }
  return out;
}

/** The quoted output lines of a text: code spans, and the lines of ``` blocks that are not code. */
export function quotedLines(markdown: string): { line: number; text: string }[] {
  const found: { line: number; text: string }[] = [];
  let fence: string | undefined;
  for (const [n, line] of markdown.split("\n").entries()) {
    if (line.startsWith("```")) {
      fence = fence === undefined ? line.slice(3).trim() : undefined;
      continue;
    }
    if (fence !== undefined) {
      if (fence === "" || fence === "mermaid") {
        // A demo or lab line: "servidor | said"; a diagram's note or arrow: after the ":".
        const said = fence === "" ? line.replace(/^\s*[\wáéíóú]+\s*\|\s?/, "") : line;
        found.push({ line: n + 1, text: said.trim() });
      }
      continue;
    }
    for (const code of spans(line)) found.push({ line: n + 1, text: code.trim() });
  }
  return found.filter((q) => q.text !== "");
}

/** What is wrong with the quotes: a script's line not in its Spanish table, or an English line. */
export function wrongQuotes(
  guide: string,
  markdown: string,
  spanish: Record<string, RegExp[]>,
  english: RegExp[],
): string[] {
  const wrong: string[] = [];
  const englishOnly = (text: string) =>
    english.some((re) => re.test(text)) &&
    !Object.values(spanish).some((all) => all.some((re) => re.test(text)));
  for (const { line, text } of quotedLines(markdown)) {
    const prefix = text.match(/^(\w+\.ts): (.+)$/s);
    if (prefix && spanish[prefix[1]]) {
      // A quote may stop short of the whole line, with or without "...".
      const said = prefix[2].replace(/\s*(?:\.\.\.|…)$/, "");
      if (!spanish[prefix[1]].some((re) => re.test(said))) {
        wrong.push(`${guide}:${line}: not a Spanish line of ${prefix[1]}: ${text}`);
      }
    } else if (englishOnly(text)) {
      wrong.push(`${guide}:${line}: an English line of the kit: ${text}`);
    }
  }
  return wrong;
}

async function loadTables() {
  const spanish: Record<string, RegExp[]> = {};
  const english: RegExp[] = [];
  for (const [name, path] of Object.entries(TABLES)) {
    const table = (await import(path)).MESSAGES;
    if (!table) continue;
    spanish[name] = templates(table, "es", true);
    // An English template must say something: a bare placeholder, or one word, matches anything.
    english.push(
      ...templates(table, "en").filter((re) => re.source.replace(/\\.|\.\*/g, "").length >= 10),
    );
  }
  return { spanish, english };
}

Deno.test("the Spanish texts quote the kit's output as a Spanish run prints it", async () => {
  const { spanish, english } = await loadTables();
  assert.ok(Object.keys(spanish).length >= 4, `tables found: ${Object.keys(spanish)}`);
  const wrong: string[] = [];
  for (const guide of SPANISH_TEXTS) {
    wrong.push(...wrongQuotes(guide, await Deno.readTextFile(`${ROOT}${guide}`), spanish, english));
  }
  assert.deepEqual(wrong, []);
});

Deno.test("the Spanish quote check: a wrong quote fails, a right one passes", async () => {
  const { spanish, english } = await loadTables();
  const sample = [
    "El cliente dice `client.ts: 127.0.0.1:21042 rechazó la conexión: ¿está andando server.ts, y en ese puerto?`",
    "y el servidor `conexión de 127.0.0.1:...` tras `listening on 0.0.0.0:21042`.",
    "Mal: `client.ts: connection refused by 127.0.0.1:21042: is server.ts running, and on that port?`",
    "Mal: `connection from 127.0.0.1:52814`.",
  ].join("\n");
  assert.deepEqual(wrongQuotes("g.md", sample, spanish, english).map((w) => w.split(": ")[0]), [
    "g.md:3",
    "g.md:4",
  ]);
});
