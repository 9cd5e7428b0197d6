// The two TCP servers' line readers, as a client sees them: memory given back when no unfinished
// line is kept, and a member whose line timed out while it kept sending still gets its error line.
import assert from "node:assert/strict";
import { encode, readLine, waitUntil, writeAll } from "./helpers/io.ts";
import { startChat, startServer } from "./helpers/process.ts";
import { python } from "./helpers/python.ts";
import { testNeeding } from "./helpers/needs.ts";

const connect = (port: number) => Deno.connect({ hostname: "127.0.0.1", port });

/** Wait (10 s at most) until the server's output matches; the match, or a failure. */
async function printed(server: { stdout(): string }, pattern: RegExp): Promise<RegExpMatchArray> {
  await waitUntil(() => pattern.test(server.stdout()), `the server to print ${pattern}`, 10_000);
  return server.stdout().match(pattern)!;
}

// A read that fills the buffer exactly with whole lines: the next read, once the client waits,
// must be at the small size again (a buffer kept grown while idle counts against the 64 MiB that
// all unfinished lines share, and enough idle clients would make the server refuse a long line).
for (
  const { script, start, first } of [
    { script: "server.ts", start: startServer, first: 256 },
    { script: "chat_server.ts", start: startChat, first: 1024 },
  ]
) {
  Deno.test(`${script}: after whole lines that filled its buffer, an idle client holds no more`, async () => {
    const server = await start(["--explain"]);
    const conn = await connect(server.port);
    try {
      await readLine(conn); // the greeting, or the welcome
      await writeAll(conn, encode(`${"x".repeat(first - 1)}\n`)); // exactly the first buffer
      await printed(
        server,
        new RegExp(String.raw`\[recv #1\] python: conn\.recv\(${first}\).*-> ${first}$`, "m"),
      );
      await writeAll(conn, encode("y\n"));
      const [, size] = await printed(server, /\[recv #1\] python: conn\.recv\((\d+)\).*-> 2$/m);
      assert.equal(Number(size), first, server.stdout());
    } finally {
      conn.close();
      await server.stop();
    }
  });
}

// A client whose unfinished line timed out, and which still sends: the server takes what it sends
// after the error line, until it is done (or 2 s), before closing. Closing with unread bytes would
// reset the connection, and a client that had not read everything yet would lose it all, the
// error line too.
const TRICKLER = `
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(10)
s.sendall(b"/name Trickle\\npartial")
got = b""
while b"error: " not in got:
    data = s.recv(65536)
    if not data:
        break
    got += data
try:
    for _ in range(5):  # still sending, a byte every 100 ms, after the error line
        time.sleep(0.1)
        s.sendall(b"y")
    s.shutdown(socket.SHUT_WR)
    while s.recv(65536):
        pass
    got += b"<EOF>"
except OSError as error:
    got += b"<" + type(error).__name__.encode() + b">"
sys.stdout.write(got.decode(errors="replace"))
`;

for (
  const { script, start } of [
    { script: "server.ts", start: startServer },
    { script: "chat_server.ts", start: startChat },
  ]
) {
  testNeeding(
    ["python"],
    `${script}: a client whose line timed out and that still sends gets its error line, then the end`,
    async () => {
      const server = await start(["--line-timeout", "1"]);
      try {
        const out = await python(["-c", TRICKLER, `${server.port}`], {
          stdout: "piped",
          stderr: "piped",
          signal: AbortSignal.timeout(30_000),
        }).output();
        const said = new TextDecoder().decode(out.stdout);
        const end = /\nerror: line unfinished for 1 s \(--line-timeout\), closing\n<EOF>$/;
        assert.match(said, end, said);
      } finally {
        await server.stop();
      }
    },
  );
}
