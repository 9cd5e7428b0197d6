// deno task probar: tells a student what is wrong with their own server or client, whatever its
// language, and gives a teacher one table for a whole class.
//
//   deno task probar eco 127.0.0.1:21042             check a running echo server (also saludo, udp,
//                                                    chat)
//   deno task probar cliente-eco -- python3 c.py     run a client against a test server on
//                                                    127.0.0.1:21042 (also cliente-saludo,
//                                                    cliente-udp; --port to change the port)
//   deno task probar eco --lista clase.txt           every HOST:PORT in a file, a few at a time
//   deno task probar eco --tabla                     the checks of a kind, as a table
//
// Output in the system's language (Spanish when it is Spanish, English otherwise; --lang es|en),
// every message from one table (tools/probar/messages.ts); --json for programs. Exit status: 0 all
// checks passed, 1 a check failed, 2 bad usage or nothing listening at HOST:PORT.
// The checks: tools/probar/servers.ts and clients.ts; docs/probar.md describes them.
import { isAbsolute, join } from "node:path";
import { parseArgs } from "node:util";
import type { Result } from "./probar/check.ts";
import {
  CannotRun,
  CLIENT_KINDS,
  type ClientKind,
  PortInUse,
  runClientChecks,
} from "./probar/clients.ts";
import { type Lang, pickLang, t, type TextKey } from "./probar/messages.ts";
import { parseAddress, showAddress } from "./probar/net.ts";
import { humanResult, humanSummary, jsonResult, table, type Where } from "./probar/report.ts";
import { runServerChecks, SERVER_KINDS, type ServerKind, Unreachable } from "./probar/servers.ts";

/** How many servers of a --lista are checked at once. */
const PARALLEL = 4;

/**
 * The folder the student typed the command in: `deno task` runs its tasks in the project's
 * folder, and says where it was called from in INIT_CWD. The client's command runs there, and a
 * --lista file is read from there, so that paths mean what the student meant.
 */
function typedIn(): string | undefined {
  const allowed = Deno.permissions.querySync({ name: "env", variable: "INIT_CWD" });
  return allowed.state === "granted" ? Deno.env.get("INIT_CWD") || undefined : undefined;
}

function main(): Promise<number> | number {
  const split = Deno.args.indexOf("--");
  const ours = split === -1 ? Deno.args : Deno.args.slice(0, split);
  // Until the flags are parsed, an error speaks the language --lang asks for, or the system's.
  const asked = ours.find((_, i) => ours[i - 1] === "--lang") ??
    ours.find((arg) => arg.startsWith("--lang="))?.slice(7);
  let lang: Lang = pickLang(asked) ?? pickLang(undefined) ?? "en";
  let parsed;
  try {
    parsed = parseArgs({
      args: ours,
      options: {
        json: { type: "boolean" },
        lista: { type: "string" },
        tabla: { type: "boolean" },
        port: { type: "string" },
        lang: { type: "string" },
        plazo: { type: "string" },
        help: { type: "boolean" },
      },
      allowPositionals: true,
    });
  } catch (error) {
    // A client's command with flags of its own, without "--" before it: say where "--" goes.
    const client = ours.find((arg) => arg in CLIENT_KINDS);
    if (client) return usage(lang, t(lang, "usage.dashdash", { kind: client }));
    return usage(lang, (error as Error).message);
  }
  const { values, positionals } = parsed;
  const picked = pickLang(values.lang);
  if (!picked) return usage(lang, t(lang, "usage.lang"));
  lang = picked;
  if (values.help) {
    console.log(t(lang, "usage"));
    return 0;
  }
  const [kind, ...rest] = positionals;
  if (!kind) return usage(lang, t(lang, "usage.kind"));
  const isServer = kind in SERVER_KINDS, isClient = kind in CLIENT_KINDS;
  if (!isServer && !isClient) return usage(lang, t(lang, "usage.unknown-kind", { kind }));
  const port = values.port === undefined ? 21042 : Number(values.port);
  if (!/^\d+$/.test(values.port ?? "1") || port < 1 || port > 65535) {
    return usage(lang, t(lang, "usage.port"));
  }
  const seconds = values.plazo === undefined ? 3 : Number(values.plazo);
  if (!(seconds >= 1 && seconds <= 60)) return usage(lang, t(lang, "usage.plazo"));
  const limit = seconds * 1000;
  const json = values.json ?? false;

  if (values.tabla) {
    const checks = isServer ? SERVER_KINDS[kind as ServerKind] : CLIENT_KINDS[kind as ClientKind];
    const where = { s: seconds, address: `127.0.0.1:${port}`, port };
    console.log(table(lang, where, checks));
    return 0;
  }
  if (isClient) {
    if (values.lista !== undefined) return usage(lang, t(lang, "usage.lista-client"));
    const command = split === -1 ? rest : Deno.args.slice(split + 1);
    if (command.length === 0) return usage(lang, t(lang, "usage.command", { kind }));
    return checkClient(lang, kind as ClientKind, command, port, limit, json);
  }
  if (split !== -1) {
    return usage(lang, t(lang, "usage.extra", { text: Deno.args[split + 1] ?? "--", kind }));
  }
  if (values.lista !== undefined) {
    if (rest.length > 0) return usage(lang, t(lang, "usage.extra", { text: rest[0], kind }));
    return checkList(lang, kind as ServerKind, values.lista, limit, json);
  }
  if (rest.length === 0) return usage(lang, t(lang, "usage.address"));
  if (rest.length > 1) return usage(lang, t(lang, "usage.extra", { text: rest[1], kind }));
  const address = parseAddress(rest[0]);
  if (!address) return usage(lang, t(lang, "usage.bad-address", { text: rest[0] }));
  return checkServer(lang, kind as ServerKind, address.host, address.port, limit, json);
}

function usage(lang: Lang, error: string): number {
  console.error(t(lang, "usage.error", { error }));
  return 2;
}

/** The one line for a server that cannot be reached at all, and its short form for --lista. */
function unreachable(lang: Lang, error: Unreachable, address: string, s: number) {
  const why = error.why.why;
  const line = t(lang, `out.${why}` as TextKey, { address, s, error: error.why.message });
  return { line, short: t(lang, `lista.${why}` as TextKey), diagnosis: `nada-${why}` };
}

async function checkServer(
  lang: Lang,
  kind: ServerKind,
  host: string,
  port: number,
  limit: number,
  json: boolean,
): Promise<number> {
  const address = showAddress(host, port);
  const where: Where = { s: limit / 1000, address, port };
  const checks = SERVER_KINDS[kind];
  const width = Math.max(...checks.map((check) => check.name.length));
  // The header comes with the first result: nothing is printed on stdout for a server not there.
  let header = json ? "" : t(lang, "out.header", { kind, address, count: checks.length });
  let results: Result[];
  try {
    results = await runServerChecks(kind, host, port, limit, (result) => {
      if (header) console.log(header);
      header = "";
      console.log(json ? jsonResult(result) : humanResult(lang, where, result, width));
    });
  } catch (error) {
    if (!(error instanceof Unreachable)) throw error;
    const { line, diagnosis } = unreachable(lang, error, address, limit / 1000);
    if (json) console.log(JSON.stringify({ check: checks[0].name, ok: false, diagnosis }));
    console.error(line);
    return 2;
  }
  if (!json) console.log(humanSummary(lang, results));
  return results.every((result) => result.ok) ? 0 : 1;
}

async function checkClient(
  lang: Lang,
  kind: ClientKind,
  command: string[],
  port: number,
  limit: number,
  json: boolean,
): Promise<number> {
  const address = `127.0.0.1:${port}`;
  const where: Where = { s: limit / 1000, address, port };
  const width = Math.max(...CLIENT_KINDS[kind].map((check) => check.name.length));
  const shown = command.map((word) => /\s/.test(word) ? JSON.stringify(word) : word).join(" ");
  // The header comes with the first result: nothing on stdout when the port is taken.
  let header = json ? "" : t(lang, "out.header.client", { kind, command: shown, address });
  let results: Result[];
  try {
    results = await runClientChecks(kind, { port, command, limit, cwd: typedIn() }, (result) => {
      if (header) console.log(header);
      header = "";
      const sends = CLIENT_KINDS[kind].find((check) => check.name === result.check)?.sends;
      console.log(json ? jsonResult(result) : humanResult(lang, where, result, width, sends));
    });
  } catch (error) {
    if (error instanceof PortInUse) console.error(t(lang, "out.port-in-use", { port }));
    else if (error instanceof CannotRun) {
      console.error(t(lang, "out.cannot-run", { command: shown, error: error.message }));
    } else throw error;
    return 2;
  }
  if (!json) console.log(humanSummary(lang, results));
  return results.every((result) => result.ok) ? 0 : 1;
}

/**
 * --lista FILE: one HOST:PORT per line (a name before it is kept: "Ana 192.168.1.20:21042"; "#"
 * starts a comment), checked PARALLEL at a time; one row each, printed in the file's order.
 */
async function checkList(
  lang: Lang,
  kind: ServerKind,
  file: string,
  limit: number,
  json: boolean,
): Promise<number> {
  let text: string;
  try {
    const here = typedIn();
    text = await Deno.readTextFile(here && !isAbsolute(file) ? join(here, file) : file);
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) throw error;
    console.error(t(lang, "lista.cannot-read", { file, error: (error as Error).message }));
    return 2;
  }
  const servers: { who: string; host: string; port: number; address: string }[] = [];
  for (const [index, original] of text.split("\n").entries()) {
    const line = original.replace(/#.*/, "").trim();
    if (!line) continue;
    const words = line.split(/\s+/);
    const address = parseAddress(words.at(-1)!);
    if (!address) {
      console.error(t(lang, "lista.bad-line", { file, line: index + 1, text: original.trim() }));
      return 2;
    }
    const shown = showAddress(address.host, address.port);
    servers.push({ who: words.slice(0, -1).join(" "), ...address, address: shown });
  }
  if (servers.length === 0) {
    console.error(t(lang, "lista.empty", { file }));
    return 2;
  }
  const checks = SERVER_KINDS[kind];
  const cells = (row: string[]) =>
    row.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd();
  const header = ["lista.col.who", "lista.col.address", "lista.col.passed", "lista.col.first"]
    .map((key) => t(lang, key as TextKey));
  const widths = [
    Math.max(header[0].length, ...servers.map((s) => s.who.length)),
    Math.max(header[1].length, ...servers.map((s) => s.address.length)),
    Math.max(header[2].length, `${checks.length}/${checks.length}`.length),
    0,
  ];
  if (!json) {
    console.log(t(lang, "lista.header", { kind, count: servers.length, file, parallel: PARALLEL }));
    console.log(cells(header));
  }
  // Each server's row, computed PARALLEL at a time and printed in order as soon as it can be.
  const rows: (string[] | undefined)[] = servers.map(() => undefined);
  const allPassed: boolean[] = [];
  let printed = 0, next = 0;
  const flush = () => {
    while (printed < servers.length && rows[printed]) {
      if (!json) console.log(cells(rows[printed]!));
      printed++;
    }
  };
  const worker = async () => {
    while (next < servers.length) {
      const index = next++;
      const server = servers[index];
      const tags: Record<string, string> = { server: server.address };
      if (server.who) tags.who = server.who;
      const lines: string[] = [];
      let row: string[];
      try {
        const results = await runServerChecks(kind, server.host, server.port, limit, (result) => {
          lines.push(jsonResult(result, tags));
        });
        const passed = results.filter((r) => r.ok).length;
        const first = results.find((r) => !r.ok);
        allPassed[index] = !first;
        const failure = first
          ? `${first.check} (${first.diagnosis ?? first.skipped})`
          : t(lang, "lista.none");
        row = [server.who, server.address, `${passed}/${results.length}`, failure];
      } catch (error) {
        if (!(error instanceof Unreachable)) throw error;
        const { short, diagnosis } = unreachable(lang, error, server.address, limit / 1000);
        lines.push(JSON.stringify({ ...tags, check: checks[0].name, ok: false, diagnosis }));
        allPassed[index] = false;
        row = [server.who, server.address, `0/${checks.length}`, short];
      }
      if (json) { for (const line of lines) console.log(line); }
      rows[index] = row;
      flush();
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, servers.length) }, worker));
  const all = allPassed.filter(Boolean).length;
  if (!json) console.log(t(lang, "lista.summary", { all, count: servers.length }));
  return all === servers.length ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------

try {
  Deno.exit(await main());
} catch (error) {
  const lang = pickLang(
    Deno.args.includes("--lang") ? Deno.args[Deno.args.indexOf("--lang") + 1] : undefined,
  ) ?? "en";
  if (error instanceof Deno.errors.NotCapable) {
    console.error(t(lang, "usage.no-permission", { error: (error as Error).message }));
    Deno.exit(2);
  }
  throw error;
}
