// How `deno task probar` shows what it found: for a student (one line per check, and for a
// failed one what was sent, what came back, the likely cause and the fix), for programs (--json:
// one object per line and check, the same in every language), and for a teacher (--tabla, the
// checks of a kind; --lista, one row per student's server).
import type { Param, Result } from "./check.ts";
import { DIAGNOSES, fill, type Lang, type Params, t, type TextKey, TEXTS } from "./messages.ts";
import { excerpt } from "./net.ts";
import { CONNECT_S, GIVE_UP_S, SEND_S } from "./clients.ts";

const WIDTH = 100;

/** What every diagnosis may mention: the wait's limit, the server's address, the test port. */
export interface Where {
  s: number;
  address: string;
  port: number;
}

function render(lang: Lang, value: Param): string | number {
  if (typeof value === "string" || typeof value === "number") return value;
  if ("key" in value) return t(lang, value.key);
  const items = value.list;
  if (items.length < 2) return items.join("");
  return `${items.slice(0, -1).join(", ")} ${t(lang, "param.and")} ${items.at(-1)}`;
}

/** What the texts of every check may mention: the limits, the address, the test port. */
function base(where: Where): Params {
  const { s, address, port } = where;
  const limits = { connect_s: Math.max(CONNECT_S, s), send_s: Math.max(SEND_S, s) };
  return { s, address, port, ...limits, give_up_s: GIVE_UP_S };
}

function params(lang: Lang, where: Where, result: Result): Params {
  const out = base(where);
  for (const [name, value] of Object.entries(result.params ?? {})) out[name] = render(lang, value);
  return out;
}

/** Words, wrapped to WIDTH with every line after the first indented by `indent` spaces. */
function wrap(text: string, indent: number, first: number): string {
  const lines: string[] = [];
  let line = "";
  let room = WIDTH - first;
  for (const word of text.split(" ")) {
    if (line && [...line].length + 1 + [...word].length > room) {
      lines.push(line);
      line = word;
      room = WIDTH - indent;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  return lines.join(`\n${" ".repeat(indent)}`);
}

const title = (lang: Lang, name: string) =>
  (TEXTS as Record<string, { es: string; en: string }>)[`${name}.title`]?.[lang] ?? name;

const size = (lang: Lang, bytes: Uint8Array) => t(lang, "out.bytes", { count: bytes.length });

/** The lines that show one check's result to a student. */
export function humanResult(
  lang: Lang,
  where: Where,
  result: Result,
  nameWidth: number,
  sendsKey?: TextKey,
): string {
  const mark = t(lang, result.ok ? "out.pass" : result.skipped ? "out.skip" : "out.fail");
  const head = `${mark.padEnd(7)} ${result.check.padEnd(nameWidth)}  `;
  const p = params(lang, where, result);
  if (result.skipped) return head + t(lang, "out.skipped", { needs: result.skipped });
  let line = head + fill(title(lang, result.check), p);
  if (result.ok) {
    if (result.greeting) {
      line += ` (${t(lang, "out.greeting", { greeting: excerpt(result.greeting, 50) })})`;
    }
    return line;
  }
  const pad = 8;
  const label = (key: TextKey) => `${" ".repeat(pad)}${t(lang, key).padEnd(9)}`;
  const indent = pad + 9;
  const lines = [line];
  const texts = TEXTS as Record<string, { es: string; en: string }>;
  const sends = texts[sendsKey ?? `${result.check}.sends`];
  const expects = texts[`${result.check}.expects`];
  if (sends) lines.push(label("out.check") + wrap(fill(sends[lang], p), indent, indent));
  if (expects) lines.push(label("out.expected") + wrap(fill(expects[lang], p), indent, indent));
  if (result.sent) {
    lines.push(label("out.sent") + `${excerpt(result.sent)} (${size(lang, result.sent)})`);
  }
  if (result.got !== undefined || result.end) {
    const got = result.got ?? new Uint8Array(0);
    let text: string;
    if (got.length === 0) {
      text = t(lang, result.end ? `out.none.${result.end}` : "out.nothing", p);
    } else {
      text = `${excerpt(got)} (${size(lang, got)})`;
      if (result.from) text += ` ${t(lang, "out.datagram-from", { from: result.from })}`;
      if (result.end) text += `, ${t(lang, `out.end.${result.end}`, p)}`;
    }
    lines.push(label("out.got") + wrap(text, indent, indent));
  }
  if (result.printed !== undefined) {
    const printed = result.printed.length
      ? `${excerpt(result.printed)} (${size(lang, result.printed)})`
      : t(lang, "out.nothing");
    lines.push(label("out.printed") + printed);
  }
  if (result.exit) {
    const { code, killed, stderr } = result.exit;
    let text = killed
      ? t(lang, "out.client.killed")
      : t(lang, "out.client.exit", { code: `${code}` });
    // Its error, unless we stopped it (then it is about being stopped).
    const said = killed ? undefined : lastError(new TextDecoder().decode(stderr));
    if (said) {
      const where = said.file ? ` (${t(lang, "out.client.where", said)})` : "";
      text += `; ${t(lang, "out.client.stderr", { stderr: said.error.slice(0, 200) + where })}`;
    }
    lines.push(`${" ".repeat(pad)}${wrap(text, pad, pad)}`);
  }
  if (result.diagnosis) {
    const diagnosis = DIAGNOSES[result.diagnosis];
    lines.push(label("out.cause") + wrap(fill(diagnosis[lang], p), indent, indent));
    const code = (text: string) => fill(text, p).split("\n").join(`\n${" ".repeat(indent)}`);
    lines.push(`${" ".repeat(pad)}${"Python:".padEnd(9)}${code(diagnosis.python)}`);
    lines.push(`${" ".repeat(pad)}${"Deno:".padEnd(9)}${code(diagnosis.deno)}`);
    lines.push(label("out.step") + t(lang, "out.step.value", { step: diagnosis.step }));
  }
  return lines.join("\n");
}

/**
 * The error a program ended with, from what it printed on stderr: Deno's "error: ..." line, or
 * else the last line with words in it (Python's exception); and the file and line it names.
 */
export function lastError(stderr: string) {
  const lines = stderr.split("\n").map((line) => line.trim()).filter((line) => /\p{L}/u.test(line));
  if (lines.length === 0) return undefined;
  const error = (lines.find((line) => line.startsWith("error: ")) ?? lines.at(-1)!)
    .replace(/^error: /, "");
  const python = [...stderr.matchAll(/File "([^"]+)", line (\d+)/g)].at(-1);
  const deno = /at (?:async )?(?:\S+ \()?file:\/\/\/?(?:[^\s)]*\/)?([^\s/)]+):(\d+):\d+/.exec(
    stderr,
  );
  const found = python ?? deno;
  const file = found ? found[1].split(/[\\/]/).at(-1)! : "";
  return { error, file, line: found?.[2] ?? "" };
}

/** The last line: all passed, or how many and which failed first. */
export function humanSummary(lang: Lang, results: Result[]): string {
  const passed = results.filter((r) => r.ok).length;
  const first = results.find((r) => !r.ok);
  if (!first) return t(lang, "out.summary.pass", { count: results.length });
  return t(lang, "out.summary.fail", { passed, count: results.length, first: first.check });
}

/** Up to `most` escaped characters, without the quotes: for --json. */
function raw(bytes: Uint8Array, most = 200): string {
  return excerpt(bytes, most).slice(1, -1);
}

/** One check as one JSON object (on one line): the same whatever the language. */
export function jsonResult(result: Result, more: Record<string, string> = {}): string {
  const out: Record<string, unknown> = { ...more, check: result.check, ok: result.ok };
  if (result.skipped) {
    out.skipped = true;
    out.needs = result.skipped;
  }
  if (result.diagnosis) out.diagnosis = result.diagnosis;
  if (result.sent) Object.assign(out, { sent: raw(result.sent), sent_bytes: result.sent.length });
  if (result.got) Object.assign(out, { got: raw(result.got), got_bytes: result.got.length });
  if (result.end) out.end = result.end;
  if (result.from) out.from = result.from;
  if (result.printed) out.printed = raw(result.printed);
  if (result.exit) {
    Object.assign(out, { exit_code: result.exit.code, killed: result.exit.killed });
  }
  if (result.greeting) out.greeting = raw(result.greeting);
  out.ms = result.ms;
  return JSON.stringify(out);
}

/**
 * A kind's checks as a Markdown table: name, what it checks, what it does (sends), what must come
 * back, and the diagnoses it can give.
 */
export function table(
  lang: Lang,
  where: Where,
  checks: { name: string; diagnoses: string[]; sends?: TextKey }[],
): string {
  const texts = TEXTS as Record<string, { es: string; en: string }>;
  const p = base(where);
  const text = (key: string) => fill(texts[key]?.[lang] ?? "", p).replaceAll("|", "\\|");
  const rows = checks.map((check) => [
    `\`${check.name}\``,
    text(`${check.name}.title`),
    text(check.sends ?? `${check.name}.sends`),
    text(`${check.name}.expects`),
    check.diagnoses.map((id) => `\`${id}\``).join(", "),
  ]);
  const head = ["check", "title", "sends", "expects", "diagnoses"]
    .map((column) => t(lang, `tabla.col.${column}` as TextKey));
  return [head, head.map(() => "---"), ...rows].map((row) => `| ${row.join(" | ")} |`).join("\n");
}
