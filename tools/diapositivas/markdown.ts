// The Markdown the lesson's texts use (headings, paragraphs, lists, fenced code, tables, inline
// code, bold, italics, links), read into blocks and written as HTML. Nothing more: a text that
// needs more is shown as plain paragraphs, never dropped.

export const escape = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** Inline Markdown: `code`, **bold**, *italics*, [text](link); everything else escaped. */
export function inline(text: string): string {
  let out = "";
  const pattern = /`([^`]+)`|\*\*(.+?)\*\*|\*([^*\s][^*]*?)\*|\[([^\]]+)\]\(([^)\s]+)\)/g;
  let at = 0;
  for (const match of text.matchAll(pattern)) {
    out += escape(text.slice(at, match.index));
    if (match[1] !== undefined) out += `<code>${escape(match[1])}</code>`;
    else if (match[2] !== undefined) out += `<strong>${inline(match[2])}</strong>`;
    else if (match[3] !== undefined) out += `<em>${inline(match[3])}</em>`;
    else out += `<a href="${escape(match[5])}">${inline(match[4])}</a>`;
    at = match.index! + match[0].length;
  }
  return out + escape(text.slice(at));
}

export type Block =
  | { kind: "heading"; level: number; text: string; line: number }
  | { kind: "paragraph"; text: string; line: number }
  | { kind: "list"; ordered: boolean; items: string[]; line: number }
  | { kind: "code"; lang: string; lines: string[]; line: number }
  | { kind: "table"; head: string[]; align: string[]; rows: string[][]; line: number };

/** The blocks of a Markdown text; `line` is where each starts (0-based), `code` keeps its lines. */
export function blocks(text: string): Block[] {
  const lines = text.split("\n").map((line) => line.replace(/\r$/, ""));
  const out: Block[] = [];
  const item = /^(\s*)([-*]|\d+\.)\s+(.*)$/;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === "") continue;
    const fence = line.match(/^(```+|~~~+)\s*(\S*)/);
    if (fence) {
      const start = i;
      const body: string[] = [];
      for (i++; i < lines.length && !lines[i].startsWith(fence[1]); i++) body.push(lines[i]);
      out.push({ kind: "code", lang: fence[2], lines: body, line: start + 1 });
      continue;
    }
    const heading = line.match(/^(#{1,6})\s+(.*)$/);
    if (heading) {
      out.push({ kind: "heading", level: heading[1].length, text: heading[2], line: i });
      continue;
    }
    if (
      line.startsWith("|") && /^\|?[\s:|-]+\|?$/.test(lines[i + 1] ?? "") &&
      lines[i + 1].includes("-")
    ) {
      const start = i;
      const cells = (row: string) =>
        row.trim().replace(/^\|/, "").replace(/\|$/, "").split("|").map((cell) => cell.trim());
      const head = cells(line);
      const align = cells(lines[i + 1]).map((cell) =>
        cell.endsWith(":") ? (cell.startsWith(":") ? "center" : "right") : "left"
      );
      const rows: string[][] = [];
      for (i += 2; i < lines.length && lines[i].startsWith("|"); i++) rows.push(cells(lines[i]));
      i--;
      out.push({ kind: "table", head, align, rows, line: start });
      continue;
    }
    const first = line.match(item);
    if (first) {
      const start = i;
      const ordered = /\d/.test(first[2]);
      const items: string[] = [first[3]];
      for (i++; i < lines.length; i++) {
        const next = lines[i].match(item);
        if (next && next[1].length <= first[1].length) items.push(next[3]);
        else if (lines[i].trim() !== "" && /^\s/.test(lines[i])) {
          items[items.length - 1] += " " + lines[i].trim();
        } else break;
      }
      i--;
      out.push({ kind: "list", ordered, items, line: start });
      continue;
    }
    const start = i;
    const text: string[] = [line.trim()];
    for (i++; i < lines.length; i++) {
      const next = lines[i];
      if (next.trim() === "" || /^(#{1,6}\s|```|~~~|\|)/.test(next) || item.test(next)) break;
      text.push(next.trim());
    }
    i--;
    out.push({ kind: "paragraph", text: text.join(" "), line: start });
  }
  return out;
}

/** Blocks as HTML. */
export function html(list: Block[]): string {
  const out: string[] = [];
  for (const block of list) {
    if (block.kind === "heading") {
      out.push(`<h${block.level}>${inline(block.text)}</h${block.level}>`);
    } else if (block.kind === "paragraph") out.push(`<p>${inline(block.text)}</p>`);
    else if (block.kind === "list") {
      const tag = block.ordered ? "ol" : "ul";
      out.push(
        `<${tag}>${block.items.map((item) => `<li>${inline(item)}</li>`).join("")}</${tag}>`,
      );
    } else if (block.kind === "code") {
      out.push(`<pre><code>${escape(block.lines.join("\n"))}</code></pre>`);
    } else {
      const cell = (tag: string, text: string, n: number) =>
        `<${tag}${block.align[n] === "left" ? "" : ` style="text-align:${block.align[n]}"`}>${
          inline(text)
        }</${tag}>`;
      out.push(
        `<table><thead><tr>${
          block.head.map((text, n) => cell("th", text, n)).join("")
        }</tr></thead>` +
          `<tbody>${
            block.rows.map((row) =>
              `<tr>${row.map((text, n) => cell("td", text, n)).join("")}</tr>`
            )
              .join("")
          }</tbody></table>`,
      );
    }
  }
  return out.join("\n");
}
