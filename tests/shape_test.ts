// The five full scripts read in the same shape (docs/structure.md): a header with a map of the
// parts, the lesson first (its calls within the first 100 lines, each function above the divider
// at most 30 lines, step comments ascending from Step 1), one divider, the mechanism below it,
// and main() run on the last line. Lines are at most 100 columns. Line counts are printed, not
// capped: a script may grow below the divider as long as its lesson stays short and first.
import assert from "node:assert/strict";
import { ROOT } from "./helpers/process.ts";

const LESSON_LINES = 100; // the lesson's calls come within this many lines
const FUNCTION_LINES = 30; // the longest a function above the divider may be
const COLUMNS = 100;

// The lesson's calls of each script, as code (not in a string or a comment). `inside` names the
// function the call must be made in; `ordered` calls must come in this order in the file.
interface Call {
  name: string;
  pattern: RegExp;
  inside?: string;
  raw?: boolean; // looked for in the text as written (for a line it prints), not only in code
}
const SERVER_CALLS: Call[] = [
  { name: "Deno.listen(", pattern: /\bDeno\.listen\(/ },
  { name: '"listening on"', pattern: /console\.log\(`listening on /, raw: true },
  { name: "accept()", pattern: /\.accept\(\)/ },
  { name: "serve(conn", pattern: /^\s*(?:await )?serve\(conn\b/m },
  { name: "writeAll in serve", pattern: /\bwriteAll\(conn\b/, inside: "serve" },
  { name: "conn.close()", pattern: /\bconn\.close\(\)/ },
];
const LESSON: Record<string, { calls: Call[]; ordered: string[] }> = {
  "server.ts": {
    calls: SERVER_CALLS,
    ordered: ["Deno.listen(", '"listening on"', "accept()", "serve(conn"],
  },
  "chat_server.ts": { // the room sends from each member's queue: its sendall is in flush()
    calls: [
      ...SERVER_CALLS.filter((call) => call.inside !== "serve"),
      { name: "writeAll in flush", pattern: /\bwriteAll\(member\.conn\b/, inside: "flush" },
      { name: "the room's relay", pattern: /\brelay\w*\(/, inside: "serve" },
    ],
    ordered: ["Deno.listen(", '"listening on"', "accept()", "serve(conn"],
  },
  "udp_server.ts": {
    calls: [
      { name: "Deno.listenDatagram(", pattern: /\bDeno\.listenDatagram\(/ },
      { name: "socket.receive(", pattern: /\bsocket\.receive\(/ },
      { name: "socket.send(", pattern: /\bsocket\.send\(/ },
    ],
    ordered: ["Deno.listenDatagram(", "socket.receive(", "socket.send("],
  },
  "client.ts": {
    calls: [
      { name: "Deno.connect(", pattern: /\bDeno\.connect\(/ },
      { name: "write (send)", pattern: /\b(?:conn\.write|writeAll|sendAll)\(/ },
      { name: "conn.read(", pattern: /\bconn\.read\(/ },
      { name: "conn.close()", pattern: /\bconn\.close\(\)/ },
    ],
    ordered: [],
  },
  "udp_client.ts": {
    calls: [
      { name: "Deno.listenDatagram(", pattern: /\bDeno\.listenDatagram\(/ },
      { name: "socket.send(", pattern: /\bsocket\.send\(/ },
      { name: "receive (a named wait for it counts)", pattern: /\breceive\w*\(/ },
      { name: "socket.close()", pattern: /\bsocket\.close\(\)/ },
    ],
    ordered: [],
  },
};
const SCRIPTS = Object.keys(LESSON);
const read = (script: string) => Deno.readTextFileSync(`${ROOT}${script}`);
const DIVIDER = /^\/\/ -{20,}$/;

/** Every step a comment cites ("Step 7", "Steps 4, 5 and 6", "(step 9 ...)"), in file order. */
function citedSteps(lines: string[]): { step: number; line: number }[] {
  const steps = [];
  for (const [index, line] of lines.entries()) {
    const comment = line.match(/(?:^|\s)\/\/(.*)$/)?.[1] ?? "";
    for (const cited of comment.matchAll(/\bsteps? (\d+)/gi)) {
      steps.push({ step: Number(cited[1]), line: index + 1 });
    }
  }
  return steps;
}

/**
 * The text as code only: comments and the letters inside strings become spaces (a template's
 * `${...}` stays: it is code), so that a call named in a comment or a message does not count.
 * Lines stay where they were. (Regular expressions are read as code: one with a quote in it
 * may blank the rest of its line.)
 */
function codeOnly(text: string): string {
  const out = [...text];
  const blank = (at: number) => {
    if (out[at] !== "\n") out[at] = " ";
  };
  const templates: number[] = []; // brace depth at which each open template's ${ began
  let depth = 0;
  let at = 0;
  const skipString = (quote: string) => {
    for (at++; at < text.length && text[at] !== quote && text[at] !== "\n"; at++) {
      if (text[at] === "\\") blank(at++);
      blank(at);
    }
  };
  const skipTemplate = () => { // from just after ` or }, to just after ` or ${
    for (; at < text.length; at++) {
      if (text[at] === "\\") {
        blank(at++);
        blank(at);
      } else if (text[at] === "`") return;
      else if (text[at] === "$" && text[at + 1] === "{") {
        templates.push(depth++);
        at++;
        return;
      } else blank(at);
    }
  };
  for (; at < text.length; at++) {
    const char = text[at];
    if (char === "/" && text[at + 1] === "/") {
      for (; at < text.length && text[at] !== "\n"; at++) blank(at);
    } else if (char === "/" && text[at + 1] === "*") {
      for (; at < text.length && !(text[at - 1] === "*" && text[at] === "/"); at++) blank(at);
      blank(at);
    } else if (char === '"' || char === "'") skipString(char);
    else if (char === "`") {
      at++;
      skipTemplate();
    } else if (char === "{") depth++;
    else if (char === "}") {
      depth--;
      if (templates.at(-1) === depth) {
        templates.pop();
        at++;
        skipTemplate();
      }
    }
  }
  return out.join("");
}

/**
 * Each function declared at the top level (at the start of a line), with its first and last line.
 * deno fmt indents every line inside a function, so a top-level function ends at the first line
 * that is exactly "}" (or on its own line, if that ends with "}").
 */
function topFunctions(lines: string[]): { name: string; from: number; to: number }[] {
  const found = [];
  const start = /^(?:async )?function\*? (\w+)|^const (\w+) = (?:async )?\(.*=>\s*\{$/;
  for (let index = 0; index < lines.length; index++) {
    const name = lines[index].match(start);
    if (!name) continue;
    let end = index;
    if (!lines[index].endsWith("}")) { while (end < lines.length - 1 && lines[end] !== "}") end++; }
    found.push({ name: name[1] ?? name[2], from: index + 1, to: end + 1 });
    index = end;
  }
  return found;
}

/** What the shape test reads of a script: its lines, its code, the divider and its functions. */
function parts(script: string) {
  const text = read(script);
  const lines = text.split("\n");
  const code = codeOnly(text).split("\n");
  const divider = lines.findIndex((line) => DIVIDER.test(line)) + 1; // 0 if none
  const functions = topFunctions(lines).filter((f) => divider === 0 || f.from < divider);
  const header = lines.findIndex((line) => !line.startsWith("//") && line !== "");
  return { text, lines, code, divider, functions, header: lines.slice(0, header) };
}

for (const script of SCRIPTS) {
  Deno.test(`${script}: a header with a map of what is above and below the divider`, () => {
    const header = parts(script).header.join("\n");
    assert.match(header, /above the divider/i, `${script}: the header's map says what is above`);
    assert.match(header, /\bbelow\b/i, `${script}: the header's map says what is below`);
  });

  Deno.test(`${script}: its step comments ascend from Step 1, top to bottom`, () => {
    const steps = citedSteps(parts(script).lines);
    assert.equal(steps[0]?.step, 1, `${script} does not start with Step 1`);
    for (let i = 1; i < steps.length; i++) {
      assert.ok(
        steps[i].step >= steps[i - 1].step,
        `${script}:${steps[i].line} cites step ${steps[i].step} after step ${
          steps[i - 1].step
        } (line ${steps[i - 1].line}): ${JSON.stringify(steps)}`,
      );
    }
  });

  Deno.test(`${script}: the lesson's calls come within its first ${LESSON_LINES} lines`, () => {
    const { lines, code, divider, functions } = parts(script);
    const where: Record<string, number> = {};
    const problems = [];
    for (const call of LESSON[script].calls) {
      const inside = functions.find((f) => f.name === call.inside);
      if (call.inside && !inside) {
        problems.push(`${call.name}: no function ${call.inside}() above the divider`);
        continue;
      }
      const seen = call.raw ? lines : code;
      const at = seen.findIndex((line, index) =>
        call.pattern.test(line) && (!inside || (index + 1 > inside.from && index + 1 < inside.to))
      ) + 1;
      where[call.name] = at;
      if (at === 0) {
        problems.push(`${call.name}: not found`);
      } else if (at > LESSON_LINES) {
        problems.push(`${call.name}: line ${at}, past ${LESSON_LINES}`);
      } else if (divider !== 0 && at > divider) {
        problems.push(`${call.name}: below the divider`);
      }
    }
    const ordered = LESSON[script].ordered.map((name) => where[name]).filter((at) => at > 0);
    const inOrder = ordered.every((at, i) => i === 0 || at > ordered[i - 1]);
    if (!inOrder) problems.push(`not in the order ${LESSON[script].ordered.join(" -> ")}`);
    assert.deepEqual(problems, [], `${script}: ${JSON.stringify(where)}`);
  });

  Deno.test(`${script}: each function above the divider is at most ${FUNCTION_LINES} lines`, () => {
    const { functions } = parts(script);
    assert.ok(functions.some((f) => f.name === "main"), `${script}: no main() above the divider`);
    const long = functions.filter((f) => f.to - f.from + 1 > FUNCTION_LINES)
      .map((f) => `${f.name}() is ${f.to - f.from + 1} lines (${f.from}-${f.to})`);
    assert.deepEqual(long, [], script);
  });

  Deno.test(`${script}: one divider with a line saying what is below, main() last`, () => {
    const { text, lines, divider } = parts(script);
    assert.equal(lines.filter((line) => DIVIDER.test(line)).length, 1, `${script}: one divider`);
    assert.match(lines[divider], /^\/\/ \S/, `${script}: a comment right after the divider`);
    assert.ok(text.indexOf("async function main()") < text.indexOf("\n// ----"), script);
    assert.match(text, /\nif \(import\.meta\.main\) await main\(\);\n$/, script);
  });

  Deno.test(`${script}: no line is longer than ${COLUMNS} columns`, () => {
    const long = parts(script).lines.map((line, i) => ({ line: i + 1, columns: [...line].length }))
      .filter(({ columns }) => columns > COLUMNS);
    assert.deepEqual(long, [], script);
  });
}

Deno.test("the sizes of the five scripts (printed, not capped)", () => {
  const rows = SCRIPTS.map((script) => {
    const { lines, divider, functions, header } = parts(script);
    const count = lines.at(-1) === "" ? lines.length - 1 : lines.length;
    const longest = functions.reduce(
      (
        most,
        f,
      ) => (f.to - f.from + 1 > most.lines ? { name: f.name, lines: f.to - f.from + 1 } : most),
      { name: "", lines: 0 },
    );
    return {
      script,
      lines: count,
      header: header.length,
      "above the divider": divider === 0 ? "no divider" : divider - 1,
      "longest function above": longest.name ? `${longest.name}() ${longest.lines}` : "-",
    };
  });
  console.table(rows);
});

Deno.test("the shape test's own readers: steps, code only, functions", () => {
  const steps = citedSteps(["// Step 1", "x(); // step 7", "// Steps 4-6"]);
  assert.deepEqual(steps.map((s) => s.step), [1, 7, 4]);
  const code = codeOnly('a("conn.close()"); // conn.close()\nb(`x ${c("}")} {`);\n/* { */ d();');
  assert.doesNotMatch(code, /conn\.close/);
  assert.match(code, /\bc\(/); // a template's ${...} is code
  assert.equal(code.split("\n").length, 3);
  const functions = topFunctions(
    ["function f() {", "  if (x) {", "  }", "}", "async function h() {}", "const i = 1;"],
  );
  assert.deepEqual(functions, [{ name: "f", from: 1, to: 4 }, { name: "h", from: 5, to: 5 }]);
});
