// The teaching layer: --explain traces the lesson's steps as they happen.
import assert from "node:assert/strict";
import { run, startServer } from "./helpers/process.ts";
import { testNeeding } from "./helpers/needs.ts";

Deno.test("--explain: the server and client.ts print the lesson's steps as they happen", async () => {
  const server = await startServer(["--explain"]);
  try {
    const client = await run([
      "run",
      "--allow-net",
      "client.ts",
      "--port",
      `${server.port}`,
      "--explain",
      "hola",
    ]);
    assert.equal(client.code, 0, client.stderr);
    assert.equal(client.stdout, "welcome: every line you send comes back to you\nhola\n"); // trace is on stderr
    const steps = client.stderr.split("\n").filter((line) => line).map((line) =>
      line.match(/^\[([^\]]+)\]/)?.[1]
    );
    assert.deepEqual(steps.slice(0, 2), ["steps 3-4", "step 5"]);
    assert.equal(steps.at(-1), "step 6");
    assert.match(
      client.stderr,
      /\[step 5\] python: s\.sendall\(data\) {2}deno: conn\.write\(\) until all is sent -> 5 bytes/,
    );
    assert.match(
      client.stderr,
      /\[step 5\] python: s\.shutdown\(socket\.SHUT_WR\) {2}deno: conn\.closeWrite\(\)/,
    );
  } finally {
    const finished = await server.stop();
    const lines = finished.stdout.split("\n");
    assert.match(lines[0], /^listening on 127\.0\.0\.1:\d+$/);
    assert.match(
      lines[1],
      /^\[steps 4-6\] python: s = socket\.socket\(\); s\.bind\(\("127\.0\.0\.1", 0\)\); s\.listen\(511\)/,
    );
    assert.match(
      finished.stdout,
      /\[step 7\] python: conn, addr = s\.accept\(\) {2}deno: await listener\.accept\(\) -> 127\.0\.0\.1:\d+ \(#1\)\n/,
    );
    assert.match(finished.stdout, /\[step 8 #1\] python: conn\.sendall\(data\) .* -> 5 bytes/);
    assert.match(finished.stdout, /\[step 9 #1\] python: conn\.close\(\)/);
  }
});

testNeeding(["signals"], "without --explain there is no trace", async () => {
  const server = await startServer();
  try {
    const client = await run([
      "run",
      "--allow-net",
      "client.ts",
      "--port",
      `${server.port}`,
      "hola",
    ]);
    assert.equal(client.code, 0, client.stderr);
    assert.equal(client.stderr, "");
  } finally {
    const finished = await server.stop();
    // No trace line of any kind ([step N], [recv], ...): only the server's own log.
    assert.doesNotMatch(finished.stdout, /^\[/m);
    assert.match(finished.stdout, /^closed 127\.0\.0\.1:\d+: 1 line, 5 bytes$/m);
  }
});

Deno.test("deno task demo shows both pairs, labelled, and leaves nothing running", async () => {
  const demo = await run(["task", "demo"], { timeoutMs: 60_000 });
  assert.equal(demo.code, 0, demo.stdout + demo.stderr);
  assert.match(demo.stdout, /^server \| listening on 127\.0\.0\.1:\d+$/m);
  assert.match(demo.stdout, /^client \| \[steps 3-4\] python: s = socket\.socket\(\); s\.connect/m);
  assert.match(demo.stdout, /^client \| qué tal$/m);
  assert.match(demo.stdout, /^server \| \[step 9 #1\] python: conn\.close\(\)/m);
  assert.match(
    demo.stdout,
    /\(client exited with 0, server with 0\)\n[^]*\(client exited with 0, server with 0\)/,
  );
  // The UDP half: both ends trace their steps, and the client prints every reply.
  const udp = demo.stdout.slice(demo.stdout.indexOf("=== UDP"));
  assert.match(udp, /^server \| listening on 127\.0\.0\.1:\d+$/m);
  assert.match(udp, /^server \| \[step 7\] python: data, addr = recvfrom\(65507\)$/m);
  assert.match(udp, /^server \| \[step 8\] python: sendto\(data, addr\)$/m);
  assert.match(udp, /^client \| \[step 5\] python: sendto\(data, addr\)$/m);
  assert.match(udp, /^client \| \[step 6\] python: close\(\)/m);
  for (const message of ["uno", "dos", "tres"]) {
    assert.match(
      udp,
      new RegExp(`^client \\| ${message} {2}\\(reply in \\d+\\.\\d ms, \\d+ tr`, "m"),
    );
  }
  // The servers it started are gone: their ports no longer answer.
  const tcpPort = Number(demo.stdout.match(/^server \| listening on 127\.0\.0\.1:(\d+)$/m)![1]);
  await assert.rejects(
    Deno.connect({ hostname: "127.0.0.1", port: tcpPort }),
    Deno.errors.ConnectionRefused,
  );
});
