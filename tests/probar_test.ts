// deno task probar (tools/probar.ts) against servers and clients that are wrong on purpose
// (tests/probar/, one bug each, the bugs students write) and against correct ones (the kit's
// scripts, the twins in leccion/, lesson-style Python): each wrong one fails exactly the check
// meant for its bug, with that bug's diagnosis, and every correct one passes every check. Then
// the output a student reads (Spanish, or English), --json, --lista, --tabla, the exit codes.
//
// Everything runs as real processes on 127.0.0.1. Python is found as python3, python or py; the
// Python cases are skipped, saying so, where there is none.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { DIAGNOSES, type DiagnosisId } from "../tools/probar/messages.ts";
import { freePort } from "./helpers/process.ts";
import { freeUdpPort } from "./helpers/udp.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const FIXTURES = fileURLToPath(new URL("probar/", import.meta.url));
const DENO = [Deno.execPath(), "run", "--allow-net"];

/** The Python on this machine (python3, python or py -3), or undefined. */
async function findPython(): Promise<string[] | undefined> {
  for (const command of [["python3"], ["python"], ["py", "-3"]]) {
    try {
      const { code } = await new Deno.Command(command[0], {
        args: [...command.slice(1), "--version"],
        stdout: "null",
        stderr: "null",
      }).output();
      if (code === 0) return command;
    } catch { /* not this one */ }
  }
  return undefined;
}
const PYTHON = await findPython();
const NO_PYTHON = "skipped: no python3, python or py on PATH";

interface Line {
  check: string;
  ok: boolean;
  skipped?: boolean;
  needs?: string;
  diagnosis?: DiagnosisId;
  [more: string]: unknown;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  lines: Line[];
}

/** Run `deno task probar ARGS` (the same flags as the task), killed after 120 s. */
async function probar(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      ...["run", "--allow-net", "--allow-read", "--allow-run", "--allow-env=INIT_CWD"],
      ...["tools/probar.ts", ...args],
    ],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    signal: AbortSignal.timeout(120_000),
  }).output();
  const out = new TextDecoder().decode(stdout);
  const lines = out.split("\n").filter((line) => line.startsWith("{")).map((line) =>
    JSON.parse(line) as Line
  );
  return { code, stdout: out, stderr: new TextDecoder().decode(stderr), lines };
}

/** A server under test: started on a free port, its first line read for the port. */
async function startServer(command: string[], cwd = ROOT) {
  const child = new Deno.Command(command[0], {
    args: command.slice(1),
    cwd,
    env: { NO_COLOR: "1", PYTHONUNBUFFERED: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "", err = "", exited = false;
  const pump = async (stream: ReadableStream<Uint8Array>, keep: (text: string) => void) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) keep(decoder.decode(chunk, { stream: true }));
  };
  // Read on all along: some of them print every message they get, and must never block on it.
  const drained = Promise.all([
    pump(child.stdout, (t) => out += t),
    pump(child.stderr, (t) => err += t),
  ]);
  const status = child.status.finally(() => exited = true);
  const stop = async () => {
    if (!exited) {
      try {
        child.kill("SIGKILL");
      } catch { /* it ended meanwhile */ }
    }
    await status;
    await drained;
    return { stdout: out, stderr: err };
  };
  const READY = /(?:escuchando en|listening on) \S*:(\d+)/;
  const deadline = Date.now() + 15_000;
  while (!READY.test(out)) {
    if (exited || Date.now() > deadline) {
      const said = await stop();
      throw new Error(`${command.join(" ")} did not start: ${JSON.stringify(said)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { port: Number(READY.exec(out)![1]), stop };
}

/** The checks that failed (not those skipped), with their diagnoses. */
function failures(lines: Line[]): Record<string, string | undefined> {
  return Object.fromEntries(
    lines.filter((line) => !line.ok && !line.skipped).map((line) => [line.check, line.diagnosis]),
  );
}

/** A skipped check must have been skipped because a check it needs failed (or was skipped). */
function assertSkipsExplained(lines: Line[]) {
  for (const line of lines.filter((l) => l.skipped)) {
    const needed = lines.find((other) => other.check === line.needs);
    assert.ok(
      needed && !needed.ok,
      `${line.check} skipped for ${line.needs}: ${JSON.stringify(lines)}`,
    );
  }
}

type Case = {
  /** The server or client, as a command: a fixture's name, a kit script, or a lesson peer. */
  name: string;
  command: (port: number) => string[];
  python?: boolean;
  /** The checks that must fail, and with which diagnosis; {} for a correct one. */
  fails: Partial<Record<string, DiagnosisId>>;
};

const py = (file: string, ...args: string[]) => (port: number) => [
  ...(PYTHON ?? ["python3"]),
  `${FIXTURES}${file}`,
  ...args.map((arg) => arg.replace("PORT", `${port}`)),
  ...(args.length ? [] : [`${port}`]),
];
const ts = (file: string) => (port: number) => [...DENO, `${FIXTURES}${file}`, `${port}`];
const kit = (...args: string[]) => (port: number) => [
  ...DENO,
  ...args.map((arg) => arg.replace("PORT", `${port}`)),
];
const lesson = (file: string, ...args: string[]) => (port: number) => [
  ...(PYTHON ?? ["python3"]),
  `${ROOT}tests/${file}`,
  ...args.map((arg) => arg.replace("PORT", `${port}`)),
];

const SERVERS: Record<string, Case[]> = {
  eco: [
    {
      name: "server.ts",
      command: kit("server.ts", "--host", "127.0.0.1", "--port", "0"),
      fails: {},
    },
    { name: "leccion/server.ts", command: kit("leccion/server.ts", "0"), fails: {} },
    { name: "eco_bien.py", command: py("eco_bien.py"), python: true, fails: {} },
    {
      name: "eco_texto_agregado.py",
      command: py("eco_texto_agregado.py"),
      python: true,
      fails: { eco: "texto-agregado" },
    },
    {
      name: "eco_espera_cierre.py",
      command: py("eco_espera_cierre.py"),
      python: true,
      fails: { eco: "espera-el-cierre" },
    },
    {
      name: "eco_un_recv.py",
      command: py("eco_un_recv.py"),
      python: true,
      fails: { entero: "un-solo-recv" },
    },
    {
      name: "eco_una_linea.ts",
      command: ts("eco_una_linea.ts"),
      fails: { entero: "solo-un-mensaje" },
    },
    {
      name: "eco_uno_por_vez.py",
      command: py("eco_uno_por_vez.py"),
      python: true,
      fails: { "a-la-vez": "uno-por-vez" },
    },
    {
      name: "eco_uno_por_vez.ts",
      command: ts("eco_uno_por_vez.ts"),
      fails: { "a-la-vez": "uno-por-vez" },
    },
    {
      name: "eco_decode.py",
      command: py("eco_decode.py"),
      python: true,
      fails: { bytes: "caracter-partido" },
    },
    { name: "eco_texto.ts", command: ts("eco_texto.ts"), fails: { bytes: "no-utf8" } },
    {
      name: "eco_rstrip.py",
      command: py("eco_rstrip.py"),
      python: true,
      fails: { lineas: "cambia-lineas" },
    },
    {
      name: "eco_write_una_vez.ts",
      command: ts("eco_write_una_vez.ts"),
      fails: { mucho: "send-ignorado" },
    },
    {
      name: "eco_no_cierra.py",
      command: py("eco_no_cierra.py"),
      python: true,
      fails: { cierre: "no-cierra" },
    },
    { name: "eco_no_cierra.ts", command: ts("eco_no_cierra.ts"), fails: { cierre: "no-cierra" } },
    { name: "eco_muere.ts", command: ts("eco_muere.ts"), fails: { corte: "muere-tras-corte" } },
    {
      name: "eco_ingenuo.py (two bugs: one client at a time, dies on a reset)",
      command: py("eco_ingenuo.py"),
      python: true,
      fails: { "a-la-vez": "uno-por-vez", corte: "muere-tras-corte" },
    },
  ],
  saludo: [
    { name: "saludo_bien.py", command: py("saludo_bien.py"), python: true, fails: {} },
    {
      name: "saludo_sin_bucle.py",
      command: py("saludo_sin_bucle.py"),
      python: true,
      fails: { "otra-vez": "atiende-uno-solo" },
    },
    {
      name: "saludo_no_cierra.ts",
      command: ts("saludo_no_cierra.ts"),
      fails: { saludo: "saludo-no-cierra" },
    },
  ],
  udp: [
    {
      name: "udp_server.ts",
      command: kit("udp_server.ts", "--host", "127.0.0.1", "--port", "0"),
      fails: {},
    },
    { name: "leccion/udp_server.ts", command: kit("leccion/udp_server.ts", "0"), fails: {} },
    {
      name: "tests/lesson_udp_server.py",
      command: lesson("lesson_udp_server.py", "127.0.0.1", "0", "20"),
      python: true,
      fails: {},
    },
    {
      name: "udp_recvfrom_chico.py",
      command: py("udp_recvfrom_chico.py"),
      python: true,
      fails: { "udp-grande": "datagrama-cortado" },
    },
    {
      name: "udp_buffer_chico.ts",
      command: ts("udp_buffer_chico.ts"),
      fails: { "udp-grande": "datagrama-cortado" },
    },
    {
      name: "udp_primer_cliente.py",
      command: py("udp_primer_cliente.py"),
      python: true,
      fails: { "udp-dos": "responde-a-otro" },
    },
    {
      name: "udp_otro_socket.py",
      command: py("udp_otro_socket.py"),
      python: true,
      fails: { "udp-eco": "otro-remitente" },
    },
  ],
  chat: [
    {
      name: "chat_server.ts",
      command: kit("chat_server.ts", "--host", "127.0.0.1", "--port", "0"),
      fails: {},
    },
    { name: "chat_bien.py", command: py("chat_bien.py"), python: true, fails: {} },
    {
      name: "chat_no_saca.py",
      command: py("chat_no_saca.py"),
      python: true,
      fails: { "chat-se-va": "chat-muere" },
    },
    {
      name: "chat_pedazos.ts",
      command: ts("chat_pedazos.ts"),
      fails: { "chat-pedazos": "linea-partida" },
    },
  ],
};

for (const [kind, cases] of Object.entries(SERVERS)) {
  for (const each of cases) {
    const wanted = Object.entries(each.fails).map(([check, why]) => `${check} (${why})`);
    Deno.test({
      name: `probar ${kind}: ${each.name}: ${
        wanted.length ? `fails ${wanted.join(", ")}` : "passes"
      }`,
      ignore: each.python && !PYTHON,
      fn: async () => {
        const server = await startServer(each.command(0));
        let run: Run;
        try {
          run = await probar([kind, `127.0.0.1:${server.port}`, "--json"]);
        } finally {
          await server.stop();
        }
        const context = `${each.name}:\n${run.stdout}${run.stderr}`;
        assert.deepEqual(failures(run.lines), each.fails, context);
        assertSkipsExplained(run.lines);
        assert.equal(run.code, wanted.length ? 1 : 0, context);
      },
    });
  }
}
if (!PYTHON) console.log(`probar_test.ts: the Python cases are ${NO_PYTHON}`);

// ---------------------------------------------------------------------------------------------
// Clients: the checker runs them against its own server, on a free port (not 21042).

const CLIENTS: Record<string, Case[]> = {
  "cliente-saludo": [
    {
      name: "saludo_cliente_bien.py",
      command: py("saludo_cliente_bien.py"),
      python: true,
      fails: {},
    },
    { name: "leccion/client.ts", command: kit("leccion/client.ts", "PORT"), fails: {} },
    {
      name: "saludo_cliente_un_recv.ts",
      command: ts("saludo_cliente_un_recv.ts"),
      fails: { "imprime-todo": "un-recv-cliente" },
    },
  ],
  "cliente-eco": [
    {
      name: "tests/lesson_client.py",
      command: lesson("lesson_client.py", "127.0.0.1", "PORT"),
      python: true,
      fails: {},
    },
    { name: "leccion/client.ts", command: kit("leccion/client.ts", "PORT"), fails: {} },
    {
      name: "client.ts",
      command: kit("client.ts", "--port", "PORT", "hola", "qué tal"),
      fails: {},
    },
    {
      name: "cliente_un_recv.py",
      command: py("cliente_un_recv.py"),
      python: true,
      fails: { "imprime-todo": "un-recv-cliente" },
    },
    {
      name: "cliente_no_termina.py",
      command: py("cliente_no_termina.py"),
      python: true,
      fails: { termina: "no-termina" },
    },
    {
      name: "cliente_no_termina.ts",
      command: ts("cliente_no_termina.ts"),
      fails: { termina: "no-termina" },
    },
  ],
  "cliente-udp": [
    { name: "leccion/udp_client.ts", command: kit("leccion/udp_client.ts", "PORT"), fails: {} },
    {
      name: "udp_client.ts",
      command: kit("udp_client.ts", "--port", "PORT", "hola"),
      fails: {},
    },
    {
      name: "tests/lesson_udp_client.py",
      command: lesson("lesson_udp_client.py", "127.0.0.1", "PORT"),
      python: true,
      fails: {},
    },
    {
      name: "udp_cliente_sin_plazo.py",
      command: py("udp_cliente_sin_plazo.py"),
      python: true,
      fails: { "udp-plazo": "espera-para-siempre" },
    },
    {
      name: "udp_cliente_sin_plazo.ts",
      command: ts("udp_cliente_sin_plazo.ts"),
      fails: { "udp-plazo": "espera-para-siempre" },
    },
  ],
};

for (const [kind, cases] of Object.entries(CLIENTS)) {
  for (const each of cases) {
    const wanted = Object.entries(each.fails).map(([check, why]) => `${check} (${why})`);
    Deno.test({
      name: `probar ${kind}: ${each.name}: ${
        wanted.length ? `fails ${wanted.join(", ")}` : "passes"
      }`,
      ignore: each.python && !PYTHON,
      fn: async () => {
        const port = kind === "cliente-udp" ? freeUdpPort() : freePort();
        const run = await probar([
          kind,
          "--port",
          `${port}`,
          "--json",
          "--",
          ...each.command(port),
        ]);
        const context = `${each.name}:\n${run.stdout}${run.stderr}`;
        assert.deepEqual(failures(run.lines), each.fails, context);
        assertSkipsExplained(run.lines);
        assert.equal(run.code, wanted.length ? 1 : 0, context);
      },
    });
  }
}

// ---------------------------------------------------------------------------------------------
// What a student reads, and what a program reads.

/** The text of a diagnosis up to its first "{" (the rest depends on what happened). */
const opening = (id: DiagnosisId, lang: "es" | "en") => DIAGNOSES[id][lang].split("{")[0];

Deno.test("probar eco: in Spanish, a failed check says what was sent, what came back, the cause and the fix", async () => {
  const server = await startServer(ts("eco_una_linea.ts")(0));
  try {
    const run = await probar(["eco", `127.0.0.1:${server.port}`, "--lang", "es"]);
    assert.equal(run.code, 1, run.stdout);
    const out = run.stdout;
    assert.match(out, /^probar eco 127\.0\.0\.1:\d+: 8 pruebas$/m);
    assert.match(out, /^\[ ok \] {2}eco {7}un mensaje corto vuelve igual$/m);
    assert.match(
      out,
      /^\[FALLA\] entero {4}un mensaje largo, o que llega en pedazos, vuelve entero$/m,
    );
    assert.match(out, /^ {8}mandé: {3}"entero \w+ largo 0123456789/m);
    assert.match(out, /^ {8}volvió: {2}nada, y el servidor cerró la conexión$/m);
    const cause = opening("solo-un-mensaje", "es").split(" ").slice(0, 8).join(" ");
    assert.ok(out.includes(`causa:   ${cause}`), out);
    assert.match(out, /^ {8}Python: {2}while True:$/m);
    assert.match(
      out,
      /^ {8}Deno: {4}while \(true\) \{$/m,
    );
    assert.match(out, /^ {8}lección: paso 8$/m);
    assert.match(out, /^\[ -- \] {2}bytes {5}no se probó: antes tiene que pasar entero$/m);
    assert.match(out, /^resultado: pasaron 4 de 8; la primera que falló: entero$/m);
    // Spanish: no English word of the output's frame.
    assert.doesNotMatch(out, /\b(sent|got|cause|lesson|result|checks)\b/);
  } finally {
    await server.stop();
  }
});

Deno.test("probar: the language follows the system (LANG), --lang overrides it, --json never changes", async () => {
  const server = await startServer(kit("leccion/server.ts", "0")(0));
  try {
    const address = `127.0.0.1:${server.port}`;
    const spanish = await probar(["eco", address], { LANG: "es_AR.UTF-8", LC_ALL: "es_AR.UTF-8" });
    const english = await probar(["eco", address], { LANG: "C", LC_ALL: "C" });
    const forced = await probar(["eco", address, "--lang", "es"], { LANG: "C", LC_ALL: "C" });
    if (spanish.stdout.includes("8 checks")) {
      console.log(
        "probar_test.ts: this system gives no Spanish locale to Deno (navigator.language)",
      );
    } else assert.match(spanish.stdout, /^resultado: pasaron las 8 pruebas$/m);
    assert.match(english.stdout, /^result: all 8 checks passed$/m);
    assert.match(forced.stdout, /^resultado: pasaron las 8 pruebas$/m);
    const es = await probar(["eco", address, "--json", "--lang", "es"]);
    const en = await probar(["eco", address, "--json", "--lang", "en"]);
    const shape = (run: Run) =>
      run.lines.map(({ check, ok, diagnosis }) => ({ check, ok, diagnosis }));
    assert.deepEqual(shape(es), shape(en));
    assert.equal(es.lines.length, 8);
    assert.ok(es.lines.every((line) => line.ok === true && typeof line.check === "string"));
    assert.equal(es.stdout.split("\n").filter(Boolean).length, 8, "--json: nothing but the lines");
  } finally {
    await server.stop();
  }
});

// ---------------------------------------------------------------------------------------------
// Exit codes and usage: 2, in one line, for bad usage or nothing listening.

Deno.test("probar: nothing listening at HOST:PORT is one line and exit 2 (eco, saludo, chat)", async () => {
  const port = freePort();
  for (const kind of ["eco", "saludo", "chat"]) {
    const run = await probar([kind, `127.0.0.1:${port}`, "--lang", "es"]);
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.equal(
      run.stderr,
      `probar: nada escucha en 127.0.0.1:${port}: ¿arrancaste tu servidor? ¿es ese el puerto?\n`,
    );
    const json = await probar([kind, `127.0.0.1:${port}`, "--json"]);
    assert.equal(json.code, 2);
    assert.deepEqual(json.lines.map(({ ok, diagnosis }) => ({ ok, diagnosis })), [
      { ok: false, diagnosis: "nada-refused" },
    ]);
  }
});

Deno.test("probar: bad usage is one line on stderr and exit 2; --help is exit 0", async () => {
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const cases: [string[], RegExp][] = [
      [[], /^probar: ¿qué probar\?/],
      [["ecco", "127.0.0.1:1"], /^probar: no conozco el tipo "ecco"/],
      [["eco"], /^probar: falta HOST:PUERTO/],
      [["eco", "127.0.0.1"], /^probar: "127\.0\.0\.1" no es HOST:PUERTO/],
      [["eco", "127.0.0.1:99999"], /^probar: "127\.0\.0\.1:99999" no es HOST:PUERTO/],
      [["eco", "127.0.0.1:1", "--plazo", "0"], /^probar: --plazo/],
      [
        ["eco", "127.0.0.1:1", "--lang", "fr"],
        /^probar: --lang (tiene que ser es o en|must be es or en)/,
      ],
      [["eco", "127.0.0.1:1", "--bogus"], /^probar: .*--bogus/],
      [["cliente-eco"], /^probar: falta el comando de tu cliente/],
      [["cliente-eco", "deno", "run", "--allow-net", "c.ts"], /^probar: poné -- antes del comando/],
      [["cliente-eco", "--port", "0", "--", "x"], /^probar: --port/],
      [
        ["eco", "--lista", "/nonexistent/clase.txt"],
        /^probar: no se puede leer \/nonexistent\/clase\.txt/,
      ],
      [
        ["cliente-eco", "--port", `${busy.addr.port}`, "--", "true"],
        new RegExp(`^probar: el puerto ${busy.addr.port} ya está en uso`),
      ],
      [
        ["cliente-eco", "--port", `${freePort()}`, "--", "no-such-command-for-probar"],
        /^probar: no se pudo ejecutar `no-such-command-for-probar`/,
      ],
    ];
    for (const [args, expected] of cases) {
      const run = await probar(args.includes("--lang") ? args : ["--lang", "es", ...args]);
      assert.equal(run.code, 2, `${args.join(" ")}: ${run.stdout}${run.stderr}`);
      assert.match(run.stderr, expected, args.join(" "));
      assert.equal(run.stderr.trimEnd().split("\n").length, 1, `${args.join(" ")}: ${run.stderr}`);
      assert.equal(run.stdout, "", args.join(" "));
    }
    const help = await probar(["--help", "--lang", "es"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^uso: deno task probar TIPO HOST:PUERTO/);
  } finally {
    busy.close();
  }
});

// ---------------------------------------------------------------------------------------------
// The teacher's side: --lista and --tabla.

Deno.test("probar eco --lista: one row per server, in the file's order; a server that does not answer is a row", async () => {
  const good = await startServer(kit("leccion/server.ts", "0")(0));
  const bad = await startServer(ts("eco_texto.ts")(0));
  const file = await Deno.makeTempFile({ suffix: ".txt" });
  try {
    const closed = freePort();
    await Deno.writeTextFile(
      file,
      `# 3er año B\nAna Pérez 127.0.0.1:${good.port}\n\nBo 127.0.0.1:${bad.port}  # el de Bo\n` +
        `127.0.0.1:${closed}\n`,
    );
    const run = await probar(["eco", "--lista", file, "--lang", "es"]);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    const rows = run.stdout.trimEnd().split("\n");
    assert.equal(rows[0], `probar eco: 3 servidores de ${file}, de a 4`);
    assert.match(rows[1], /^quién +dirección +pasaron +primera falla$/);
    assert.match(rows[2], new RegExp(`^Ana Pérez +127\\.0\\.0\\.1:${good.port} +8/8 +-$`));
    assert.match(
      rows[3],
      new RegExp(`^Bo +127\\.0\\.0\\.1:${bad.port} +7/8 +bytes \\(no-utf8\\)$`),
    );
    assert.match(rows[4], new RegExp(`^ +127\\.0\\.0\\.1:${closed} +0/8 +nada escucha$`));
    assert.equal(rows[5], "1 de 3 servidores pasaron todo");
    assert.equal(rows.length, 6);

    const json = await probar(["eco", "--lista", file, "--json"]);
    assert.equal(json.code, 1);
    const servers = new Set(json.lines.map((line) => line.server));
    assert.equal(servers.size, 3);
    assert.equal(json.lines.filter((line) => line.who === "Ana Pérez" && line.ok).length, 8);
    assert.deepEqual(
      json.lines.filter((line) => line.server === `127.0.0.1:${closed}`).map((l) => l.diagnosis),
      ["nada-refused"],
    );
  } finally {
    await Deno.remove(file);
    await good.stop();
    await bad.stop();
  }
});

Deno.test("probar --tabla: each kind's checks as a table (name, what is sent, what must come back, diagnoses)", async () => {
  for (
    const [kind, count] of [
      ["eco", 8],
      ["saludo", 2],
      ["udp", 3],
      ["chat", 3],
      ["cliente-saludo", 3],
      ["cliente-eco", 4],
      ["cliente-udp", 3],
    ] as const
  ) {
    const run = await probar([kind, "--tabla", "--lang", "es"]);
    assert.equal(run.code, 0, run.stderr);
    const rows = run.stdout.trimEnd().split("\n");
    assert.equal(
      rows[0],
      "| prueba | qué revisa | qué manda o hace | qué tiene que volver | diagnósticos |",
    );
    assert.equal(rows.length, 2 + count, run.stdout);
    for (const row of rows.slice(2)) {
      assert.match(
        row,
        /^\| `[\w-]+` \| [^|]+ \| [^|]+ \| [^|]+ \| `[\w-]+`(, `[\w-]+`)* \|$/,
        row,
      );
    }
  }
});

// ---------------------------------------------------------------------------------------------
// The exercises' starters (leccion/ejercicios/): each runs as given, from its own folder, and
// deno task probar names what the student has to fix first (what the exercises' README says).

const EXERCISES = fileURLToPath(new URL("../leccion/ejercicios/", import.meta.url));

Deno.test(
  "leccion/ejercicios: every Python starter is valid Python; saludo_servidor.py stops at its first TODO",
  {
    ignore: !PYTHON,
  },
  async () => {
    const files = [...Deno.readDirSync(EXERCISES)].map((e) => e.name).filter((n) =>
      n.endsWith(".py")
    );
    assert.equal(files.length, 8, files.join(" "));
    for (const file of files) {
      const { code, stderr } = await new Deno.Command(PYTHON![0], {
        args: [
          ...PYTHON!.slice(1),
          "-c",
          "import sys; compile(open(sys.argv[1], encoding='utf-8').read(), sys.argv[1], 'exec')",
          `${EXERCISES}${file}`,
        ],
        stdout: "null",
      }).output();
      assert.equal(code, 0, `${file}: ${new TextDecoder().decode(stderr)}`);
    }
    const { code, stderr } = await new Deno.Command(PYTHON![0], {
      args: [...PYTHON!.slice(1), "saludo_servidor.py", "0"],
      cwd: EXERCISES,
      stdin: "null",
      stdout: "null",
      signal: AbortSignal.timeout(20_000),
    }).output();
    assert.equal(code, 1);
    assert.match(new TextDecoder().decode(stderr), /s\.bind\(\.\.\.\) {2}# TODO paso 5/);
  },
);

/** What a starter server shows first: the first check that fails, and its diagnosis. */
const STARTER_SERVERS: [string, string, string, DiagnosisId][] = [
  ["saludo", "saludo_servidor.ts", "saludo", "saludo-nada"],
  ["eco", "eco_servidor.py", "entero", "un-solo-recv"],
  ["eco", "eco_servidor.ts", "entero", "un-solo-recv"],
  ["udp", "udp_servidor.py", "udp-grande", "datagrama-cortado"],
  ["udp", "udp_servidor.ts", "udp-grande", "datagrama-cortado"],
  ["chat", "chat_servidor.py", "chat-pedazos", "linea-partida"],
  ["chat", "chat_servidor.ts", "chat-pedazos", "linea-partida"],
];

for (const [kind, file, check, diagnosis] of STARTER_SERVERS) {
  Deno.test({
    name: `leccion/ejercicios/${file} runs, and probar ${kind} says first: ${check} (${diagnosis})`,
    ignore: file.endsWith(".py") && !PYTHON,
    fn: async () => {
      const command = file.endsWith(".py") ? [...PYTHON!, file, "0"] : [...DENO, file, "0"];
      const server = await startServer(command, EXERCISES);
      let run: Run;
      try {
        run = await probar([kind, `127.0.0.1:${server.port}`, "--json"]);
      } finally {
        await server.stop();
      }
      const first = run.lines.find((line) => !line.ok);
      assert.deepEqual([first?.check, first?.diagnosis], [check, diagnosis], run.stdout);
    },
  });
}

/** What a starter client shows first. */
const STARTER_CLIENTS: [string, string, string, DiagnosisId][] = [
  ["cliente-saludo", "saludo_cliente.py", "conecta", "termina-antes"],
  ["cliente-saludo", "saludo_cliente.ts", "imprime-todo", "un-recv-cliente"],
  ["cliente-eco", "eco_cliente.py", "imprime-todo", "un-recv-cliente"],
  ["cliente-eco", "eco_cliente.ts", "imprime-todo", "un-recv-cliente"],
  ["cliente-udp", "udp_cliente.py", "udp-plazo", "espera-para-siempre"],
];

for (const [kind, file, check, diagnosis] of STARTER_CLIENTS) {
  Deno.test({
    name: `leccion/ejercicios/${file} runs, and probar ${kind} says first: ${check} (${diagnosis})`,
    ignore: file.endsWith(".py") && !PYTHON,
    fn: async () => {
      const port = kind === "cliente-udp" ? freeUdpPort() : freePort();
      const command = file.endsWith(".py") ? [...PYTHON!, file] : [...DENO, file];
      // As a student types it in that folder: deno task gives the folder in INIT_CWD.
      const run = await probar(
        [kind, "--port", `${port}`, "--json", "--", ...command, `${port}`],
        { INIT_CWD: EXERCISES },
      );
      const first = run.lines.find((line) => !line.ok);
      assert.deepEqual(
        [first?.check, first?.diagnosis],
        [check, diagnosis],
        run.stdout + run.stderr,
      );
    },
  });
}

Deno.test("docs/probar.md shows every check as --tabla gives it, and names every diagnosis", async () => {
  const flat = (text: string) => text.replace(/[ \t]+/g, " ").replace(/-{3,}/g, "---");
  const doc = flat(await Deno.readTextFile(`${ROOT}docs/probar.md`));
  const kinds = ["saludo", "eco", "udp", "chat", "cliente-saludo", "cliente-eco", "cliente-udp"];
  for (const kind of kinds) {
    const run = await probar([kind, "--tabla", "--lang", "en"]);
    for (const row of run.stdout.trimEnd().split("\n")) {
      assert.ok(doc.includes(flat(row)), `docs/probar.md lacks ${kind}'s row: ${row}`);
    }
  }
  for (const id of Object.keys(DIAGNOSES)) {
    assert.ok(doc.includes(`- \`${id}\` (`), `docs/probar.md does not list ${id}`);
  }
});

Deno.test("probar: a server that never answers, or that floods, cannot hang it nor pass", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open: Deno.Conn[] = [];
  const floods: Promise<void>[] = [];
  const state = { mode: "silent" as "silent" | "flood" };
  const flood = async (conn: Deno.Conn) => {
    const junk = new Uint8Array(64 * 1024).fill(120);
    while (await conn.write(junk).then(() => true, () => false)) { /* until it is closed */ }
  };
  const accepting = (async () => {
    for await (const conn of listener) {
      open.push(conn);
      if (state.mode === "flood") floods.push(flood(conn));
    }
  })();
  try {
    const expected = {
      silent: { eco: "nada-vuelve", saludo: "saludo-nada", chat: "chat-no-llega" },
      flood: { eco: "otra-cosa", saludo: "saludo-no-cierra", chat: "chat-no-llega" },
    };
    for (const which of ["silent", "flood"] as const) {
      state.mode = which;
      for (const [kind, diagnosis] of Object.entries(expected[which])) {
        const run = await probar([kind, `127.0.0.1:${listener.addr.port}`, "--json"]);
        assert.equal(run.code, 1, `${which} ${kind}: ${run.stdout}${run.stderr}`);
        assert.deepEqual([run.lines[0].ok, run.lines[0].diagnosis], [false, diagnosis], which);
        assert.ok(run.lines.slice(1).every((line) => line.skipped), `${which} ${kind}`);
        for (const conn of open.splice(0)) conn.close();
      }
    }
  } finally {
    listener.close();
    for (const conn of open) conn.close();
    await accepting;
    await Promise.all(floods);
  }
});
