// A quick check that the benchmark harness (deno task bench) still works: one run with tiny counts,
// the C ceiling and the kit's two servers only. It measures nothing; `deno task bench` does.
import assert from "node:assert/strict";
import { ROOT } from "./helpers/process.ts";

// The harness compiles C with cc and pins processes with taskset; without them (not Linux, say) skip.
const haveTools = Deno.build.os === "linux" &&
  new Deno.Command("sh", {
    args: ["-c", "command -v cc && command -v taskset"],
    stdout: "null",
    stderr: "null",
  })
    .outputSync().success;

Deno.test({
  name: "deno task bench --smoke: every measure gives a figure for C, server.ts and udp_server.ts",
  ignore: !haveTools,
  async fn() {
    const out = await Deno.makeTempDir({ prefix: "bench-smoke-" });
    try {
      const run = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-run",
          "--allow-read",
          "--allow-write",
          "--allow-env",
          "--allow-sys",
          "bench/bench.ts",
          "--smoke",
          "--servers",
          "c,deno,c-udp,deno-udp",
          "--out",
          out,
        ],
        cwd: ROOT,
        env: { NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(90_000),
      }).output();
      const said = new TextDecoder().decode(run.stdout) + new TextDecoder().decode(run.stderr);
      assert.equal(run.code, 0, said);
      const results = JSON.parse(await Deno.readTextFile(`${out}/latest.json`));
      const expected: Record<string, string[]> = {
        bulk: ["c", "deno"],
        pp1: ["c", "deno"],
        pp100: ["c", "deno"],
        connrate: ["c", "deno"],
        idle: ["c", "deno"],
        udp1: ["c-udp", "deno-udp"],
        udp8: ["c-udp", "deno-udp"],
        startup: ["c", "deno", "c-udp", "deno-udp"],
      };
      // Every cell ran without an error and measured something: a server that never replies (a
      // figure of 0 datagrams/s or requests/s) fails here.
      for (const [measure, servers] of Object.entries(expected)) {
        for (const server of servers) {
          const [sample] = results.samples[measure][server];
          const what = `${measure} ${server}: ${JSON.stringify(sample)}\n${said}`;
          assert.equal(sample.error, undefined, what);
          assert.ok(sample.value > 0, what);
        }
      }
      assert.match(await Deno.readTextFile(`${out}/latest.md`), /## Targets/);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});
