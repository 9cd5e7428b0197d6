// A Mermaid sequence diagram (the subset `deno task demo --mermaid` prints) read into events and
// drawn as inline SVG, with no Mermaid in the page.

export interface Participant {
  id: string;
  label: string;
}

export type Event =
  | { kind: "note"; over: string[]; text: string }
  | { kind: "arrow"; from: string; to: string; lost: boolean; text: string };

export interface Sequence {
  participants: Participant[];
  events: Event[];
}

/** Read `participant`, `Note over A[,B]: text` and `A->>B: text` / `A-xB: text` lines. */
export function parseSequence(text: string): Sequence {
  const participants: Participant[] = [];
  const events: Event[] = [];
  const known = (id: string) => {
    if (!participants.some((p) => p.id === id)) participants.push({ id, label: id });
  };
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("%%") || line === "sequenceDiagram") continue;
    let match = line.match(/^participant\s+(\w+)(?:\s+as\s+(.+))?$/);
    if (match) {
      const found = participants.find((p) => p.id === match![1]);
      if (found) found.label = match[2] ?? found.label;
      else participants.push({ id: match[1], label: match[2] ?? match[1] });
      continue;
    }
    match = line.match(/^Note\s+(?:over|left of|right of)\s+(\w+)(?:\s*,\s*(\w+))?\s*:\s*(.*)$/i);
    if (match) {
      const over = match[2] ? [match[1], match[2]] : [match[1]];
      over.forEach(known);
      events.push({ kind: "note", over, text: match[3] });
      continue;
    }
    match = line.match(/^(\w+)\s*(--?>>|--?x|--?\)|--?>)\s*(\w+)\s*:\s*(.*)$/);
    if (match) {
      known(match[1]), known(match[3]);
      const lost = match[2].endsWith("x");
      events.push({ kind: "arrow", from: match[1], to: match[3], lost, text: match[4] });
      continue;
    }
    throw new Error(`sequence diagram: cannot read the line ${JSON.stringify(line)}`);
  }
  return { participants, events };
}

/**
 * The diagram split into the groups of participants that talk to each other (the demo's TCP pair
 * and its UDP pair), each with its own events in order.
 */
export function conversations(sequence: Sequence): Sequence[] {
  const group = new Map<string, number>();
  let next = 0;
  const join = (ids: string[]) => {
    const found = ids.map((id) => group.get(id)).find((g) => g !== undefined) ?? next++;
    for (const id of ids) {
      const old = group.get(id);
      if (old !== undefined && old !== found) {
        for (const [key, value] of group) if (value === old) group.set(key, found);
      }
      group.set(id, found);
    }
  };
  for (const event of sequence.events) {
    join(event.kind === "note" ? event.over : [event.from, event.to]);
  }
  for (const p of sequence.participants) if (!group.has(p.id)) join([p.id]);
  const ids = [...new Set(sequence.participants.map((p) => group.get(p.id)!))];
  return ids.map((g) => ({
    participants: sequence.participants.filter((p) => group.get(p.id) === g),
    events: sequence.events.filter((event) =>
      group.get(event.kind === "note" ? event.over[0] : event.from) === g
    ),
  }));
}

// The demo's words in Spanish (the deck is Spanish); a label in no rule is shown as it came.
const SPANISH: Array<[RegExp, string]> = [
  [/^TCP: a connection, then a flow of bytes$/, "TCP: una conexión, y después un flujo de bytes"],
  [/^UDP: no connection, each datagram on its own$/, "UDP: sin conexión, cada datagrama suelto"],
  [/\[steps ([\d-]+)\]/, "[pasos $1]"],
  [/\[step (\d+)\]/, "[paso $1]"],
  [/\bend of stream\b/, "fin del flujo"],
  [/, (\d+) bytes back\b/, ", $1 bytes de vuelta"],
  [/\btry (\d+): lost\b/, "intento $1: perdido"],
  [/\btry (\d+)\b/, "intento $1"],
  [/^no reply in time: send again\b/, "sin respuesta a tiempo: de nuevo"],
  [/^dropped on purpose\b/, "descartado a propósito"],
];

export function spanish(text: string): string {
  for (const [pattern, words] of SPANISH) text = text.replace(pattern, words);
  return text;
}

const escape = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** Layout, in the SVG's own units (the page scales the whole drawing to its box). */
const W = 1200, TOP = 78, ROW = 52, FONT = 23, CHAR = FONT * 0.61, PAD = 10;

/**
 * One conversation as an SVG: a box per participant at the top, a lifeline under each, then one
 * row per event: an arrow with its words above it (a lost datagram ends in a cross), or a note.
 */
export function sequenceSvg(sequence: Sequence, title: string, id: string): string {
  const n = sequence.participants.length;
  const margin = n === 1 ? W / 2 : 260;
  const x = new Map(sequence.participants.map((p, i) => [
    p.id,
    n === 1 ? W / 2 : margin + (i * (W - 2 * margin)) / (n - 1),
  ]));
  const height = TOP + sequence.events.length * ROW + 16;
  const out: string[] = [];
  out.push(
    `<svg class="secuencia" viewBox="0 0 ${W} ${height}" role="img" aria-label="${
      escape(title)
    }" xmlns="http://www.w3.org/2000/svg" font-family="DejaVu Sans Mono, Consolas, Menlo, monospace" font-size="${FONT}">`,
  );
  out.push(
    `<defs><marker id="${id}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="9" markerHeight="9" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#000"/></marker></defs>`,
  );
  for (const p of sequence.participants) {
    const cx = x.get(p.id)!;
    const w = Math.max(180, p.label.length * CHAR + 2 * PAD);
    out.push(
      `<line x1="${cx}" y1="${
        TOP - 18
      }" x2="${cx}" y2="${height}" stroke="#555" stroke-width="2" stroke-dasharray="8 6"/>`,
    );
    out.push(
      `<rect x="${cx - w / 2}" y="4" width="${w}" height="${
        TOP - 22
      }" rx="6" fill="#dbe8ff" stroke="#000" stroke-width="2"/>`,
    );
    out.push(
      `<text x="${cx}" y="${
        TOP / 2 - 4
      }" text-anchor="middle" dominant-baseline="middle" font-weight="bold">${
        escape(p.label)
      }</text>`,
    );
  }
  for (const [row, event] of sequence.events.entries()) {
    const y = TOP + row * ROW;
    const text = spanish(event.text);
    if (event.kind === "note") {
      const xs = event.over.map((id) => x.get(id)!);
      const cx = (Math.min(...xs) + Math.max(...xs)) / 2;
      const span = Math.max(...xs) - Math.min(...xs);
      const w = Math.min(W - 8, Math.max(span + 120, text.length * CHAR + 2 * PAD));
      const left = Math.max(4, Math.min(W - 4 - w, cx - w / 2));
      out.push(
        `<rect x="${left}" y="${y + 6}" width="${w}" height="${
          ROW - 12
        }" fill="#fff4b8" stroke="#000" stroke-width="1.5"/>`,
      );
      out.push(
        `<text x="${left + w / 2}" y="${
          y + ROW / 2
        }" text-anchor="middle" dominant-baseline="middle">${escape(text)}</text>`,
      );
    } else {
      const x1 = x.get(event.from)!, x2 = x.get(event.to)!;
      const dir = Math.sign(x2 - x1) || 1;
      const end = event.lost ? x1 + (x2 - x1) * 0.8 : x2 - dir * 2;
      const color = event.lost ? "#b00000" : "#000";
      const line = `<line x1="${x1}" y1="${y + ROW - 10}" x2="${end}" y2="${
        y + ROW - 10
      }" stroke="${color}" stroke-width="3"${
        event.lost ? ' stroke-dasharray="10 6"' : ` marker-end="url(#${id})"`
      }/>`;
      out.push(line);
      if (event.lost) {
        const c = end, m = y + ROW - 10;
        out.push(
          `<path d="M${c - 10},${m - 10} L${c + 10},${m + 10} M${c - 10},${m + 10} L${c + 10},${
            m - 10
          }" stroke="${color}" stroke-width="4"/>`,
        );
      }
      out.push(
        `<text x="${(x1 + x2) / 2}" y="${y + ROW - 18}" text-anchor="middle" fill="${color}">${
          escape(text)
        }</text>`,
      );
    }
  }
  out.push("</svg>");
  return out.join("");
}

/** Split a conversation into pieces of at most `max` events, for slides that stay readable. */
export function pieces(sequence: Sequence, max: number): Sequence[] {
  const count = Math.ceil(sequence.events.length / max);
  const size = Math.ceil(sequence.events.length / count);
  const out: Sequence[] = [];
  for (let from = 0; from < sequence.events.length; from += size) {
    out.push({
      participants: sequence.participants,
      events: sequence.events.slice(from, from + size),
    });
  }
  return out;
}
