// The whole lesson in one terminal: `deno task demo`.
//
// Starts server.ts on a free port with --explain, runs client.ts against it, then does the same for
// the UDP pair with some datagrams dropped on purpose. Every line either side prints is shown as it
// arrives, labelled with who printed it. Everything it starts is stopped before it exits.

import { listeningPort } from "../tests/helpers/process.ts";

const ROOT = new URL("..", import.meta.url).pathname;

/** Print a stream line by line, each line after a label, as the lines arrive. */
async function show(
  label: string,
  stream: ReadableStream<Uint8Array>,
  onLine?: (line: string) => void,
) {
  let pending = "";
  for await (const text of stream.pipeThrough(new TextDecoderStream())) {
    pending += text;
    let end;
    while ((end = pending.indexOf("\n")) !== -1) {
      const line = pending.slice(0, end);
      pending = pending.slice(end + 1);
      console.log(`${label} | ${line}`);
      onLine?.(line);
    }
  }
  if (pending) console.log(`${label} | ${pending}`);
}

function start(label: string, args: string[], onLine?: (line: string) => void) {
  const shown = args.map((arg) => arg.includes(" ") ? `"${arg}"` : arg);
  console.log(`${label} $ deno ${shown.join(" ")}`);
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = Promise.all([show(label, child.stdout, onLine), show(label, child.stderr)]);
  return { child, done: output.then(() => child.status) };
}

/** Start a server on a free loopback port and wait (15 s at most) for its "listening on" line. */
async function startServer(label: string, args: string[]) {
  let port = "";
  let exited = false;
  const server = start(
    label,
    args,
    (line) => port ||= `${listeningPort(line) ?? ""}`,
  );
  server.done.then(() => exited = true);
  for (let waited = 0; port === "" && !exited && waited < 15_000; waited += 50) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (port === "") {
    if (!exited) server.child.kill();
    await server.done;
    throw new Error(`${label} did not start`);
  }
  return { ...server, port };
}

async function pair(
  title: string,
  serverArgs: string[],
  clientArgs: (port: string) => string[],
): Promise<boolean> {
  console.log(`\n=== ${title} ===\n`);
  let server;
  try {
    server = await startServer("server", serverArgs);
  } catch (error) {
    console.log((error as Error).message);
    return false;
  }
  const client = start("client", clientArgs(server.port));
  const clientStatus = await client.done;
  server.child.kill("SIGINT"); // Ctrl-C
  const serverStatus = await server.done;
  console.log(`(client exited with ${clientStatus.code}, server with ${serverStatus.code})`);
  return clientStatus.code === 0 && serverStatus.code === 0;
}

const tcpOk = await pair(
  "TCP: server.ts and client.ts, each step of the lesson traced with --explain",
  ["run", "--allow-net", "server.ts", "--host", "127.0.0.1", "--port", "0", "--explain"],
  (port) => ["run", "--allow-net", "client.ts", "--port", port, "--explain", "hola", "qué tal"],
);
const udpOk = await pair(
  "UDP: udp_server.ts drops 40% of datagrams on purpose; udp_client.ts waits, then sends again",
  [
    "run",
    "--allow-net",
    "udp_server.ts",
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--drop",
    "0.4",
    "--seed",
    "7",
    "--explain",
  ],
  (port) => [
    "run",
    "--allow-net",
    "udp_client.ts",
    "--port",
    port,
    "--timeout",
    "300",
    "--retries",
    "5",
    "--explain",
    "uno",
    "dos",
    "tres",
  ],
);
console.log(
  tcpOk && udpOk ? "\ndemo finished: nothing is left running" : "\ndemo failed: see above",
);
Deno.exit(tcpOk && udpOk ? 0 : 1);
