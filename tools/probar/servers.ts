// The checks of a student's server, already running at HOST:PORT, whatever its language:
// `deno task probar eco HOST:PORT` (and saludo, udp, chat).
//
// Each kind is a table of checks, in the order they run: name, the checks that must pass first,
// the diagnoses it can give, and the function that runs it. What each check sends and what must
// come back, in words, and every diagnosis, are in tools/probar/messages.ts under the same names
// (`deno task probar eco --tabla` prints them as a table). Every check opens its own connections
// and closes them when done, so that a server that serves one client at a time still gets to
// every check; every wait has a limit (`limit`, 3 s unless --plazo says otherwise).
import { type Check, fail, newTag, type Outcome, pass, type Result } from "./check.ts";
import {
  CannotConnect,
  concat,
  countNewlines,
  delay,
  encode,
  type End,
  equal,
  indexOf,
  Peer,
  showAddress,
  Udp,
} from "./net.ts";

export interface ServerContext {
  host: string;
  port: number;
  /** How long each step waits before it counts as failed, in ms. */
  limit: number;
  /** Sent in every message, so that nothing from another run is taken for ours. */
  tag: string;
  /** eco: how many whole lines the server sends before the first echo (its greeting). */
  greetingLines: number;
  /** The check that ran last (for "your server died after ..."). */
  previous?: string;
  /** Sockets and connections a check leaves open for the next ones (udp, chat): closed at the end. */
  open: { close(): void }[];
  udp?: Udp;
  members?: Peer[];
}

const connect = (c: ServerContext) => Peer.open(c.host, c.port, c.limit);

// ---------------------------------------------------------------------------------------------
// eco: an echo server. Every byte each client sends comes back to it, to many clients at once,
// until the client closes. A greeting of whole lines before the first echo is allowed.

export const ECO: Check<ServerContext>[] = [
  {
    name: "eco",
    diagnoses: ["nada-vuelve", "espera-el-cierre", "cierra-sin-eco", "texto-agregado", "otra-cosa"],
    run: firstEcho,
  },
  {
    name: "entero",
    needs: ["eco"],
    diagnoses: ["solo-un-mensaje", "un-solo-recv", "texto-agregado", "otra-cosa"],
    run: whole,
  },
  { name: "a-la-vez", needs: ["eco"], diagnoses: ["uno-por-vez"], run: twoAtOnce },
  {
    name: "bytes",
    needs: ["eco", "entero"],
    diagnoses: ["caracter-partido", "no-utf8"],
    run: rawBytes,
  },
  { name: "lineas", needs: ["eco", "entero"], diagnoses: ["cambia-lineas"], run: lineEnds },
  {
    name: "mucho",
    needs: ["eco", "entero"],
    diagnoses: ["send-ignorado", "corta-mucho", "se-traba"],
    run: aLot,
  },
  { name: "cierre", needs: ["eco"], diagnoses: ["no-cierra", "pierde-lo-ultimo"], run: closes },
  {
    name: "corte",
    needs: ["eco"],
    diagnoses: ["muere-tras-corte", "no-atiende-tras-corte"],
    run: survivesReset,
  },
];

/** How an expected echo went: whole, or what came instead and how the wait ended. */
type Echo =
  | { ok: true }
  | { ok: false; kind: "nothing" | "cut" | "added" | "changed"; got: Uint8Array; end?: End };

/**
 * Wait for `sent` to come back on `peer` (after the greeting's lines, on a new connection), and
 * take it. Stops early when as many lines as were sent have come back but not `sent` itself.
 */
async function expectEcho(
  c: ServerContext,
  peer: Peer,
  sent: Uint8Array,
  greeting: boolean,
): Promise<Echo> {
  if (greeting && c.greetingLines > 0) {
    const end = await peer.until((b) => countNewlines(b) >= c.greetingLines, c.limit);
    if (end !== "done") {
      const got = peer.take();
      return { ok: false, kind: got.length ? "changed" : "nothing", got, end };
    }
    peer.take(nthNewline(peer.received, c.greetingLines) + 1);
  }
  const lines = countNewlines(sent);
  const big = sent.length * 2 + 1024;
  const found = (b: Uint8Array) => indexOf(b, sent) !== -1;
  let end = await peer.until(
    (b) => found(b) || countNewlines(b) >= lines || b.length >= big,
    c.limit,
  );
  if (end === "done" && !found(peer.received) && peer.received.length < big) {
    // As many lines as were sent, but not what was sent: wait a moment for text added before it.
    end = await peer.until((b) => found(b) || countNewlines(b) >= lines + 2, 500);
  }
  const at = indexOf(peer.received, sent);
  if (at === 0) {
    peer.take(sent.length);
    return { ok: true };
  }
  const got = peer.take();
  const ended = end === "done" ? undefined : end;
  if (at > 0) return { ok: false, kind: "added", got, end: ended };
  if (got.length === 0) return { ok: false, kind: "nothing", got, end: ended };
  const prefix = got.length < sent.length && equal(got, sent.subarray(0, got.length));
  return { ok: false, kind: prefix ? "cut" : "changed", got, end: ended };
}

function nthNewline(bytes: Uint8Array, n: number): number {
  let at = -1;
  for (let i = 0; i < n; i++) at = bytes.indexOf(10, at + 1);
  return at;
}

/** The usual reading of an echo that went wrong, for checks with no diagnosis of their own. */
function plainFailure(echo: Echo & { ok: false }, sent: Uint8Array): Outcome {
  const { got, end } = echo;
  if (echo.kind === "added") {
    return fail("texto-agregado", { sent, got, end, params: { extra: extra(got, sent) } });
  }
  if (echo.kind === "nothing") {
    return fail(end === "timeout" ? "nada-vuelve" : "cierra-sin-eco", { sent, got, end });
  }
  return fail("otra-cosa", { sent, got, end });
}

/** What came besides `sent`, for "text added". */
function extra(got: Uint8Array, sent: Uint8Array): string {
  const at = indexOf(got, sent);
  const before = new TextDecoder().decode(got.subarray(0, Math.max(at, 0)));
  const after = new TextDecoder().decode(got.subarray(at + sent.length));
  return JSON.stringify(at === -1 ? new TextDecoder().decode(got) : before + after);
}

/** eco: one short line, right after connecting; it comes back, perhaps after a greeting. */
async function firstEcho(c: ServerContext): Promise<Outcome> {
  const peer = await connect(c);
  try {
    const sent = encode(`hola ${c.tag} eco\n`);
    await peer.write(sent, c.limit);
    const found = (b: Uint8Array) => indexOf(b, sent) !== -1;
    let end = await peer.until(found, c.limit);
    const data = peer.received;
    const at = indexOf(data, sent);
    if (at !== -1) {
      const before = data.subarray(0, at);
      const after = data.subarray(at + sent.length);
      if ((before.length > 0 && before.at(-1) !== 10) || after.length > 0) {
        const added = JSON.stringify(new TextDecoder().decode(concat([before, after])));
        return fail("texto-agregado", { sent, got: data, params: { extra: added } });
      }
      c.greetingLines = countNewlines(before);
      return pass({ greeting: before.length > 0 ? before : undefined });
    }
    if (end === "timeout") {
      // Nothing yet: does the echo come once the client says it is done (shutdown(SHUT_WR))?
      peer.closeWrite();
      end = await peer.until(found, c.limit);
      if (end === "done") return fail("espera-el-cierre", { sent, got: peer.received });
    }
    const got = peer.received;
    const ended = end === "done" ? "timeout" : end;
    const onlyLines = got.length === 0 || got.at(-1) === 10; // a greeting, and no echo
    if (onlyLines && ended === "timeout") return fail("nada-vuelve", { sent, got, end: ended });
    if (got.length === 0) return fail("cierra-sin-eco", { sent, got, end: ended });
    return fail("otra-cosa", { sent, got, end: ended });
  } finally {
    peer.close();
  }
}

/**
 * entero: on one connection, a line sent in pieces with pauses, a long one, and a short one after
 * them: each comes back whole, and the connection stays open.
 */
async function whole(c: ServerContext): Promise<Outcome> {
  const peer = await connect(c);
  try {
    const pieces = [`entero ${c.tag} en pedazos: uno,`, " dos,", " tres\n"].map(encode);
    for (const [i, piece] of pieces.entries()) {
      if (i > 0) await delay(200);
      await peer.write(piece, c.limit);
    }
    const inPieces = concat(pieces);
    const echo = await expectEcho(c, peer, inPieces, true);
    if (!echo.ok) {
      if (echo.kind === "nothing" || echo.kind === "cut") return cut(inPieces, echo);
      return plainFailure(echo, inPieces);
    }

    const digits = "0123456789".repeat(1000);
    const long = encode(`entero ${c.tag} largo ${digits}`.slice(0, 9999) + "\n");
    await peer.write(long, c.limit);
    const longEcho = await expectEcho(c, peer, long, false);
    if (!longEcho.ok) {
      if (longEcho.kind === "nothing" && longEcho.got.length === 0) {
        return fail("solo-un-mensaje", { sent: long, got: longEcho.got, end: longEcho.end });
      }
      if (longEcho.kind === "nothing" || longEcho.kind === "cut") return cut(long, longEcho);
      return plainFailure(longEcho, long);
    }

    const short = encode(`entero ${c.tag} corta\n`);
    await peer.write(short, c.limit);
    const again = await expectEcho(c, peer, short, false);
    if (!again.ok) {
      if (again.kind === "nothing") {
        return fail("solo-un-mensaje", { sent: short, got: again.got, end: again.end });
      }
      return plainFailure(again, short);
    }
    return pass();
  } finally {
    peer.close();
  }
}

function cut(sent: Uint8Array, echo: Echo & { ok: false }): Outcome {
  const { got, end } = echo;
  return fail("un-solo-recv", { sent, got, end, params: { got: got.length, sent: sent.length } });
}

/** a-la-vez: a second client gets its echo while the first is still connected. */
async function twoAtOnce(c: ServerContext): Promise<Outcome> {
  const first = await connect(c);
  let second: Peer | undefined;
  try {
    const one = encode(`a-la-vez ${c.tag} primero\n`);
    await first.write(one, c.limit);
    const echo = await expectEcho(c, first, one, true);
    if (!echo.ok) return plainFailure(echo, one);
    second = await connect(c);
    const two = encode(`a-la-vez ${c.tag} segundo\n`);
    await second.write(two, c.limit);
    const secondEcho = await expectEcho(c, second, two, true);
    if (secondEcho.ok) return pass();
    if (secondEcho.kind !== "nothing" || secondEcho.end !== "timeout") {
      return plainFailure(secondEcho, two);
    }
    // Nothing while the first stays: let the first go, and see whether the echo comes then.
    first.close();
    const later = await second.until((b) => indexOf(b, two) !== -1, c.limit) === "done";
    const params = { after: later ? { key: "param.after-first-left" as const } : "" };
    return fail("uno-por-vez", { sent: two, got: new Uint8Array(0), end: "timeout", params });
  } finally {
    first.close();
    second?.close();
  }
}

/** bytes: a character split across two sends, and bytes that are not UTF-8, come back as sent. */
async function rawBytes(c: ServerContext): Promise<Outcome> {
  const peer = await connect(c);
  try {
    const start = encode(`bytes ${c.tag} caf`);
    const parts = [concat([start, new Uint8Array([0xc3])]), new Uint8Array([0xa9, 10])]; // "é\n"
    await peer.write(parts[0], c.limit);
    await delay(200);
    await peer.write(parts[1], c.limit);
    const split = concat(parts);
    const echo = await expectEcho(c, peer, split, true);
    if (!echo.ok) return fail("caracter-partido", { sent: split, got: echo.got, end: echo.end });

    const binary = concat([
      encode(`bytes ${c.tag} `),
      new Uint8Array([0xff, 0xfe, 0x80]),
      encode(" fin\n"),
    ]);
    await peer.write(binary, c.limit);
    const echo2 = await expectEcho(c, peer, binary, false);
    if (!echo2.ok) return fail("no-utf8", { sent: binary, got: echo2.got, end: echo2.end });
    return pass();
  } finally {
    peer.close();
  }
}

/** lineas: "\r\n", spaces and a tab at a line's ends, and an empty line, come back as sent. */
async function lineEnds(c: ServerContext): Promise<Outcome> {
  const peer = await connect(c);
  try {
    const lines = [
      `lineas ${c.tag} uno\r\n`,
      `  lineas ${c.tag} dos \t\n`,
      `lineas ${c.tag} tres\n\n`,
    ];
    for (const [i, line] of lines.entries()) {
      const sent = encode(line);
      await peer.write(sent, c.limit);
      const echo = await expectEcho(c, peer, sent, i === 0);
      if (!echo.ok) return fail("cambia-lineas", { sent, got: echo.got, end: echo.end });
    }
    return pass();
  } finally {
    peer.close();
  }
}

/**
 * mucho: 8 MiB in numbered lines of 1 KiB, written without reading until the server stops taking
 * more (a slow client: the server's sends then find its buffer full), then read back whole.
 */
async function aLot(c: ServerContext): Promise<Outcome> {
  const LINE = 1024, LINES = 8192;
  const expected = new Uint8Array(LINE * LINES);
  const filler = ".".repeat(LINE);
  for (let i = 0; i < LINES; i++) {
    const line = `${String(i + 1).padStart(6, "0")} mucho ${c.tag} ${filler}`.slice(0, LINE);
    expected.set(encode(line), i * LINE);
    expected[i * LINE + LINE - 1] = 10;
  }
  const last = encode(`mucho ${c.tag} fin\n`);
  const sent = concat([expected, last]);
  const peer = await connect(c);
  try {
    // The writer: all of it, in 64 KiB writes; `progress` says when it last moved.
    let written = 0, progress = Date.now(), writing = true;
    const writer = (async () => {
      while (written < sent.length) {
        const chunk = sent.subarray(written, Math.min(sent.length, written + 64 * 1024));
        const wrote = await peer.conn.write(chunk).catch(() => -1);
        if (wrote < 0) break;
        written += wrote;
        progress = Date.now();
      }
      writing = false;
    })();
    // Read nothing until the writer has stalled 300 ms (both sides' buffers are full) or is done.
    const startedAt = Date.now();
    while (writing && Date.now() - progress < 300 && Date.now() - startedAt < 20_000) {
      await delay(50);
    }
    if (c.greetingLines > 0) {
      const end = await peer.until((b) => countNewlines(b) >= c.greetingLines, c.limit);
      if (end !== "done") return fail("corta-mucho", { sent, got: peer.take(), end });
      peer.take(nthNewline(peer.received, c.greetingLines) + 1);
    }
    // The reader: until the last line is back, the server ends, or nothing comes for `limit`.
    const parts: Uint8Array[] = [];
    let total = 0, tail = new Uint8Array(0), end: End | undefined;
    while (total < sent.length + 1024 * 1024) {
      const next = await peer.next(c.limit);
      if (typeof next === "string") {
        end = next;
        break;
      }
      parts.push(next);
      total += next.length;
      tail = concat([tail, next]).slice(-last.length);
      if (equal(tail, last)) break;
    }
    await settle(writer, c.limit);
    const got = concat(parts);
    if (equal(got, sent)) return pass();
    let same = 0;
    while (same < got.length && same < sent.length && got[same] === sent[same]) same++;
    const at = Math.max(same - (same % LINE), same - 24); // shown from just before they differ
    const params = { got: got.length, sent: sent.length };
    if (same < got.length && got.length < sent.length) {
      const missing = sent.length - got.length;
      return fail("send-ignorado", {
        sent: sent.subarray(at, at + 80),
        got: got.subarray(at, at + 80),
        params: {
          ...params,
          missing,
          line: Math.floor(same / LINE) + 1,
          next: nextLine(got, at),
        },
      });
    }
    const around = { sent: sent.subarray(at, at + 80), end, params };
    if (same === got.length) {
      const lastBytes = got.subarray(Math.max(0, same - 40), same);
      return fail(end === "timeout" ? "se-traba" : "corta-mucho", { ...around, got: lastBytes });
    }
    return fail("otra-cosa", { ...around, got: got.subarray(at, at + 80) });
  } finally {
    peer.close();
  }
}

/** The number of the first whole numbered line of `mucho` in `got` after `from`, or "?". */
function nextLine(got: Uint8Array, from: number): string {
  const text = new TextDecoder().decode(got.subarray(from, from + 2100));
  return `${Number(/(\d{6}) mucho /.exec(text)?.[1] ?? NaN) || "?"}`;
}

/** Wait for `promise` to settle, at most `ms`. */
async function settle(promise: Promise<unknown>, ms: number) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([promise, new Promise((resolve) => timer = setTimeout(resolve, ms))]);
  clearTimeout(timer);
}

/** cierre: after a line and shutdown(SHUT_WR), the echo comes back, then the server closes. */
async function closes(c: ServerContext): Promise<Outcome> {
  const peer = await connect(c);
  try {
    const sent = encode(`cierre ${c.tag} ultima\n`);
    await peer.write(sent, c.limit);
    peer.closeWrite();
    const echo = await expectEcho(c, peer, sent, true);
    if (!echo.ok) {
      if (echo.kind === "nothing" && echo.end !== "timeout") {
        return fail("pierde-lo-ultimo", { sent, got: echo.got, end: echo.end });
      }
      return plainFailure(echo, sent);
    }
    const end = await peer.end(c.limit);
    if (end === "timeout" || end === "full") {
      return fail("no-cierra", { sent, got: concat([sent, peer.take()]), end });
    }
    return pass();
  } finally {
    peer.close();
  }
}

/**
 * corte: one client sends a line and closes at once, without reading; another writes without
 * reading until the server is stuck sending back to it, and closes (the server's send then meets
 * a reset); then a new client still gets its echo.
 */
async function survivesReset(c: ServerContext): Promise<Outcome> {
  const died = (end: End | "refused", sent: Uint8Array) =>
    fail("muere-tras-corte", { sent, got: new Uint8Array(0), end });
  const one = await connect(c);
  await one.write(encode(`corte ${c.tag} uno\n`), c.limit);
  one.abort();

  const line = encode(`corte ${c.tag} ${"x".repeat(1000)}\n`);
  let two: Peer;
  try {
    two = await connect(c);
  } catch (error) {
    if (error instanceof CannotConnect && error.why === "refused") return died("refused", line);
    throw error;
  }
  await two.flood(line, 64 * 1024 * 1024, 10_000);
  two.abort();

  const sent = encode(`corte ${c.tag} tres\n`);
  let three: Peer;
  try {
    three = await connect(c);
  } catch (error) {
    if (error instanceof CannotConnect && error.why === "refused") return died("refused", sent);
    throw error;
  }
  try {
    await three.write(sent, c.limit);
    const echo = await expectEcho(c, three, sent, true);
    if (echo.ok) return pass();
    if (echo.kind === "nothing" && echo.end !== "timeout") return died(echo.end!, sent);
    if (echo.kind === "nothing") {
      return fail("no-atiende-tras-corte", { sent, got: echo.got, end: echo.end });
    }
    return plainFailure(echo, sent);
  } finally {
    three.close();
  }
}

// ---------------------------------------------------------------------------------------------
// saludo: the lesson's own server (steps 1-9): accept, send one message, close; for every client.

export const SALUDO: Check<ServerContext>[] = [
  {
    name: "saludo",
    diagnoses: ["saludo-nada", "saludo-no-cierra", "saludo-cierra-sin-mensaje"],
    run: greets,
  },
  {
    name: "otra-vez",
    needs: ["saludo"],
    diagnoses: ["atiende-uno-solo", "saludo-otra-vez-nada", "saludo-no-cierra"],
    run: greetsAgain,
  },
];

async function greetOnce(c: ServerContext, again: boolean): Promise<Outcome | undefined> {
  let peer: Peer;
  try {
    peer = await connect(c);
  } catch (error) {
    if (again && error instanceof CannotConnect && error.why === "refused") {
      return fail("atiende-uno-solo", { got: new Uint8Array(0), end: "refused" });
    }
    throw error;
  }
  try {
    const end = await peer.end(c.limit);
    const got = peer.take();
    const closed = end === "eof" || end === "reset";
    if (closed && got.length > 0) return undefined;
    if (got.length > 0) return fail("saludo-no-cierra", { got, end });
    if (end === "timeout") {
      return fail(again ? "saludo-otra-vez-nada" : "saludo-nada", { got, end });
    }
    return fail(again ? "atiende-uno-solo" : "saludo-cierra-sin-mensaje", { got, end });
  } finally {
    peer.close();
  }
}

/** saludo: connect and read: at least one byte arrives, then the server closes. */
async function greets(c: ServerContext): Promise<Outcome> {
  return await greetOnce(c, false) ?? pass();
}

/** otra-vez: two more clients, one after the other, each get the message and the close. */
async function greetsAgain(c: ServerContext): Promise<Outcome> {
  for (let i = 0; i < 2; i++) {
    const failed = await greetOnce(c, true);
    if (failed) return failed;
  }
  return pass();
}

// ---------------------------------------------------------------------------------------------
// udp: a UDP echo server: each datagram back whole, to whoever sent it, from the server's port.

export const UDP: Check<ServerContext>[] = [
  {
    name: "udp-eco",
    diagnoses: ["udp-sin-respuesta", "otro-remitente", "udp-otra-cosa"],
    run: udpEcho,
  },
  {
    name: "udp-grande",
    needs: ["udp-eco"],
    diagnoses: ["datagrama-cortado", "udp-grande-sin-respuesta"],
    run: udpLarge,
  },
  {
    name: "udp-dos",
    needs: ["udp-eco"],
    diagnoses: ["responde-a-otro", "udp-dos-sin-respuesta"],
    run: udpTwo,
  },
];

export const UDP_TRIES = 3;
export const UDP_TRY_MS = 1000;

/** The family of socket that can reach `host`: IPv6 for an IPv6 address, IPv4 otherwise. */
function udpSocket(c: ServerContext): Udp {
  const loopback = c.host.startsWith("127.") || c.host === "localhost";
  const udp = new Udp(c.host.includes(":") ? "::" : loopback ? "127.0.0.1" : "0.0.0.0");
  c.open.push(udp);
  return udp;
}

/** Is `from` the server? Its port, and its address when HOST is one (any, for a name). */
function fromServer(c: ServerContext, from: Deno.NetAddr): boolean {
  if (from.port !== c.port) return false;
  const literal = /^[\d.]+$/.test(c.host) || c.host.includes(":");
  const same = from.hostname.replace(/^::ffff:/, "") === c.host.replace(/^\[|\]$/g, "");
  const any = ["0.0.0.0", "::"].includes(c.host);
  return !literal || same || any;
}

/**
 * Send `sent` from `socket` up to UDP_TRIES times and look at what comes back: the first datagram
 * from the server, or one with our bytes from anyone else.
 */
async function udpAsk(c: ServerContext, socket: Udp, sent: Uint8Array, ignore: Uint8Array[] = []) {
  for (let i = 0; i < UDP_TRIES; i++) {
    await socket.send(sent, c.host, c.port);
    const deadline = Date.now() + UDP_TRY_MS;
    while (Date.now() < deadline) {
      const got = await socket.receive(deadline - Date.now());
      if (!got) break;
      const [bytes, from] = got;
      if (ignore.some((old) => equal(old, bytes))) continue; // a late reply to an earlier check
      if (fromServer(c, from) || equal(bytes, sent)) return { bytes, from };
    }
  }
  return undefined;
}

/** udp-eco: a short datagram comes back, the same bytes, from the server's address and port. */
async function udpEcho(c: ServerContext): Promise<Outcome> {
  const socket = c.udp = udpSocket(c);
  const sent = encode(`udp-eco ${c.tag} hola`);
  const reply = await udpAsk(c, socket, sent);
  if (!reply) return fail("udp-sin-respuesta", { sent, params: { tries: UDP_TRIES } });
  const from = showAddress(reply.from.hostname, reply.from.port);
  if (!fromServer(c, reply.from)) {
    return fail("otro-remitente", {
      sent,
      got: reply.bytes,
      from,
      params: { from, server: showAddress(c.host, c.port) },
    });
  }
  if (!equal(reply.bytes, sent)) return fail("udp-otra-cosa", { sent, got: reply.bytes, from });
  return pass();
}

/** udp-grande: a datagram of 4000 bytes comes back whole. */
async function udpLarge(c: ServerContext): Promise<Outcome> {
  const socket = c.udp!;
  const sent = encode(`udp-grande ${c.tag} ${"0123456789".repeat(400)}`.slice(0, 4000));
  const earlier = [encode(`udp-eco ${c.tag} hola`)];
  const reply = await udpAsk(c, socket, sent, earlier);
  if (!reply) return fail("udp-grande-sin-respuesta", { sent, params: { sent: sent.length } });
  if (equal(reply.bytes, sent)) return pass();
  const cut = reply.bytes.length < sent.length &&
    equal(reply.bytes, sent.subarray(0, reply.bytes.length));
  const params = { sent: sent.length, got: reply.bytes.length };
  if (cut) return fail("datagrama-cortado", { sent, got: reply.bytes, params });
  return fail("udp-otra-cosa", { sent, got: reply.bytes });
}

/** udp-dos: another client and the first send a datagram each; each reply reaches its sender. */
async function udpTwo(c: ServerContext): Promise<Outcome> {
  const first = c.udp!;
  const second = udpSocket(c);
  const fromSecond = encode(`udp-dos ${c.tag} del segundo`);
  const fromFirst = encode(`udp-dos ${c.tag} del primero`);
  let firstOk = false, secondOk = false;
  for (let i = 0; i < UDP_TRIES && !(firstOk && secondOk); i++) {
    if (!secondOk) await second.send(fromSecond, c.host, c.port);
    if (!firstOk) await first.send(fromFirst, c.host, c.port);
    const deadline = Date.now() + UDP_TRY_MS;
    type Heard = "mine" | "other" | "none";
    const listen = async (socket: Udp, mine: Uint8Array, other: Uint8Array): Promise<Heard> => {
      while (Date.now() < deadline) {
        const got = await socket.receive(deadline - Date.now());
        if (!got) return "none";
        if (equal(got[0], mine)) return "mine";
        if (equal(got[0], other)) return "other";
      }
      return "none";
    };
    const [a, b]: Heard[] = await Promise.all([
      firstOk ? "mine" : listen(first, fromFirst, fromSecond),
      secondOk ? "mine" : listen(second, fromSecond, fromFirst),
    ]);
    if (a === "other" || b === "other") {
      return fail("responde-a-otro", { sent: fromSecond, got: fromSecond });
    }
    firstOk ||= a === "mine";
    secondOk ||= b === "mine";
  }
  if (!secondOk) {
    return fail("udp-dos-sin-respuesta", { sent: fromSecond, params: { tries: UDP_TRIES } });
  }
  if (!firstOk) return fail("udp-sin-respuesta", { sent: fromFirst, params: { tries: UDP_TRIES } });
  return pass();
}

// ---------------------------------------------------------------------------------------------
// chat: the lesson's WhatsApp: a line from one member reaches every other member.

export const CHAT: Check<ServerContext>[] = [
  { name: "chat-llega", diagnoses: ["chat-no-llega"], run: reachesAll },
  {
    name: "chat-pedazos",
    needs: ["chat-llega"],
    diagnoses: ["linea-partida", "chat-no-llega"],
    run: piecesWhole,
  },
  { name: "chat-se-va", needs: ["chat-llega"], diagnoses: ["chat-muere"], run: memberDrops },
];

const has = (text: string) => {
  const bytes = encode(text);
  return (b: Uint8Array) => indexOf(b, bytes) !== -1;
};

/** Wait until each of `who` has received `text`; the names of those that have not. */
async function reach(who: [string, Peer][], text: string, ms: number) {
  const ends = await Promise.all(who.map(([, peer]) => peer.until(has(text), ms)));
  return who.filter((_, i) => ends[i] !== "done");
}

/** chat-llega: A's line reaches B and C (A sends again while they may not be in yet); C's, A and B. */
async function reachesAll(c: ServerContext): Promise<Outcome> {
  const members: Peer[] = [];
  c.members = members;
  for (let i = 0; i < 3; i++) {
    const peer = await connect(c);
    members.push(peer);
    c.open.push(peer);
  }
  const [a, b, cc] = members;
  const textA = `chat ${c.tag} hola de A`;
  let missing: [string, Peer][] = [["B", b], ["C", cc]];
  for (let i = 1; i <= 3 && missing.length > 0; i++) {
    await a.write(encode(`${textA} ${i}\n`), c.limit);
    missing = await reach(missing, textA, c.limit / 3);
  }
  if (missing.length > 0) {
    const got = missing[0][1].take();
    const params = {
      from: "A",
      missing: { list: missing.map(([name]) => name) },
      s: c.limit / 1000,
    };
    return fail("chat-no-llega", { sent: encode(`${textA} 1\n`), got, end: "timeout", params });
  }
  const textC = `chat ${c.tag} hola de C`;
  const sent = encode(`${textC}\n`);
  await cc.write(sent, c.limit);
  missing = await reach([["A", a], ["B", b]], textC, c.limit);
  if (missing.length > 0) {
    const got = missing[0][1].take();
    const params = {
      from: "C",
      missing: { list: missing.map(([name]) => name) },
      s: c.limit / 1000,
    };
    return fail("chat-no-llega", { sent, got, end: "timeout", params });
  }
  for (const peer of members) peer.take();
  return pass();
}

/** chat-pedazos: B's line, sent in 3 pieces with pauses, reaches A and C as one line. */
async function piecesWhole(c: ServerContext): Promise<Outcome> {
  const [a, b, cc] = c.members!;
  const text = `chat ${c.tag} en pedazos de B`;
  const pieces = [`chat ${c.tag} en ped`, "azos d", "e B\n"].map(encode);
  for (const peer of [a, cc]) peer.take();
  for (const [i, piece] of pieces.entries()) {
    if (i > 0) await delay(200);
    await b.write(piece, c.limit);
  }
  const missing = await reach([["A", a], ["C", cc]], text, c.limit);
  if (missing.length === 0) {
    for (const peer of [a, cc]) peer.take();
    return pass();
  }
  const got = missing[0][1].take();
  const sent = concat(pieces);
  if (indexOf(got, pieces[0]) !== -1) {
    const params = { got: JSON.stringify(new TextDecoder().decode(got).slice(0, 80)) };
    return fail("linea-partida", { sent, got, params });
  }
  const params = { from: "B", missing: { list: missing.map(([name]) => name) }, s: c.limit / 1000 };
  return fail("chat-no-llega", { sent, got, end: "timeout", params });
}

/** chat-se-va: A closes abruptly with lines unread; then both lines B sends reach C. */
async function memberDrops(c: ServerContext): Promise<Outcome> {
  const [a, b, cc] = c.members!;
  // Something for A to leave unread: a line from C, relayed (B has it, so A has it or soon will).
  const unread = `chat ${c.tag} para todos`;
  await cc.write(encode(`${unread}\n`), c.limit);
  await b.until(has(unread), c.limit);
  a.abort();
  for (let i = 1; i <= 2; i++) {
    const text = `chat ${c.tag} despues ${i}`;
    const sent = encode(`${text}\n`);
    await b.write(sent, c.limit);
    if (await cc.until(has(text), c.limit) === "done") continue;
    let listens = true;
    try {
      (await connect(c)).close();
    } catch (error) {
      if (!(error instanceof CannotConnect)) throw error;
      listens = false;
    }
    const how = { key: listens ? "param.server-listens" as const : "param.server-ended" as const };
    return fail("chat-muere", { sent, got: cc.take(), end: "timeout", params: { how } });
  }
  return pass();
}

// ---------------------------------------------------------------------------------------------
// Running a kind's checks.

export const SERVER_KINDS = { eco: ECO, saludo: SALUDO, udp: UDP, chat: CHAT };
export type ServerKind = keyof typeof SERVER_KINDS;

/** Nothing listens, or nobody answers, at HOST:PORT: the first check could not connect. */
export class Unreachable extends Error {
  constructor(readonly why: CannotConnect) {
    super(why.message);
  }
}

/**
 * Run a kind's checks against HOST:PORT, in order, calling `report` as each ends. A check runs
 * only if those it needs passed; once the server has stopped listening, the rest do not run.
 * Throws Unreachable when the first check cannot connect at all.
 */
export async function runServerChecks(
  kind: ServerKind,
  host: string,
  port: number,
  limit: number,
  report: (result: Result) => void = () => {},
): Promise<Result[]> {
  const context: ServerContext = { host, port, limit, tag: newTag(), greetingLines: 0, open: [] };
  const results: Result[] = [];
  let gone: string | undefined; // the check after which the server stopped listening
  try {
    for (const [index, check] of SERVER_KINDS[kind].entries()) {
      const started = Date.now();
      const missing = gone ??
        check.needs?.find((name) => !results.find((result) => result.check === name)?.ok);
      let result: Result;
      if (missing) result = { check: check.name, ok: false, skipped: missing, ms: 0 };
      else {
        try {
          result = { check: check.name, ...await check.run(context), ms: Date.now() - started };
        } catch (error) {
          if (!(error instanceof CannotConnect)) throw error;
          if (index === 0) throw new Unreachable(error);
          result = {
            check: check.name,
            ok: false,
            diagnosis: "murio",
            params: { previous: context.previous ?? "" },
            end: error.why === "refused" ? "refused" : "timeout",
            ms: Date.now() - started,
          };
          gone = check.name;
        }
        context.previous = check.name;
      }
      results.push(result);
      report(result);
    }
  } finally {
    for (const open of context.open) open.close();
  }
  return results;
}
