// deno task test: run the tests with the flags this Deno understands, and never for ever.
//
// The test command used to be one task line, which did not work on every Deno 2 (docs/tests.md,
// "Time limits"): the task shells of Deno 2.0-2.6 read `[::1]` as a glob, and `--sanitize-ops`
// exists only from Deno 2.8, where the sanitizers became opt-in (before, they were always on).
// Here the flags are a list, chosen by version, and the whole run has a time limit.
//
// Arguments go to `deno test`: `deno task test tests/tcp_test.ts`, `deno task test --filter chat`.
// With no file or folder among them, the whole tests/ folder runs.
// --busy (taken here, not passed on): one core is kept busy by a spinning process for the whole
// run, as on a slow or shared machine: the tests wait for events, never for "enough time".
// TEST_TIME_LIMIT_S (default 1800) bounds the whole run: past it, the run is killed and exits 1.
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const [major, minor] = Deno.version.deno.split(".").map(Number);
const optInSanitizers = major > 2 || (major === 2 && minor >= 8);
// The tests type-check from Deno 2.3 (its types know Deno.connect's `signal`); before, run unchecked.
const checks = major > 2 || (major === 2 && minor >= 3);
if (!checks) {
  console.error(`tools/test.ts: Deno ${Deno.version.deno} cannot type-check the tests: --no-check`);
}

const busy = Deno.args.includes("--busy");
const passed = Deno.args.filter((arg) => arg !== "--busy");
const args = [
  "test",
  "--allow-run",
  "--allow-net=127.0.0.1,[::1]", // the tests reach loopback only
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys=hostname",
  ...(optInSanitizers ? ["--sanitize-ops", "--sanitize-resources"] : []),
  ...(checks ? [] : ["--no-check"]),
  ...passed,
  ...(passed.some((arg) => !arg.startsWith("-")) ? [] : ["tests/"]),
];

const limitS = Number(Deno.env.get("TEST_TIME_LIMIT_S") ?? 1800);
const spinner = busy ? spin(limitS + 30) : undefined;
const child = new Deno.Command(Deno.execPath(), { args, cwd: ROOT }).spawn();
let timedOut = false;
const timer = setTimeout(() => {
  timedOut = true;
  console.error(`tools/test.ts: the tests ran past their limit of ${limitS} s: stopped`);
  child.kill("SIGKILL");
}, limitS * 1000);
// Ctrl-C reaches the terminal's whole process group, deno test included: wait for it to end.
Deno.addSignalListener("SIGINT", () => spinner?.stop());
const status = await child.status;
clearTimeout(timer);
await spinner?.stop();
Deno.exit(timedOut ? 1 : status.code);

/**
 * A process that keeps one core busy until stop(), and never longer than `limitS` seconds. It also
 * ends by itself if this process dies without stopping it (a SIGKILL): its standard input, a pipe
 * from here, then reads its end.
 */
function spin(limitS: number) {
  const code = `
let parentGone = false;
(async () => {
  const buffer = new Uint8Array(16);
  while (await Deno.stdin.read(buffer) !== null);
  parentGone = true;
})().catch(() => parentGone = true);
const end = Date.now() + ${limitS * 1000};
while (!parentGone && Date.now() < end) {
  const slice = Date.now() + 50;
  while (Date.now() < slice); // spin
  await new Promise((resolve) => setTimeout(resolve, 0)); // let the read above see an end
}`;
  const spinning = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-config", code],
    stdin: "piped",
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  const writer = spinning.stdin.getWriter();
  console.error(`tools/test.ts: --busy: process ${spinning.pid} keeps one core busy for the run`);
  let stopping: Promise<void> | undefined;
  return {
    stop: () =>
      stopping ??= (async () => {
        try {
          spinning.kill("SIGKILL");
        } catch { /* it has ended already */ }
        await writer.close().catch(() => {});
        await spinning.status;
      })(),
  };
}
