// deno task diapositivas: the class's slides, leccion/diapositivas.html, and the handout's printable
// form, leccion/alumno.html, made from the files the tests run.
//
// The deck follows the parts of leccion/clase.md. Its code is read from the twins (leccion/*.ts) and
// the lesson's Python (tests/lesson_*.py) each time it is made, the steps found by their comments
// ("// Paso 7", "# 7."); the sequence diagrams come from a recorded run of `deno task demo --mermaid`
// (tools/diapositivas/demo.mmd), drawn as SVG here. One file, nothing fetched: styles, script and
// drawings are inline. docs/slides.md says how it is made and tested.
//
//   deno task diapositivas            write both files
//   deno task diapositivas --check    exit 1 if either file differs from what would be written
//   deno task diapositivas --record   run the demo again, keep its diagram, then write both files

import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import {
  type Block,
  blocks,
  escape,
  html as markdownHtml,
  inline,
} from "./diapositivas/markdown.ts";
import {
  conversations,
  parseSequence,
  pieces,
  type Sequence,
  sequenceSvg,
} from "./diapositivas/sequence.ts";
import {
  fileLines,
  linesOfSteps,
  pages,
  type PythonStep,
  pythonSteps,
  readTwin,
  splitComment,
  stepsNamed,
  stepsTitle,
  table,
  type Twin,
} from "./diapositivas/steps.ts";

export const ROOT = fileURLToPath(new URL("../", import.meta.url));
export const DECK = "leccion/diapositivas.html";
export const HANDOUT = "leccion/alumno.html";
export const RECORDING = "tools/diapositivas/demo.mmd";
const HERE = "tools/diapositivas/";

/** At most this many lines of code on a slide: with 80 columns, about 24 px at 1280x720. */
export const PAGE_LINES = 18;
/** At most this many events of a sequence diagram on one slide. */
const DIAGRAM_ROWS = 10;

/** Each twin, the lesson's Python beside it, and how its steps are grouped on slides. */
const TWINS = {
  server: {
    path: "leccion/server.ts",
    python: "tests/lesson_server.py",
    name: "El servidor TCP",
    groups: [[1, 2, 3], [4, 5, 6], [7], [8, 9]],
  },
  client: {
    path: "leccion/client.ts",
    python: "tests/lesson_client.py",
    name: "El cliente TCP",
    groups: [[1, 2], [3, 4], [5], [6]],
  },
  udpServer: {
    path: "leccion/udp_server.ts",
    python: "tests/lesson_udp_server.py",
    name: "El servidor UDP",
    groups: [[1, 2, 3], [4, 5], [6, 7], [8, 9]],
  },
  udpClient: {
    path: "leccion/udp_client.ts",
    python: "tests/lesson_udp_client.py",
    name: "El cliente UDP",
    groups: [[1, 2], [3, 4], [5], [6]],
  },
};
type TwinKey = keyof typeof TWINS;

interface Slide {
  /** The part of the class it belongs to, shown at its foot. */
  part: string;
  kind: string;
  body: string;
}

// ---------------------------------------------------------------------------------------------
// Code on slides.

/** Columns of a line as a person counts them (a character with an accent is one). */
const columns = (line: string) => Array.from(line).length;

/**
 * The slide's room, in its units (1/100 of its width): the width inside a code block, and the
 * height left for code under a title, a line of the lesson's steps and a line of Python.
 */
const ROOM_WIDTH = 95.6, ROOM_HEIGHT = 42.2;

/** Font size, in slide units, for code of these many lines and columns (the gutter adds 2.9). */
function codeSize(lines: number, cols: number, gutter: boolean, room = ROOM_HEIGHT): number {
  const byWidth = ROOM_WIDTH / ((cols + (gutter ? 2.9 : 0)) * 0.602);
  const byHeight = room / (lines * 1.2);
  return Math.floor(Math.min(2.2, byWidth, byHeight) * 100) / 100;
}

/** The largest size up to `max` at which a line of `chars` characters fits across the slide. */
const lineSize = (chars: number, max: number, em: number) =>
  Math.floor(Math.min(max, ROOM_WIDTH / (chars * em)) * 100) / 100;

/** One line of code: its comment in its own colour, the text itself unchanged. */
function codeLine(text: string, mark: "//" | "#", state: string, n?: number): string {
  const { code, comment } = splitComment(text, mark);
  const body = escape(code) + (comment ? `<span class="c">${escape(comment)}</span>` : "");
  return `<span class="l ${state}"${n === undefined ? "" : ` data-n="${n}"`}>${body}</span>`;
}

interface CodeView {
  twin: Twin;
  from: number;
  to: number;
  lit: Set<number>;
  size: number;
}

function codeBlock(view: CodeView, steps: number[]): string {
  const lines: string[] = [];
  for (let n = view.from; n <= view.to; n++) {
    const state = view.lit.size === 0 ? "" : view.lit.has(n) ? "on" : "off";
    lines.push(codeLine(view.twin.lines[n], "//", state, n + 1));
  }
  return `<pre class="codigo" data-file="${view.twin.path}" data-from="${view.from + 1}" data-to="${
    view.to + 1
  }" data-steps="${steps.join(",")}" style="font-size:calc(var(--u) * ${view.size})">${
    lines.join("")
  }</pre>`;
}

const stepLabel = (steps: number[]) =>
  steps.length === 1 ? `${steps[0]}` : `${steps.slice(0, -1).join(", ")} y ${steps.at(-1)}`;

/** The lesson's Python for these steps, as one line under the code. */
function pythonStrip(python: PythonStep[]): string {
  const code = python.filter((py) => py.code !== "");
  if (code.length === 0) return "";
  const chars = 11 + code.reduce((sum, py) => sum + columns(py.code) + 2, -2);
  return `<p class="py" style="font-size:calc(var(--u) * ${lineSize(chars, 1.7, 0.61)})">` +
    `<b>En Python:</b>${code.map((py) => `<code>${escape(py.code)}</code>`).join(" ")}</p>`;
}

/** The twin's slides: one per group of steps and page it touches, then any page left unseen. */
function twinSlides(key: TwinKey, part: string): Slide[] {
  const spec = TWINS[key];
  const twin = readTwin(ROOT, spec.path);
  const python = pythonSteps(fileLines(ROOT, spec.python));
  const named = stepsNamed(twin);
  const grouped = spec.groups.flat();
  for (const step of grouped) {
    if (!named.includes(step)) {
      throw new Error(`${spec.path}: no comment names step ${step} ("// Paso ${step}: ...")`);
    }
  }
  for (const step of named) {
    if (!grouped.includes(step)) {
      throw new Error(
        `${spec.path} names step ${step}, which no slide shows: add it to TWINS in tools/diapositivas.ts`,
      );
    }
  }
  const cut = pages(twin.lines, PAGE_LINES);
  const longest = Math.max(...twin.lines.map(columns));
  const tallest = Math.max(...cut.map((page) => page.to - page.from + 1));
  const size = codeSize(tallest, longest, true);
  const out: Array<{ page: number; slide: Slide }> = [];
  for (const steps of spec.groups) {
    const lit = new Set(linesOfSteps(twin, steps));
    const touched = cut.map((page, n) => ({ page, n })).filter(({ page }) =>
      [...lit].some((line) => line >= page.from && line <= page.to)
    );
    const ours = python.filter((py) => py.steps.some((step) => steps.includes(step)));
    const sub = `La lección: ${
      unique(ours.map((py) => `${stepLabel(py.steps)}. ${py.words}`)).join(" · ")
    }`;
    const subSize = lineSize(columns(sub), 1.8, 0.62);
    for (const [k, { page, n }] of touched.entries()) {
      const more = touched.length > 1 ? ` (${k + 1} de ${touched.length})` : "";
      out.push({
        page: n,
        slide: {
          part,
          kind: "codigo",
          body: `<header><h2>${spec.name}: ${stepsTitle(steps).toLowerCase()}${more}</h2>${
            ours.length
              ? `<p class="sub" style="font-size:calc(var(--u) * ${subSize})">${escape(sub)}</p>`
              : ""
          }</header>${codeBlock({ twin, ...page, lit, size }, steps)}${pythonStrip(ours)}`,
        },
      });
    }
  }
  // A page that no step touches (a helper function) still gets projected once, after the page
  // before it.
  for (const [n, page] of cut.entries()) {
    if (out.some((entry) => entry.page === n)) continue;
    const after = out.findLastIndex((entry) => entry.page < n);
    out.splice(after + 1, 0, {
      page: n,
      slide: {
        part,
        kind: "codigo",
        body: `<header><h2>${spec.name}: el resto</h2><p class="sub">Líneas ${page.from + 1} a ${
          page.to + 1
        } de <code>${spec.path}</code></p></header>${
          codeBlock({ twin, ...page, lit: new Set(), size }, [])
        }`,
      },
    });
  }
  return out.map((entry) => entry.slide);
}

const unique = (list: string[]) => [...new Set(list)];

/** The Python -> Deno table of a twin, on one slide. */
function tableSlide(key: TwinKey, part: string): Slide {
  const spec = TWINS[key];
  const twin = readTwin(ROOT, spec.path);
  const python = pythonSteps(fileLines(ROOT, spec.python));
  const rows = table(twin, python).map((row) => {
    const py = row.python.length
      ? row.python.map((p) => p.code ? `<code>${escape(p.code)}</code>` : escape(p.words))
        .join("<br>")
      : "—";
    const deno = row.deno === undefined
      ? escape(row.words)
      : `<code>${escape(splitComment(twin.lines[row.deno], "//").code.trim())}</code>`;
    return `<tr><td class="n">${stepLabel(row.steps)}</td><td>${py}</td><td>${deno}</td></tr>`;
  });
  return {
    part,
    kind: "tabla",
    body: `<header><h2>Python → Deno: <code>${spec.path}</code></h2><p class="sub">Cada paso en ` +
      `<code>${spec.python}</code> y en el gemelo, leídos de los dos archivos</p></header>` +
      `<table class="pasos"><thead><tr><th>Paso</th><th>Python (la lección)</th>` +
      `<th>Deno (el gemelo)</th></tr></thead><tbody>${rows.join("")}</tbody></table>`,
  };
}

// ---------------------------------------------------------------------------------------------
// The plan (leccion/clase.md): its parts, commands, questions.

interface Part {
  n: string;
  title: string;
  label: string;
  blocks: Block[];
}

function planParts(plan: Block[]): Part[] {
  const parts: Part[] = [];
  for (const block of plan) {
    if (block.kind === "heading" && block.level === 2) {
      const match = block.text.match(/^Parte (\d+)(?: \([^)]*\))?:\s*(.*)$/);
      if (match) {
        parts.push({
          n: match[1],
          title: match[2],
          label: `Parte ${match[1]} · ${match[2]}`,
          blocks: [],
        });
        continue;
      }
      if (parts.length) parts.push({ n: "", title: block.text, label: block.text, blocks: [] });
      continue;
    }
    parts.at(-1)?.blocks.push(block);
  }
  return parts.filter((part) => part.n !== "");
}

/** The questions of a part (what comes before "→" in each item under "**Preguntar**"). */
function questions(part: Part): string[] {
  const out: string[] = [];
  for (const [n, block] of part.blocks.entries()) {
    if (block.kind !== "paragraph" || !/^\*\*Preguntar\b/.test(block.text)) continue;
    const list = part.blocks[n + 1];
    if (list?.kind !== "list") continue;
    out.push(...list.items.map((item) => item.split(/\s+→\s+/)[0].trim()));
  }
  return out;
}

/** The plan's commands for a part, on as many slides as keep them at 1.6 units (20 px) or more. */
function commandSlides(part: Part): Slide[] {
  const code = part.blocks.filter((block): block is Extract<Block, { kind: "code" }> =>
    block.kind === "code" && /^(sh|bash|shell|console)?$/.test(block.lang) && block.lines.length > 0
  );
  const size = (group: typeof code) => {
    const all = group.flatMap((block) => block.lines);
    return codeSize(all.length, Math.max(...all.map(columns)), false, 44 - group.length * 1.2);
  };
  const groups: Array<typeof code> = [];
  for (const block of code) {
    const last = groups.at(-1);
    if (last && size([...last, block]) >= 1.6) last.push(block);
    else groups.push([block]);
  }
  return groups.map((group, n) => {
    const pres = group.map((block) =>
      `<pre class="comandos" data-file="leccion/clase.md" data-from="${block.line + 1}" data-to="${
        block.line + block.lines.length
      }" style="font-size:calc(var(--u) * ${size(group)})">${
        block.lines.map((line) => codeLine(line, "#", "")).join("")
      }</pre>`
    );
    return {
      part: part.label,
      kind: "comandos",
      body:
        `<header><h2>A correrlo${more(n, groups.length)}</h2><p class="sub">En la carpeta del ` +
        `proyecto, como dice el plan (<code>leccion/clase.md</code>)</p></header>${pres.join("")}`,
    };
  });
}

const more = (n: number, of: number) => of > 1 ? ` (${n + 1} de ${of})` : "";

/**
 * Items of a list on as many slides as they need: about 70 characters to a line at this size,
 * 48 units of height under the title.
 */
function listSlides(part: string, kind: string, title: string, items: string[]): Slide[] {
  const height = (item: string) => Math.ceil(item.replace(/[`*]/g, "").length / 66) * 3.1 + 0.7;
  const groups: string[][] = [];
  let used = Infinity;
  for (const item of items) {
    if (used + height(item) > 47) groups.push([]), used = 0;
    groups.at(-1)!.push(item);
    used += height(item);
  }
  return groups.map((group, n) => ({
    part,
    kind,
    body: `<header><h2>${title}${more(n, groups.length)}</h2></header><ul>${
      group.map((item) => `<li>${inline(item)}</li>`).join("")
    }</ul>`,
  }));
}

// ---------------------------------------------------------------------------------------------
// Drawings.

/** A client and a server, each with its socket, and the network between them. */
function socketDrawing(): string {
  const box = (x: number, title: string, lines: string[]) =>
    `<rect x="${x}" y="40" width="380" height="230" rx="14" fill="#dbe8ff" stroke="#000" stroke-width="3"/>` +
    `<text x="${
      x + 190
    }" y="95" text-anchor="middle" font-size="38" font-weight="bold">${title}</text>` +
    lines.map((line, n) =>
      `<text x="${x + 190}" y="${150 + n * 42}" text-anchor="middle" font-size="28">${line}</text>`
    ).join("");
  return `<svg viewBox="0 0 1200 320" role="img" aria-label="Un cliente y un servidor, cada uno con su socket" xmlns="http://www.w3.org/2000/svg" font-family="DejaVu Sans, Arial, sans-serif">` +
    box(20, "cliente", ["busca al servidor:", "su IP y su puerto"]) +
    box(800, "servidor", ["espera en una", "dirección: IP y puerto"]) +
    `<circle cx="400" cy="155" r="24" fill="#fff0a8" stroke="#000" stroke-width="3"/>` +
    `<circle cx="800" cy="155" r="24" fill="#fff0a8" stroke="#000" stroke-width="3"/>` +
    `<line x1="424" y1="155" x2="776" y2="155" stroke="#000" stroke-width="4" stroke-dasharray="14 8"/>` +
    `<text x="600" y="135" text-anchor="middle" font-size="30">la red</text>` +
    `<text x="600" y="215" text-anchor="middle" font-size="26">● = un socket:</text>` +
    `<text x="600" y="250" text-anchor="middle" font-size="26">un extremo de la</text>` +
    `<text x="600" y="285" text-anchor="middle" font-size="26">conversación</text></svg>`;
}

/** The lesson's sequence: bind → listen → accept → comunicarse → close, and the client's. */
function stepsDrawing(): string {
  const row = (y: number, who: string, steps: string[], x0: number) =>
    `<text x="10" y="${y + 48}" font-size="32" font-weight="bold">${who}</text>` +
    steps.map((step, n) => {
      const x = x0 + n * 200;
      return `<rect x="${x}" y="${y}" width="170" height="76" rx="10" fill="${
        step === "comunicarse" ? "#fff0a8" : "#dbe8ff"
      }" stroke="#000" stroke-width="3"/>` +
        `<text x="${x + 85}" y="${y + 48}" text-anchor="middle" font-size="${
          step.length > 8 ? 25 : 30
        }" font-family="DejaVu Sans Mono, Consolas, monospace">${step}</text>` +
        (n < steps.length - 1
          ? `<line x1="${x + 172}" y1="${y + 38}" x2="${x + 196}" y2="${
            y + 38
          }" stroke="#000" stroke-width="4" marker-end="url(#paso)"/>`
          : "");
    }).join("");
  return `<svg viewBox="0 0 1200 330" role="img" aria-label="bind, listen, accept, comunicarse, close" xmlns="http://www.w3.org/2000/svg" font-family="DejaVu Sans, Arial, sans-serif">` +
    `<defs><marker id="paso" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="5" markerHeight="5" orient="auto"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>` +
    row(20, "servidor", ["bind", "listen", "accept", "comunicarse", "close"], 190) +
    row(220, "cliente", ["connect", "comunicarse", "close"], 590) +
    `<line x1="675" y1="218" x2="675" y2="100" stroke="#000" stroke-width="4" stroke-dasharray="10 6" marker-end="url(#paso)"/>` +
    `<text x="690" y="175" font-size="24">se conecta</text></svg>`;
}

/** The chat room: every member talks only to the server, which passes each line on. */
function chatDrawing(): string {
  const names = ["Ana", "Beto", "Caro", "Dani"];
  const at = [[200, 90], [1000, 90], [200, 400], [1000, 400]];
  const parts = names.map((name, n) => {
    const [x, y] = at[n];
    const arrow = n === 0
      ? `<line x1="${x + 90}" y1="${
        y + 25
      }" x2="500" y2="220" stroke="#000" stroke-width="5" marker-end="url(#chat)"/>` +
        `<text x="${x + 110}" y="${
          y + 100
        }" font-size="28" font-family="DejaVu Sans Mono, monospace">hola</text>`
      : `<line x1="${x < 600 ? 500 : 700}" y1="${y < 300 ? 220 : 290}" x2="${
        x + (x < 600 ? 90 : -90)
      }" y2="${y + 25}" stroke="#b35900" stroke-width="5" marker-end="url(#chat)"/>`;
    return arrow +
      `<rect x="${
        x - 90
      }" y="${y}" width="180" height="60" rx="10" fill="#dbe8ff" stroke="#000" stroke-width="3"/>` +
      `<text x="${x}" y="${y + 40}" text-anchor="middle" font-size="32">${name}</text>`;
  }).join("");
  return `<svg viewBox="0 0 1200 480" role="img" aria-label="Cuatro clientes conectados a un servidor de chat" xmlns="http://www.w3.org/2000/svg" font-family="DejaVu Sans, Arial, sans-serif">` +
    `<defs><marker id="chat" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="5" markerHeight="5" orient="auto"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>` +
    `<rect x="430" y="200" width="340" height="110" rx="14" fill="#fff0a8" stroke="#000" stroke-width="3"/>` +
    `<text x="600" y="248" text-anchor="middle" font-size="32" font-weight="bold">servidor de chat</text>` +
    `<text x="600" y="288" text-anchor="middle" font-size="26">reenvía cada línea</text>` +
    parts + `</svg>`;
}

// ---------------------------------------------------------------------------------------------
// The parts' own slides.

function introSlides(part: string): Slide[] {
  return [
    {
      part,
      kind: "texto",
      body: `<header><h2>¿Qué es un socket?</h2></header><figure>${socketDrawing()}</figure>` +
        `<ul><li>El servidor arranca primero y espera; el cliente lo busca por su IP y su puerto.</li>` +
        `<li>En Deno no hay <code>import socket</code>: los sockets vienen incorporados.</li></ul>`,
    },
    {
      part,
      kind: "texto",
      body: `<header><h2>La secuencia de la lección</h2><p class="sub">bind → listen → accept → ` +
        `comunicarse → close</p></header><figure>${stepsDrawing()}</figure>`,
    },
    {
      part,
      kind: "tabla",
      body: `<header><h2>Los métodos de la lección, en Deno</h2></header>` +
        `<table><thead><tr><th>Python</th><th>Qué hace</th><th>Deno</th></tr></thead><tbody>` +
        [
          ["socket.socket()", "crea el socket", "Deno.listen() / Deno.connect()"],
          [".bind()", "le da una IP y un puerto", "Deno.listen({ hostname, port })"],
          [".listen()", "espera conexiones", "(lo hace Deno.listen)"],
          [".accept()", "acepta a un cliente", "listener.accept()"],
          [".connect()", "se conecta a un servidor", "Deno.connect({ hostname, port })"],
          [".send()", "envía bytes", "conn.write(bytes)"],
          [".recv()", "recibe bytes", "conn.read(buffer)"],
          [".close()", "cierra la conexión", "conn.close()"],
        ].map(([py, what, deno]) =>
          `<tr><td><code>${escape(py)}</code></td><td>${what}</td><td><code>${
            escape(deno)
          }</code></td></tr>`
        ).join("") + `</tbody></table>`,
    },
  ];
}

function diagramSlides(part: string, which: "TCP" | "UDP"): Slide[] {
  const recorded = Deno.readTextFileSync(`${ROOT}${RECORDING}`);
  const when = recorded.match(/^%% (.*)$/m)?.[1] ?? "";
  const talks = conversations(parseSequence(recorded));
  const ours = talks.find((talk) =>
    talk.events.some((event) => event.text.startsWith(which)) ||
    talk.participants.some((p) => (which === "UDP") === p.label.startsWith("udp_"))
  );
  if (!ours) throw new Error(`${RECORDING}: no ${which} conversation`);
  const split = pieces(ours, DIAGRAM_ROWS);
  return split.map((piece: Sequence, n) => ({
    part,
    kind: "diagrama",
    body:
      `<header><h2>Una corrida real, ${which}${
        split.length > 1 ? ` (${n + 1} de ${split.length})` : ""
      }</h2><p class="sub">Lo que pasó en <code>deno task demo</code>: cada flecha ocurrió</p>` +
      `</header><figure>${
        sequenceSvg(piece, `Diagrama de secuencia de ${which}`, `flecha-${which}-${n}`)
      }</figure><p class="nota">${escape(when)}</p>`,
  }));
}

function tcpUdpSlide(part: string): Slide | undefined {
  const guide = blocks(Deno.readTextFileSync(`${ROOT}leccion/README.md`));
  const found = guide.find((block): block is Extract<Block, { kind: "table" }> =>
    block.kind === "table" && block.head[0] === "Tema"
  );
  if (!found) return undefined;
  return {
    part,
    kind: "tabla",
    body: `<header><h2>TCP y UDP</h2><p class="sub">La tabla de la guía ` +
      `(<code>leccion/README.md</code>)</p></header>${markdownHtml([found])}`,
  };
}

function chatSlides(part: string): Slide[] {
  return [{
    part,
    kind: "texto",
    body: `<header><h2>El chat: el WhatsApp de la lección</h2></header><figure>${chatDrawing()}` +
      `</figure><ul><li>Cada uno tiene una sola conexión: con el servidor, que tiene la lista.</li>` +
      `<li>Lo que escribe uno, el servidor se lo reenvía a todos los demás.</li></ul>`,
  }];
}

function exerciseSlides(part: string, tasks: Record<string, string>): Slide[] {
  const handout = blocks(Deno.readTextFileSync(`${ROOT}leccion/alumno.md`));
  const start = handout.findIndex((block) =>
    block.kind === "heading" && /^Ejercicios\b/.test(block.text)
  );
  const titles: string[] = [];
  // Each exercise starts "**1. Dos terminales.**", or is a heading of its own under "Ejercicios".
  const level = start === -1 ? 0 : (handout[start] as { level: number }).level;
  for (const block of start === -1 ? [] : handout.slice(start + 1)) {
    if (block.kind === "heading" && block.level <= level) break;
    const title = block.kind === "paragraph"
      ? block.text.match(/^\*\*(\d+\.\s*[^*]+?)\.?\*\*/)?.[1]
      : block.kind === "heading"
      ? block.text
      : undefined;
    if (title) titles.push(title);
  }
  const out: Slide[] = [];
  if (titles.length) {
    out.push({
      part,
      kind: "texto",
      body:
        `<header><h2>Ejercicios</h2><p class="sub">En el apunte (<code>leccion/alumno.md</code>):` +
        ` qué correr y qué contestar</p></header><ul>${
          titles.map((title) => `<li>${inline(title)}</li>`).join("")
        }</ul>`,
    });
  }
  const folder = `${ROOT}leccion/ejercicios`;
  let starters: string[] = [];
  try {
    starters = [...Deno.readDirSync(folder)].map((entry) =>
      entry.name + (entry.isDirectory ? "/" : "")
    )
      .filter((name) => !name.startsWith(".")).sort();
  } catch { /* no exercises folder (yet) */ }
  if (starters.length || "probar" in tasks) {
    const items: string[] = [];
    if (starters.length) {
      items.push(
        `Para empezar, en <code>leccion/ejercicios/</code>: ${
          starters.map((name) => `<code>${escape(name)}</code>`).join(", ")
        }`,
      );
    }
    if ("probar" in tasks) {
      items.push(
        `¿Anda tu servidor? Con el servidor andando: <code>deno task probar eco 127.0.0.1:21042</code>`,
        `¿Y tu cliente? <code>deno task probar cliente-eco -- python3 cliente.py</code>`,
        `Te dice qué falló, por qué pasa y cómo arreglarlo: <code>deno task probar --help</code>`,
      );
    }
    out.push({
      part,
      kind: "texto",
      body: `<header><h2>Tu propio programa</h2></header><ul>${
        items.map((item) => `<li>${item}</li>`).join("")
      }</ul>`,
    });
  }
  return out;
}

function closingSlides(part: Part | undefined, label: string): Slide[] {
  const items = part?.blocks.flatMap((block) => block.kind === "list" ? block.items : []) ?? [];
  const out = listSlides(label, "texto", "Cierre", items);
  out.push({
    part: label,
    kind: "portada",
    body:
      `<h1>¿Preguntas?</h1><p class="sub">Todo lo de hoy está en la carpeta <code>leccion/</code>: ` +
      `el apunte (<code>alumno.md</code>), la guía (<code>README.md</code>) y los programas.</p>`,
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// The deck.

const BUILT_IN = ["intro", "server", "client", "udp", "chat", "exercises", "closing"] as const;
type BuiltIn = typeof BUILT_IN[number];

/** Which of the deck's own slides go with a part of the plan, by its title. */
function builtInFor(title: string): BuiltIn | undefined {
  const t = title.toLowerCase();
  if (/\budp\b/.test(t)) return "udp";
  if (/\bchat\b/.test(t)) return "chat";
  if (/\bservidor\b/.test(t)) return "server";
  if (/\bcliente\b/.test(t)) return "client";
  if (/\bcierre\b/.test(t)) return "closing";
  if (/\bejercicio/.test(t)) return "exercises";
  if (/\bsocket\b/.test(t)) return "intro";
  return undefined;
}

export function deckHtml(): string {
  const plan = blocks(Deno.readTextFileSync(`${ROOT}leccion/clase.md`));
  const tasks: Record<string, string> =
    JSON.parse(Deno.readTextFileSync(`${ROOT}deno.json`)).tasks ?? {};
  const parts = planParts(plan);
  const placed = new Map<BuiltIn, Part>();
  for (const part of parts) {
    const which = builtInFor(part.title);
    if (which && !placed.has(which)) placed.set(which, part);
  }
  if (!placed.has("exercises") && placed.has("chat")) placed.set("exercises", placed.get("chat")!);
  const own = (which: BuiltIn, label: string): Slide[] => {
    switch (which) {
      case "intro":
        return introSlides(label);
      case "server":
        return [...twinSlides("server", label), tableSlide("server", label)];
      case "client":
        return [
          ...twinSlides("client", label),
          tableSlide("client", label),
          ...diagramSlides(label, "TCP"),
        ];
      case "udp":
        return [
          ...twinSlides("udpServer", label),
          ...twinSlides("udpClient", label),
          tableSlide("udpServer", label),
          tableSlide("udpClient", label),
          ...[tcpUdpSlide(label)].filter((slide) => slide !== undefined),
          ...diagramSlides(label, "UDP"),
        ];
      case "chat":
        return chatSlides(label);
      case "exercises":
        return exerciseSlides(label, tasks);
      case "closing":
        return closingSlides(placed.get("closing"), label);
    }
  };

  const slides: Slide[] = [];
  slides.push({
    part: "",
    kind: "portada",
    body:
      `<h1>Sockets con Deno</h1><p class="sub">La lección «Programando en Python con Sockets», ` +
      `paso a paso, con los programas de la carpeta <code>leccion/</code></p>` +
      `<p class="teclas">→ o espacio: la que sigue · ←: la anterior · Inicio y Fin · ` +
      `F: pantalla completa</p>`,
  });
  const agenda = plan.find((block): block is Extract<Block, { kind: "table" }> =>
    block.kind === "table" && block.head.includes("Parte") && block.head.includes("Minutos")
  );
  if (agenda) {
    const keep = agenda.head.map((_, n) => n).filter((n) => agenda.head[n] !== "Archivo");
    const trimmed = {
      ...agenda,
      head: keep.map((n) => agenda.head[n]),
      align: keep.map((n) => agenda.align[n]),
      rows: agenda.rows.map((row) => keep.map((n) => row[n] ?? "")),
    };
    slides.push({
      part: "",
      kind: "tabla",
      body: `<header><h2>La clase, en 90 minutos</h2></header>${markdownHtml([trimmed])}`,
    });
  }
  const done = new Set<BuiltIn>();
  // A part's own slides, then its commands and questions; the exercises after those (as in the
  // plan: the chat is run and talked about, then the final exercise); the closing slides last.
  const ours = (part: Part, which: BuiltIn) => placed.get(which) === part && !done.has(which);
  for (const part of parts) {
    for (const which of BUILT_IN) {
      if (which === "closing" || which === "exercises" || !ours(part, which)) continue;
      done.add(which);
      slides.push(...own(which, part.label));
    }
    slides.push(...commandSlides(part));
    slides.push(...listSlides(part.label, "preguntas", "Preguntas", questions(part)));
    if (ours(part, "exercises")) {
      done.add("exercises");
      slides.push(...own("exercises", part.label));
    }
  }
  // What the plan has no part for still gets shown, in the deck's order, before the closing.
  for (const which of BUILT_IN) {
    if (!done.has(which)) {
      done.add(which);
      slides.push(...own(which, placed.get(which)?.label ?? ""));
    }
  }

  const sections = slides.map((slide, n) =>
    `<section class="slide ${slide.kind}" id="d${n + 1}">${slide.body}<footer class="pie"><span>${
      escape(slide.part)
    }</span><span>${n + 1} / ${slides.length}</span></footer></section>`
  );
  return page(
    "Sockets con Deno: diapositivas",
    Deno.readTextFileSync(`${ROOT}${HERE}deck.css`),
    sections.join("\n"),
    `<script>\n${withoutComments(Deno.readTextFileSync(`${ROOT}${HERE}deck.js`))}</script>\n` +
      `<noscript><style>.slide{display:flex;position:relative;left:auto;top:auto;` +
      `transform:none;margin:1em auto}html,body{overflow:auto;height:auto}</style></noscript>`,
    "leccion/clase.md, leccion/*.ts, tests/lesson_*.py, leccion/alumno.md, leccion/README.md y " +
      RECORDING,
  );
}

/**
 * A whole page. Everything under leccion/ is Spanish, so the page's one comment is too, and the
 * English comments of deck.css, deck.js and handout.css stay out of it.
 */
function page(title: string, css: string, body: string, end: string, from: string): string {
  return `<!DOCTYPE html>
<!-- Hecho con deno task diapositivas (tools/diapositivas.ts) a partir de ${from}: para cambiarlo, editá esos archivos y corré la tarea de nuevo. -->
<html lang="es">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}</title>
<style>
${withoutComments(css)}</style>
</head>
<body>
${body}
${end}</body>
</html>
`;
}

/** CSS without its comments, or script without its whole-line `//` comments. */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\/\n?/g, "").split("\n")
    .filter((line) => !/^\s*\/\//.test(line)).join("\n");
}

// ---------------------------------------------------------------------------------------------
// The handout, printable on A4.

export function handoutHtml(): string {
  const source = blocks(Deno.readTextFileSync(`${ROOT}leccion/alumno.md`));
  const first = source.find((block) => block.kind === "heading");
  const title = first?.kind === "heading" ? first.text : "Apunte";
  return page(
    title,
    Deno.readTextFileSync(`${ROOT}${HERE}handout.css`),
    `<main>\n${markdownHtml(source)}\n</main>`,
    "",
    "leccion/alumno.md",
  );
}

// ---------------------------------------------------------------------------------------------
// The command.

/** The demo in the deck's language, wherever it is recorded or checked (and without colour). */
export const DEMO_ENV = { NO_COLOR: "1", LANG: "es_AR.UTF-8", LC_ALL: "es_AR.UTF-8" };

/** Run the demo again and keep its diagram, with a line that says when and with which Deno. */
async function record(): Promise<void> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["task", "demo", "--mermaid"],
    cwd: ROOT,
    env: DEMO_ENV,
    stdin: "null",
    signal: AbortSignal.timeout(120_000),
  }).output();
  const text = new TextDecoder().decode(stdout);
  if (code !== 0 || !text.startsWith("sequenceDiagram")) {
    throw new Error(
      `deno task demo --mermaid failed (exit ${code}):\n${new TextDecoder().decode(stderr)}`,
    );
  }
  parseSequence(text); // fails here, not in the deck, if the demo's diagram cannot be read
  const day = new Date().toISOString().slice(0, 10);
  const header =
    `%% Grabado con deno task demo --mermaid (Deno ${Deno.version.deno}, ${day}); los puertos cambian en cada corrida.\n`;
  await Deno.writeTextFile(`${ROOT}${RECORDING}`, header + text);
}

if (import.meta.main) {
  let values;
  try {
    values = parseArgs({
      options: {
        check: { type: "boolean" },
        record: { type: "boolean" },
        help: { type: "boolean" },
      },
    }).values;
  } catch (error) {
    console.error(`diapositivas: ${(error as Error).message}`);
    console.error("usage: deno task diapositivas [--check | --record]");
    Deno.exit(2);
  }
  if (values.help) {
    console.log(
      "usage: deno task diapositivas [--check | --record]\n" +
        `  writes ${DECK} and ${HANDOUT}\n` +
        "  --check   exit 1 if either file is not what it would write (nothing written)\n" +
        `  --record  run deno task demo --mermaid again and keep it in ${RECORDING} first`,
    );
    Deno.exit(0);
  }
  try {
    if (values.record) await record();
    const made = [[DECK, deckHtml()], [HANDOUT, handoutHtml()]];
    let stale = 0;
    for (const [path, text] of made) {
      let old = "";
      try {
        old = await Deno.readTextFile(`${ROOT}${path}`);
      } catch { /* not made yet */ }
      if (values.check) {
        if (old !== text) {
          console.log(`${path} is out of date: run deno task diapositivas`);
          stale++;
        }
      } else if (old !== text) {
        await Deno.writeTextFile(`${ROOT}${path}`, text);
        console.log(`wrote ${path}`);
      } else console.log(`${path} is up to date`);
    }
    Deno.exit(stale ? 1 : 0);
  } catch (error) {
    console.error(`diapositivas: ${(error as Error).message}`);
    Deno.exit(1);
  }
}
