// deno task diapositivas: the deck (leccion/diapositivas.html) and the printable handout
// (leccion/alumno.html) are what the generator makes from today's files; the code on each slide is
// the code in the file; the recorded demo run is what the demo does now; and, in a real Chromium
// (headless, driven over the DevTools protocol), no slide overflows or scrolls at 1280x720 or
// 1920x1080, the code is at least 24 px at 1280x720, the keys move through the deck, it prints one
// slide per page, and the handout's tables fit an A4 page. Without Chromium the browser tests are
// ignored with the reason in their name. Screenshots go to a temporary folder the test prints.
import assert from "node:assert/strict";
import { fileURLToPath, pathToFileURL } from "node:url";
import { within } from "./helpers/io.ts";
import { run } from "./helpers/process.ts";
import { Browser, findChromium, type Page, pdfPages } from "./helpers/chromium.ts";
import {
  DECK,
  deckHtml,
  DEMO_ENV,
  HANDOUT,
  handoutHtml,
  RECORDING,
} from "../tools/diapositivas.ts";
import { conversations, parseSequence, type Sequence } from "../tools/diapositivas/sequence.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const read = (path: string) => Deno.readTextFileSync(`${ROOT}${path}`);
const fileLines = (path: string) => read(path).replace(/\n$/, "").split("\n");

Deno.test("deno task diapositivas: the committed deck and handout are what it makes from today's files", async () => {
  assert.ok(read(DECK) === deckHtml(), `${DECK} is out of date: run deno task diapositivas`);
  assert.ok(
    read(HANDOUT) === handoutHtml(),
    `${HANDOUT} is out of date: run deno task diapositivas`,
  );
  // The task itself, with its own permissions, agrees and writes nothing.
  const check = await run(["task", "diapositivas", "--check"], { timeoutMs: 60_000 });
  assert.equal(check.code, 0, check.stdout + check.stderr);
});

/** The code blocks of the deck's HTML: which file, which lines, and the text of each line. */
function codeBlocks(html: string) {
  const unescape = (text: string) =>
    text.replace(/<[^>]*>/g, "").replace(/&lt;/g, "<").replace(/&gt;/g, ">")
      .replace(/&quot;/g, '"').replace(/&amp;/g, "&");
  const out = [];
  const pre =
    /<pre class="(codigo|comandos)" data-file="([^"]+)" data-from="(\d+)" data-to="(\d+)"[^>]*>(.*?)<\/pre>/gs;
  for (const [, kind, file, from, to, body] of html.matchAll(pre)) {
    const lines = body.split(/(?=<span class="l[ "])/).filter((part) => part !== "").map(unescape);
    out.push({ kind, file, from: Number(from), to: Number(to), lines });
  }
  return out;
}

Deno.test("diapositivas: each code block on a slide is the file's own lines, and every twin line is shown", () => {
  const found = codeBlocks(read(DECK));
  assert.ok(found.length >= 16, `only ${found.length} code blocks`);
  const shown = new Map<string, Set<number>>();
  for (const block of found) {
    const lines = fileLines(block.file);
    assert.deepEqual(
      block.lines,
      lines.slice(block.from - 1, block.to),
      `${block.file}:${block.from}`,
    );
    const seen = shown.get(block.file) ?? new Set();
    for (let n = block.from; n <= block.to; n++) seen.add(n);
    shown.set(block.file, seen);
  }
  for (const twin of ["server", "client", "udp_server", "udp_client"]) {
    const path = `leccion/${twin}.ts`;
    const lines = fileLines(path);
    const missing = lines.map((text, n) => ({ text, n: n + 1 }))
      .filter(({ text, n }) => text.trim() !== "" && !shown.get(path)?.has(n));
    assert.deepEqual(missing, [], `${path}: lines on no slide`);
  }
});

/**
 * What a run's diagram says, without what changes from run to run: ports, how TCP cut the bytes
 * into reads (byte counts are summed per kind of event), and how the two ends interleave. For
 * UDP, where each datagram is whole, the sizes seen per kind of event are kept as a set.
 */
function shape(sequence: Sequence) {
  return conversations(sequence).map((talk) => {
    const label = (id: string) => talk.participants.find((p) => p.id === id)?.label ?? id;
    const stream = talk.events.some((event) => /\bconnect\(\)/.test(event.text));
    const kinds = new Map<string, number[]>();
    for (const event of talk.events) {
      const text = event.text
        .replace(/(\d{1,3}\.){3}\d{1,3}:\d+|\[[0-9a-f:]+\]:\d+/g, "ADDR")
        .replace(/\(#\d+\)/g, "(#)");
      const bytes = Number(text.match(/\b(\d+) bytes\b/)?.[1] ?? NaN);
      const kind = (event.kind === "note"
        ? `note over ${event.over.map(label).join(",")}`
        : `${label(event.from)} ${event.lost ? "-x" : "->>"} ${label(event.to)}`) +
        `: ${text.replace(/\d+/g, "#")}`;
      kinds.set(kind, [...(kinds.get(kind) ?? []), ...(Number.isNaN(bytes) ? [] : [bytes])]);
    }
    return {
      participants: talk.participants.map((p) => p.label),
      kinds: [...kinds.entries()].sort().map(([kind, bytes]) =>
        bytes.length === 0
          ? kind
          : `${kind} = ${
            stream ? bytes.reduce((a, b) => a + b, 0) : [...new Set(bytes)].sort().join("|")
          }`
      ),
    };
  });
}

Deno.test("diapositivas: the recorded demo run has the events a fresh deno task demo --mermaid has", async () => {
  const recorded = shape(parseSequence(read(RECORDING)));
  const demo = await new Deno.Command(Deno.execPath(), {
    args: ["task", "demo", "--mermaid"],
    cwd: ROOT,
    env: DEMO_ENV,
    stdin: "null",
    signal: AbortSignal.timeout(90_000),
  }).output();
  const stdout = new TextDecoder().decode(demo.stdout);
  assert.equal(demo.code, 0, stdout + new TextDecoder().decode(demo.stderr));
  assert.deepEqual(
    shape(parseSequence(stdout)),
    recorded,
    `the demo changed: record it again with deno task diapositivas --record`,
  );
});

// ---------------------------------------------------------------------------------------------
// In a real browser.

const CHROMIUM = findChromium();
const NO_BROWSER = CHROMIUM ? "" : "no Chromium on PATH (Debian: apt-get install chromium)";
if (NO_BROWSER) console.log(`diapositivas_test.ts: the browser tests are IGNORED: ${NO_BROWSER}`);
/** How long one browser test may take in all, on a busy machine. */
const BROWSER_LIMIT_MS = 300_000;

function browserTest(name: string, fn: (page: Page) => Promise<void>) {
  Deno.test({
    name: NO_BROWSER ? `${name} (IGNORED: ${NO_BROWSER})` : name,
    ignore: NO_BROWSER !== "",
    sanitizeOps: true,
    sanitizeResources: true,
    async fn() {
      const browser = await Browser.launch(CHROMIUM!);
      try {
        await within(
          (async () => fn(await browser.newPage()))(),
          BROWSER_LIMIT_MS,
          `${name}: the whole test`,
        );
      } finally {
        await browser.close();
      }
    },
  });
}

const deckUrl = pathToFileURL(`${ROOT}${DECK}`).href;
/** Screenshots and PDFs, kept after the run for a person to look at (outside the repository). */
const SHOTS = CHROMIUM ? Deno.makeTempDirSync({ prefix: "kit-diapositivas-" }) : "";
let shotsUsed = false;

/** What is wrong with the slide on screen now: overflow, scrolling, text outside its box. */
const CHECK_SLIDE = `(() => {
  const slide = document.querySelector(".slide.actual");
  if (!slide) return { problems: ["no slide is shown"] };
  const box = slide.getBoundingClientRect();
  const problems = [];
  const name = (el) => el.tagName.toLowerCase() + (el.className && typeof el.className === "string"
    ? "." + el.className.trim().split(/\\s+/).join(".") : "");
  const page = document.scrollingElement;
  if (page.scrollWidth > innerWidth || page.scrollHeight > innerHeight) problems.push("the page scrolls");
  if (box.left < -0.5 || box.top < -0.5 || box.right > innerWidth + 0.5 || box.bottom > innerHeight + 0.5) {
    problems.push("the slide is bigger than the screen");
  }
  if (slide.scrollWidth > slide.clientWidth + 1 || slide.scrollHeight > slide.clientHeight + 1) {
    problems.push("the slide overflows: " + slide.scrollWidth + "x" + slide.scrollHeight +
      " in " + slide.clientWidth + "x" + slide.clientHeight);
  }
  const foot = slide.querySelector(".pie").getBoundingClientRect();
  for (const el of slide.querySelectorAll("*")) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.top < box.top - 0.5 ||
        r.bottom > box.bottom + 0.5) problems.push(name(el) + " goes out of the slide");
    if (!el.closest(".pie") && r.bottom > foot.top + 0.5 && !el.closest("svg")) {
      problems.push(name(el) + " runs into the slide's foot");
    }
    if (!el.closest("svg") && el.clientWidth > 0 && (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1)) {
      problems.push(name(el) + " overflows: " + el.scrollWidth + "x" + el.scrollHeight + " in " +
        el.clientWidth + "x" + el.clientHeight);
    }
  }
  const code = [...slide.querySelectorAll("pre[data-file]")].map((pre) => ({
    kind: pre.className,
    file: pre.dataset.file,
    from: Number(pre.dataset.from),
    lines: [...pre.querySelectorAll(".l")].map((line) => line.textContent),
    px: parseFloat(getComputedStyle(pre).fontSize),
  }));
  // Contrast of each piece of text against the background it sits on (WCAG's ratio).
  const rgb = (text) => text.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map((v) => v / 255)
    .map((v) => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)
    .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const under = (el) => {
    for (let at = el; at; at = at.parentElement) {
      const c = rgb(getComputedStyle(at).backgroundColor);
      if (c.length < 4 || c[3] > 0) return c;
    }
    return [255, 255, 255];
  };
  let worst = Infinity, worstWhat = "", dimmed = Infinity;
  for (const el of slide.querySelectorAll("*")) {
    if (el.closest("svg") || ![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
    const a = lum(rgb(getComputedStyle(el).color)), b = lum(under(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (el.closest(".l.off")) dimmed = Math.min(dimmed, ratio);
    else if (ratio < worst) worst = ratio, worstWhat = name(el);
  }
  return { problems, code, worst: Math.min(worst, 99), worstWhat, dimmed: Math.min(dimmed, 99) };
})()`;

interface SlideReport {
  problems: string[];
  code: Array<{ kind: string; file: string; from: number; lines: string[]; px: number }>;
  worst: number;
  worstWhat: string;
  dimmed: number;
}

async function showSlide(page: Page, n: number) {
  await page.eval(
    `(location.hash = "#${n}", new Promise((r) => requestAnimationFrame(() => r())))`,
  );
  const shown = await page.eval<string>(`document.querySelector(".slide.actual")?.id`);
  assert.equal(shown, `d${n}`);
}

for (const [width, height] of [[1280, 720], [1920, 1080]]) {
  browserTest(
    `diapositivas in Chromium at ${width}x${height}: no slide overflows or scrolls, the code is the file's, readable, with contrast`,
    async (page) => {
      await page.size(width, height);
      await page.go(`${deckUrl}#1`);
      const count = await page.eval<number>(`document.querySelectorAll(".slide").length`);
      assert.ok(count >= 30, `only ${count} slides`);
      const failures: string[] = [];
      let codeSlides = 0;
      const kinds = new Set<string>();
      for (let n = 1; n <= count; n++) {
        await showSlide(page, n);
        const report = await page.eval<SlideReport>(CHECK_SLIDE);
        const title = await page.eval<string>(
          `document.querySelector(".slide.actual h1, .slide.actual h2")?.textContent`,
        );
        const where = `slide ${n} (${title})`;
        for (const problem of report.problems) failures.push(`${where}: ${problem}`);
        if (report.worst < 7) {
          failures.push(`${where}: contrast ${report.worst.toFixed(2)} in ${report.worstWhat}`);
        }
        if (report.dimmed < 3) {
          failures.push(`${where}: dimmed code at contrast ${report.dimmed.toFixed(2)}`);
        }
        for (const block of report.code) {
          const lines = fileLines(block.file).slice(
            block.from - 1,
            block.from - 1 + block.lines.length,
          );
          if (JSON.stringify(lines) !== JSON.stringify(block.lines)) {
            failures.push(`${where}: the code is not ${block.file} from line ${block.from}`);
          }
          if (block.kind === "codigo") codeSlides++;
          // Readable from the back of a room: 24 px for the twins' code, 20 px for commands, at 1280x720.
          const least = (block.kind === "codigo" ? 24 : 20) * width / 1280;
          if (block.px < least - 0.05) failures.push(`${where}: ${block.file} at ${block.px} px`);
        }
        const kind = await page.eval<string>(
          `document.querySelector(".slide.actual").classList[1]`,
        );
        if (!kinds.has(kind) || n === 1) {
          kinds.add(kind);
          await page.screenshot(
            `${SHOTS}/${width}x${height}-${String(n).padStart(2, "0")}-${kind}.png`,
          );
          shotsUsed = true;
        }
      }
      assert.ok(codeSlides >= 16, `only ${codeSlides} code slides`);
      assert.deepEqual(failures, []);
      if (shotsUsed) console.log(`screenshots of some slides: ${SHOTS}`);
    },
  );
}

browserTest(
  "diapositivas in Chromium: arrows, space, Home/End move through the deck; the URL keeps the slide over a reload",
  async (page) => {
    await page.size(1280, 720);
    await page.go(deckUrl);
    await page.send("Page.bringToFront");
    const count = await page.eval<number>(`document.querySelectorAll(".slide").length`);
    const at = () =>
      page.eval<string>(`location.hash + " " + document.querySelector(".slide.actual").id`);
    assert.equal(await at(), "#1 d1");
    const keys: Array<[string, string, number, string, string?]> = [
      ["ArrowRight", "ArrowRight", 39, "#2 d2"],
      [" ", "Space", 32, "#3 d3", " "],
      ["ArrowDown", "ArrowDown", 40, "#4 d4"],
      ["ArrowLeft", "ArrowLeft", 37, "#3 d3"],
      ["End", "End", 35, `#${count} d${count}`],
      ["ArrowRight", "ArrowRight", 39, `#${count} d${count}`],
      ["ArrowUp", "ArrowUp", 38, `#${count - 1} d${count - 1}`],
      ["Home", "Home", 36, "#1 d1"],
      ["ArrowLeft", "ArrowLeft", 37, "#1 d1"],
    ];
    for (const [key, code, keyCode, expected, text] of keys) {
      await page.key(key, code, keyCode, text);
      assert.equal(await at(), expected, `after ${code}`);
    }
    await showSlide(page, 7);
    assert.equal(await at(), "#7 d7");
    const loaded = page.event("Page.loadEventFired");
    await page.send("Page.reload");
    await loaded;
    assert.equal(await at(), "#7 d7", "a reload stays on the slide");
  },
);

browserTest("diapositivas in Chromium: printed, one slide per page", async (page) => {
  await page.go(deckUrl);
  const count = await page.eval<number>(`document.querySelectorAll(".slide").length`);
  const pdf = await page.pdf();
  assert.equal(pdfPages(pdf), count);
  await Deno.writeFile(`${SHOTS}/diapositivas.pdf`, pdf);
  console.log(`the deck printed: ${SHOTS}/diapositivas.pdf`);
});

browserTest(
  "alumno.html in Chromium: printed on A4, no table or code wider than the page",
  async (page) => {
    // A4 with the handout's 15 mm margins leaves 180 mm: 680 CSS pixels.
    const width = Math.floor((180 / 25.4) * 96);
    await page.send("Emulation.setEmulatedMedia", { media: "print" });
    await page.size(width, 1000);
    await page.go(pathToFileURL(`${ROOT}${HANDOUT}`).href);
    const report = await page.eval<{ wide: string[]; tables: number; page: number }>(`(() => {
    const wide = [];
    for (const el of document.querySelectorAll("table, pre, h1, h2, h3, p, li")) {
      const r = el.getBoundingClientRect();
      if (r.right > innerWidth + 0.5 || el.scrollWidth > el.clientWidth + 1) {
        wide.push(el.tagName + ": " + el.textContent.slice(0, 60) + " (" + Math.round(r.right) + " px)");
      }
    }
    return { wide, tables: document.querySelectorAll("table").length,
      page: document.scrollingElement.scrollWidth };
  })()`);
    assert.ok(report.tables >= 1, "the handout has its table");
    assert.deepEqual(report.wide, []);
    assert.ok(report.page <= width, `the page is ${report.page} px wide`);
    const pdf = await page.pdf();
    assert.ok(pdfPages(pdf) >= 1);
    // Its pages are A4: 595 x 842 points.
    const box = new TextDecoder("latin1").decode(pdf).match(
      /\/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]/,
    );
    assert.ok(box, "the PDF says its page size");
    assert.deepEqual([Math.round(Number(box[1])), Math.round(Number(box[2]))], [595, 842]);
    await Deno.writeFile(`${SHOTS}/alumno.pdf`, pdf);
    console.log(`the handout printed: ${SHOTS}/alumno.pdf`);
  },
);
