// The checks of a student's client: `deno task probar cliente-eco -- COMMAND ARGS...` (and
// cliente-saludo, cliente-udp). The checker is the server, on 127.0.0.1 (port 21042, or --port);
// it runs the command as given (it adds nothing to it), plays its part of the exercise, and looks
// at what the client sent, what it printed and how it ended.
//
// What the test server does, in order:
// - cliente-saludo: accept; send a message in 3 pieces, 300 ms apart; close (end of stream).
// - cliente-eco: accept; send a greeting line; take what the client sends, until it closes its
//   side (shutdown) or 700 ms pass with nothing new; send it back in 3 pieces, 300 ms apart
//   (again, while the client sends more); close.
// - cliente-udp: run the client twice. First, send each datagram back to its sender; then, as if
//   every datagram were lost, answer nothing.
// Pieces with pauses are what any network may do: a client that takes one recv() as the whole
// reply prints only the first piece.
import { type Check, fail, type Outcome, pass, type Result } from "./check.ts";
import type { TextKey } from "./messages.ts";
import { concat, delay, encode, Peer, Udp, within } from "./net.ts";

export interface ClientContext {
  /** The port of the test server, on 127.0.0.1 (TCP or UDP). */
  port: number;
  command: string[];
  /** Where the command runs: the folder the student typed it in. */
  cwd?: string;
  /** How long each step waits before it counts as failed, in ms. */
  limit: number;
}

/** A client check, as the table shows it; `sends` when its words depend on the kind. */
export type ClientCheck = Omit<Check<ClientContext>, "run"> & { sends?: TextKey };

export const CLIENTE_SALUDO: ClientCheck[] = [
  { name: "conecta", diagnoses: ["no-conecta", "termina-antes", "no-conecta-a-tiempo"] },
  {
    name: "imprime-todo",
    needs: ["conecta"],
    diagnoses: ["un-recv-cliente", "no-imprime"],
    sends: "imprime-todo.sends.saludo",
  },
  { name: "termina", needs: ["conecta"], diagnoses: ["no-termina", "termina-con-error"] },
];

export const CLIENTE_ECO: ClientCheck[] = [
  { name: "conecta", diagnoses: ["no-conecta", "termina-antes", "no-conecta-a-tiempo"] },
  { name: "envia", needs: ["conecta"], diagnoses: ["no-envia"] },
  {
    name: "imprime-todo",
    needs: ["envia"],
    diagnoses: ["un-recv-cliente", "no-imprime"],
    sends: "imprime-todo.sends.eco",
  },
  { name: "termina", needs: ["envia"], diagnoses: ["no-termina", "termina-con-error"] },
];

export const CLIENTE_UDP: ClientCheck[] = [
  { name: "udp-envia", diagnoses: ["udp-no-envia", "termina-antes"] },
  {
    name: "udp-imprime",
    needs: ["udp-envia"],
    diagnoses: ["udp-no-imprime", "udp-no-termina", "termina-con-error"],
  },
  { name: "udp-plazo", needs: ["udp-envia"], diagnoses: ["espera-para-siempre", "udp-no-envia"] },
];

export const CLIENT_KINDS = {
  "cliente-saludo": CLIENTE_SALUDO,
  "cliente-eco": CLIENTE_ECO,
  "cliente-udp": CLIENTE_UDP,
};
export type ClientKind = keyof typeof CLIENT_KINDS;

/** What the test servers send (data, not messages: the same in every language, and ASCII). */
export const SALUDO_PIECES = [
  "probar: este mensaje del servidor ",
  "llega en tres pedazos, ",
  "con pausas (fin)\n",
];
export const ECO_GREETING = "probar: hola, te devuelvo todo en pedazos\n";

/** How long the client gets to connect (or send its datagram): a cold start can be slow. */
export const CONNECT_S = 10;
/** How long the client gets to send its message once connected. */
export const SEND_S = 5;
/** How long a UDP client may wait for a reply that never comes before it counts as for ever. */
export const GIVE_UP_S = 10;
/** A client's message is complete when it closes its side, or after this long with nothing new. */
const IDLE_MS = 700;
const PAUSE_MS = 300;

/** The port of the test server is taken: said in one line, exit 2. */
export class PortInUse extends Error {}
/** The client's command cannot be started at all: said in one line, exit 2. */
export class CannotRun extends Error {}

/** The student's client, as a process: its output kept (up to 1 MiB each), its end awaited. */
class Client {
  #out: Uint8Array[] = [];
  #err: Uint8Array[] = [];
  #drains: Promise<void>[];
  status: Deno.CommandStatus | undefined;
  killed = false;
  readonly done: Promise<Deno.CommandStatus>;

  constructor(private child: Deno.ChildProcess) {
    this.done = child.status.then((status) => this.status = status);
    const keep = async (stream: ReadableStream<Uint8Array>, into: Uint8Array[]) => {
      let size = 0;
      try {
        for await (const chunk of stream) {
          if (size < 1024 * 1024) into.push(chunk);
          size += chunk.length;
        }
      } catch { /* the pipe broke: what came is kept */ }
    };
    this.#drains = [keep(child.stdout, this.#out), keep(child.stderr, this.#err)];
  }

  static start(command: string[], cwd?: string): Client {
    try {
      return new Client(
        new Deno.Command(command[0], {
          args: command.slice(1),
          cwd,
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
          // Python writes each print at once even into a pipe, and in UTF-8 on every system.
          env: { PYTHONUNBUFFERED: "1", PYTHONIOENCODING: "utf-8", NO_COLOR: "1" },
        }).spawn(),
      );
    } catch (error) {
      throw new CannotRun((error as Error).message);
    }
  }

  /** Has it ended within `ms`? */
  async ended(ms: number): Promise<boolean> {
    return await within(this.done.then(() => true), ms, false);
  }

  /** Stop it: Ctrl-C first (Python then prints what it had), and for good after 1 s. */
  async stop() {
    if (this.status) return;
    this.killed = true;
    for (const signal of ["SIGINT", "SIGKILL"] as const) {
      try {
        this.child.kill(signal);
      } catch { /* it has ended meanwhile */ }
      if (await this.ended(1000)) break;
    }
    await this.done;
  }

  /** Its output so far; after it ended, all of it (a child it left behind may hold the pipe). */
  async output(): Promise<{ stdout: Uint8Array; stderr: Uint8Array }> {
    await within(Promise.all(this.#drains), 1000, undefined);
    return { stdout: concat(this.#out), stderr: concat(this.#err) };
  }

  async exit(): Promise<NonNullable<Outcome["exit"]>> {
    const { stderr } = await this.output();
    return { code: this.killed ? null : this.status?.code ?? null, killed: this.killed, stderr };
  }
}

/**
 * Wait for what the client does first (`event`: a connection, a datagram), checking every 200 ms
 * whether it has ended meanwhile; after its end, what it did just before still counts.
 * `event` is a promise that stays pending (accept), or a bounded wait to call again (receive).
 */
async function waitFor<T>(
  event: Promise<T> | ((ms: number) => Promise<T | undefined>),
  client: Client,
  ms: number,
): Promise<T | "exited" | "timeout"> {
  const deadline = Date.now() + ms;
  const once = (wait: number) =>
    typeof event === "function" ? event(wait) : within(event, wait, undefined);
  while (Date.now() < deadline) {
    const exited = client.status !== undefined;
    const got = await once(exited ? 500 : 200);
    if (got !== undefined) return got;
    if (exited) return "exited";
  }
  return "timeout";
}

/** Lines may be broken anywhere: compare the text with its line breaks taken out. */
function printedAll(printed: Uint8Array, expected: Uint8Array): boolean {
  const flat = (bytes: Uint8Array) => new TextDecoder().decode(bytes).replace(/[\r\n]/g, "");
  return flat(printed).includes(flat(expected));
}

function judgePrinted(printed: Uint8Array, expected: Uint8Array): Outcome {
  if (printedAll(printed, expected)) return pass();
  const blank = new TextDecoder().decode(printed).trim() === "";
  return fail(blank ? "no-imprime" : "un-recv-cliente", { sent: expected, printed });
}

function listenTcp(port: number): Deno.TcpListener {
  try {
    return Deno.listen({ hostname: "127.0.0.1", port });
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) throw new PortInUse();
    throw error;
  }
}

/** cliente-saludo and cliente-eco: the client against the test server, one connection. */
async function tcpClient(
  kind: "saludo" | "eco",
  c: ClientContext,
): Promise<Record<string, Outcome>> {
  const found: Record<string, Outcome> = {};
  const address = `127.0.0.1:${c.port}`;
  const s = c.limit / 1000;
  const listener = listenTcp(c.port);
  let peer: Peer | undefined;
  let client: Client | undefined;
  try {
    client = Client.start(c.command, c.cwd);
    const accepting = listener.accept();
    accepting.catch(() => {}); // rejected once the listener closes
    const first = await waitFor(accepting, client, Math.max(CONNECT_S * 1000, c.limit));
    if (first === "exited" || first === "timeout") {
      if (first === "timeout") await client.stop();
      const exit = await client.exit();
      const crashed = first === "exited" && exit.code !== 0;
      const diagnosis = first === "timeout"
        ? "no-conecta-a-tiempo"
        : crashed
        ? "termina-antes"
        : "no-conecta";
      const what = { key: "param.connecting" as const };
      const params = {
        address,
        port: c.port,
        s: Math.max(CONNECT_S, s),
        code: `${exit.code}`,
        what,
      };
      found.conecta = fail(diagnosis, { exit, params });
      return found;
    }
    found.conecta = pass();
    peer = new Peer(first);

    let expected: Uint8Array;
    if (kind === "saludo") {
      const pieces = SALUDO_PIECES.map(encode);
      expected = concat(pieces);
      for (const [i, piece] of pieces.entries()) {
        if (i > 0) await delay(PAUSE_MS);
        if (!await peer.write(piece, c.limit)) break; // the client is gone: it printed what it got
      }
    } else {
      const greeting = encode(ECO_GREETING);
      await peer.write(greeting, c.limit);
      const sendLimit = Math.max(SEND_S * 1000, c.limit);
      await peer.until((b) => b.length > 0, sendLimit); // a client that ends closes: eof
      if (peer.received.length === 0) {
        await client.stop();
        found.envia = fail("no-envia", {
          exit: await client.exit(),
          params: { s: sendLimit / 1000 },
        });
        return found;
      }
      found.envia = pass();
      const echoed: Uint8Array[] = [];
      for (let round = 0; round < 10; round++) {
        // The client's message is complete once it closes its side, or stays quiet a moment.
        while (!peer.ended) {
          const before = peer.received.length;
          if (await peer.until((b) => b.length > before, IDLE_MS) !== "done") break;
        }
        const message = peer.take();
        if (message.length === 0) break;
        echoed.push(message);
        let gone = false;
        const third = Math.ceil(message.length / 3);
        for (let at = 0; at < message.length && !gone; at += third) {
          await delay(PAUSE_MS);
          gone = !await peer.write(message.subarray(at, at + third), c.limit);
        }
        if (gone || peer.ended) break;
        if (await peer.until((b) => b.length > 0, IDLE_MS) !== "done") break;
      }
      expected = concat([greeting, ...echoed]);
    }

    // Our side is done: the client must notice, print what it got, and end.
    peer.closeWrite();
    const draining = peer.end(c.limit); // reading on, as a server does, so that nothing resets
    const ended = await client.ended(c.limit);
    if (!ended) await client.stop();
    await draining;
    const exit = await client.exit();
    if (!ended) found.termina = fail("no-termina", { exit, params: { s } });
    else if (exit.code !== 0) {
      found.termina = fail("termina-con-error", { exit, params: { code: `${exit.code}` } });
    } else found.termina = pass();
    found["imprime-todo"] = judgePrinted((await client.output()).stdout, expected);
    return found;
  } finally {
    peer?.close();
    listener.close();
    await client?.stop();
  }
}

/** cliente-udp: run the client twice: its datagram answered, then left unanswered. */
async function udpClient(c: ClientContext): Promise<Record<string, Outcome>> {
  const found: Record<string, Outcome> = {};
  const address = `127.0.0.1:${c.port}`;
  const connectMs = Math.max(CONNECT_S * 1000, c.limit);
  let server: Udp;
  try {
    server = new Udp("127.0.0.1", c.port);
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) throw new PortInUse();
    throw error;
  }
  const clients: Client[] = [];
  /** The client's first datagram, or how it failed to come. */
  const firstDatagram = async (client: Client) => {
    const got = await waitFor((wait) => server.receive(wait), client, connectMs);
    if (typeof got !== "string" && got) return got;
    const exited = got === "exited";
    await client.stop();
    const exit = await client.exit();
    const what = { key: "param.sending" as const };
    const params = { address, port: c.port, s: connectMs / 1000, code: `${exit.code}`, what };
    const crashed = exited && exit.code !== 0;
    return fail(crashed ? "termina-antes" : "udp-no-envia", { exit, params });
  };
  try {
    const client = Client.start(c.command, c.cwd);
    clients.push(client);
    const got = await firstDatagram(client);
    if (!Array.isArray(got)) {
      found["udp-envia"] = got;
      return found;
    }
    found["udp-envia"] = pass();
    const [reply, from] = got;
    await server.send(reply, from.hostname, from.port);
    // Until it ends (at most `limit`), answer again any datagram it sends (a retry).
    const deadline = Date.now() + c.limit;
    while (!client.status && Date.now() < deadline) {
      const again = await server.receive(Math.min(200, deadline - Date.now()));
      if (again) await server.send(again[0], again[1].hostname, again[1].port);
    }
    const ended = await client.ended(0);
    if (!ended) await client.stop();
    const exit = await client.exit();
    const { stdout } = await client.output();
    const s = c.limit / 1000;
    if (!ended) {
      found["udp-imprime"] = fail("udp-no-termina", {
        sent: reply,
        printed: stdout,
        exit,
        params: { s },
      });
    } else if (!printedAll(stdout, reply)) {
      const params = { reply: JSON.stringify(new TextDecoder().decode(reply)) };
      found["udp-imprime"] = fail("udp-no-imprime", { sent: reply, printed: stdout, exit, params });
    } else if (exit.code !== 0) {
      found["udp-imprime"] = fail("termina-con-error", { exit, params: { code: `${exit.code}` } });
    } else found["udp-imprime"] = pass();

    // Second run: every datagram "lost". The client must give up by itself.
    const second = Client.start(c.command, c.cwd);
    clients.push(second);
    const sent = await firstDatagram(second);
    if (!Array.isArray(sent)) {
      found["udp-plazo"] = sent;
      return found;
    }
    const giveUp = GIVE_UP_S * 1000;
    const stopped = await second.ended(giveUp);
    if (!stopped) {
      await second.stop();
      const exit = await second.exit();
      found["udp-plazo"] = fail("espera-para-siempre", {
        sent: sent[0],
        exit,
        params: { s: GIVE_UP_S },
      });
    } else found["udp-plazo"] = pass();
    return found;
  } finally {
    for (const client of clients) await client.stop();
    server.close();
  }
}

/** Run a client kind's checks; results in the table's order (a check not reached: skipped). */
export async function runClientChecks(
  kind: ClientKind,
  context: ClientContext,
  report: (result: Result) => void = () => {},
): Promise<Result[]> {
  const started = Date.now();
  const found = kind === "cliente-udp"
    ? await udpClient(context)
    : await tcpClient(kind === "cliente-eco" ? "eco" : "saludo", context);
  const ms = Date.now() - started;
  const results: Result[] = [];
  for (const check of CLIENT_KINDS[kind]) {
    const outcome = found[check.name];
    const missing = check.needs?.find((name) => !results.find((r) => r.check === name)?.ok);
    const result: Result = outcome && !missing
      ? { check: check.name, ...outcome, ms }
      : { check: check.name, ok: false, skipped: missing ?? check.needs?.[0] ?? "", ms: 0 };
    results.push(result);
    report(result);
  }
  return results;
}
