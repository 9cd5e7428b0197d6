// Where each step of the lesson is in a twin (leccion/*.ts) and in the lesson's Python
// (tests/lesson_*.py), found by the step comments ("// Paso 7: ...", "# 7. ..."), never by line
// numbers, so that the deck follows the files when they change.

/** A run of lines that a step comment names: 0-based, `from` and `to` included. */
export interface Region {
  steps: number[];
  /** The line that holds the step comment. */
  marker: number;
  from: number;
  to: number;
  /** The comment's own words after "Paso N:" (may be empty). */
  words: string;
}

export interface Twin {
  path: string;
  lines: string[];
  regions: Region[];
}

export interface PythonStep {
  steps: number[];
  line: number;
  /** The code before the comment, trimmed ("" when the line is only a comment). */
  code: string;
  /** The comment after "N.": the lesson's name for the step. */
  words: string;
}

/** Step numbers named in a text: "Paso 7", "Pasos 4, 5 y 6", "Pasos 1 a 3", "pasos 4-6". */
export function stepNumbers(text: string): number[] {
  const found: number[] = [];
  for (const match of text.matchAll(/\bPasos?\s+(\d+(?:\s*(?:,|\by\b|\ba\b|-|–)\s*\d+)*)/gi)) {
    found.push(...numberList(match[1]));
  }
  return [...new Set(found)].sort((a, b) => a - b);
}

/** "4, 5 y 6" -> [4, 5, 6]; "1 a 3" and "4-6" are ranges. */
function numberList(text: string): number[] {
  const out: number[] = [];
  const tokens = text.split(/\s*(,|\by\b|\ba\b|-|–)\s*/).filter((token) => token !== "");
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (/^\d+$/.test(token)) out.push(Number(token));
    else if (/^(a|-|–)$/.test(token) && out.length > 0 && /^\d+$/.test(tokens[i + 1] ?? "")) {
      const end = Number(tokens[++i]);
      for (let n = out.at(-1)! + 1; n <= end && n - out.at(-1)! < 20; n++) out.push(n);
    }
  }
  return out;
}

/**
 * Split a line of code into the code and its comment (`//` in TypeScript, `#` in Python), with
 * string literals skipped so that "http://" or "#1" inside quotes are not taken for comments.
 */
export function splitComment(line: string, mark: "//" | "#"): { code: string; comment: string } {
  let quote = "";
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = "";
    } else if (c === '"' || c === "'" || c === "`") quote = c;
    else if (line.startsWith(mark, i)) return { code: line.slice(0, i), comment: line.slice(i) };
  }
  return { code: line, comment: "" };
}

/**
 * The words after "Paso N:" (or "Pasos N y M:") in a comment and the comment lines under it, up to
 * the next step named or the end of the comment.
 */
function wordsAfter(comment: string): string {
  const match = comment.match(/\bPasos?\s+\d+(?:\s*(?:,|\by\b|\ba\b|-|–)\s*\d+)*[^:]*:\s*(.*)$/i);
  return match ? match[1].split(/\s*\bPasos?\s+\d/i)[0].trim() : "";
}

/**
 * The regions of a twin. A comment line that names steps starts a region that runs to the line
 * before the next such comment line, or to the last line before a blank one. A step named in a
 * comment after code on the same line (`conn.close(); // Paso 9`) is that line alone, and does
 * not end the region around it.
 */
export function twinRegions(lines: string[]): Region[] {
  const regions: Region[] = [];
  const parts = lines.map((line) => splitComment(line, "//"));
  const commentOnly = (i: number) => parts[i].code.trim() === "" && parts[i].comment !== "";
  const starts = (i: number) => commentOnly(i) && stepNumbers(parts[i].comment).length > 0;
  for (let i = 0; i < lines.length; i++) {
    const steps = stepNumbers(parts[i].comment);
    if (steps.length === 0) continue;
    if (!commentOnly(i)) {
      regions.push({ steps, marker: i, from: i, to: i, words: wordsAfter(parts[i].comment) });
      continue;
    }
    const comment: string[] = [];
    for (let n = i; n < lines.length && commentOnly(n); n++) {
      comment.push(parts[n].comment.replace(/^\/\/\s?/, ""));
    }
    const words = wordsAfter(comment.join(" "));
    let to = i;
    while (to + 1 < lines.length && lines[to + 1].trim() !== "" && !starts(to + 1)) to++;
    regions.push({ steps, marker: i, from: i, to, words });
  }
  return regions;
}

export function readTwin(root: string, path: string): Twin {
  const lines = fileLines(root, path);
  return { path, lines, regions: twinRegions(lines) };
}

/** The lines of a text file, without the empty string after a final newline. */
export function fileLines(root: string, path: string): string[] {
  const text = Deno.readTextFileSync(`${root}${path}`);
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines.map((line) => line.replace(/\r$/, ""));
}

/** The lines of the lesson's Python that carry a step number: `# 4. crear el objeto socket`. */
export function pythonSteps(lines: string[]): PythonStep[] {
  const out: PythonStep[] = [];
  for (const [line, text] of lines.entries()) {
    const { code, comment } = splitComment(text, "#");
    const match = comment.match(/^#\s*(\d+(?:\s*(?:,|\by\b|\ba\b)\s*\d+)*)\.\s*(.*)$/);
    if (!match) continue;
    out.push({ steps: numberList(match[1]), line, code: code.trim(), words: match[2].trim() });
  }
  return out;
}

/** Every line of the regions that name any of these steps (0-based, in order). */
export function linesOfSteps(twin: Twin, steps: number[]): number[] {
  const set = new Set<number>();
  for (const region of twin.regions) {
    if (!region.steps.some((step) => steps.includes(step))) continue;
    for (let n = region.from; n <= region.to; n++) set.add(n);
  }
  return [...set].sort((a, b) => a - b);
}

/** The steps that some comment of the twin names. */
export function stepsNamed(twin: Twin): number[] {
  return [...new Set(twin.regions.flatMap((region) => region.steps))].sort((a, b) => a - b);
}

/**
 * The twin cut into pages of at most `max` lines, at blank lines: whole paragraphs go together
 * while they fit; a paragraph longer than a page is cut before a step comment where it can be,
 * else before its least indented line. Blank lines at a page's edges are left out.
 */
export function pages(lines: string[], max: number): Array<{ from: number; to: number }> {
  const paragraphs: Array<{ from: number; to: number }> = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === "") continue;
    let to = i;
    while (to + 1 < lines.length && lines[to + 1].trim() !== "") to++;
    paragraphs.push(...cut({ from: i, to }, lines, max));
    i = to;
  }
  const out: Array<{ from: number; to: number }> = [];
  for (const paragraph of paragraphs) {
    const last = out.at(-1);
    if (last && paragraph.to - last.from + 1 <= max) last.to = paragraph.to;
    else out.push({ ...paragraph });
  }
  return out;
}

function cut(range: { from: number; to: number }, lines: string[], max: number) {
  const out: Array<{ from: number; to: number }> = [];
  let { from } = range;
  while (range.to - from + 1 > max) {
    let best = -1, bestScore = Infinity;
    for (let at = from + 1; at <= from + max && at <= range.to; at++) {
      const text = lines[at];
      const marker = /^\s*\/\/.*\bPasos?\s+\d/i.test(text);
      const indent = text.length - text.trimStart().length;
      const score = (marker ? 0 : 1000) + indent * 10 - at / 1000; // later is better on ties
      if (score < bestScore) best = at, bestScore = score;
    }
    out.push({ from, to: best - 1 });
    from = best;
  }
  out.push({ from, to: range.to });
  return out;
}

/** "Paso 7", "Pasos 8 y 9", "Pasos 1 a 3", "Pasos 3, 5 y 6". */
export function stepsTitle(steps: number[]): string {
  if (steps.length === 1) return `Paso ${steps[0]}`;
  const run = steps.every((step, n) => n === 0 || step === steps[n - 1] + 1);
  if (run && steps.length > 2) return `Pasos ${steps[0]} a ${steps.at(-1)}`;
  return `Pasos ${steps.slice(0, -1).join(", ")} y ${steps.at(-1)}`;
}

/** A twin's line that shows a step at work: a call to Deno, an await, or a close. */
const WORK = /\bDeno\.[a-z]\w*\(|\bawait\b|\.close(Write)?\(/;

export interface Row {
  steps: number[];
  python: PythonStep[];
  /** The twin's line for this row (0-based), or undefined when the region holds no code. */
  deno?: number;
  /** The comment's words, for a region that holds no code. */
  words: string;
}

/**
 * The Python <-> Deno table of a twin: one row per region with a full-line step comment (and per
 * step that only a trailing comment names), each with the lesson's Python lines of those steps
 * and the twin's line that does the work. A step set named by several regions (client step 5:
 * send, then receive) shares its Python lines among them in order.
 */
export function table(twin: Twin, python: PythonStep[]): Row[] {
  const markers = new Set(twin.regions.map((region) => region.marker));
  const key = (steps: number[]) => steps.join(",");
  const count = new Map<string, number>();
  for (const region of twin.regions) {
    count.set(key(region.steps), (count.get(key(region.steps)) ?? 0) + 1);
  }
  const used = new Set<PythonStep>();
  const rows: Row[] = [];
  for (const region of twin.regions) {
    const k = key(region.steps);
    const left = count.get(k)!;
    count.set(k, left - 1);
    const matching = python.filter((py) =>
      !used.has(py) && py.steps.some((step) => region.steps.includes(step))
    );
    const take = matching.slice(0, Math.ceil(matching.length / left));
    take.forEach((py) => used.add(py));
    const code: number[] = [];
    for (let n = region.from; n <= region.to; n++) {
      const { code: text } = splitComment(twin.lines[n], "//");
      if (text.trim() === "" || (n !== region.marker && markers.has(n))) continue;
      code.push(n);
    }
    const deno = code.find((n) => WORK.test(splitComment(twin.lines[n], "//").code)) ?? code[0];
    rows.push({ steps: region.steps, python: take, deno, words: region.words });
  }
  return rows;
}
