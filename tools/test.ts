// deno task test: run the tests with the flags this Deno understands, and never for ever.
//
// The test command used to be one task line, which did not work on every Deno 2 (docs/tests.md,
// "Time limits"): the task shells of Deno 2.0-2.6 read `[::1]` as a glob, and `--sanitize-ops`
// exists only from Deno 2.8, where the sanitizers became opt-in (before, they were always on).
// Here the flags are a list, chosen by version, and the whole run has a time limit.
//
// Arguments go to `deno test`: `deno task test tests/tcp_test.ts`, `deno task test --filter chat`.
// With no file or folder among them, the whole tests/ folder runs.
// TEST_TIME_LIMIT_S (default 900) bounds the whole run: past it, the run is killed and exits 1.

const ROOT = new URL("..", import.meta.url).pathname;
const [major, minor] = Deno.version.deno.split(".").map(Number);
const optInSanitizers = major > 2 || (major === 2 && minor >= 8);
// The tests type-check from Deno 2.3 (its types know Deno.connect's `signal`); before, run unchecked.
const checks = major > 2 || (major === 2 && minor >= 3);
if (!checks) {
  console.error(`tools/test.ts: Deno ${Deno.version.deno} cannot type-check the tests: --no-check`);
}

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
  ...Deno.args,
  ...(Deno.args.some((arg) => !arg.startsWith("-")) ? [] : ["tests/"]),
];

const limitS = Number(Deno.env.get("TEST_TIME_LIMIT_S") ?? 900);
const child = new Deno.Command(Deno.execPath(), { args, cwd: ROOT }).spawn();
let timedOut = false;
const timer = setTimeout(() => {
  timedOut = true;
  console.error(`tools/test.ts: the tests ran past their limit of ${limitS} s: stopped`);
  child.kill("SIGKILL");
}, limitS * 1000);
// Ctrl-C reaches the terminal's whole process group, deno test included: wait for it to end.
Deno.addSignalListener("SIGINT", () => {});
const status = await child.status;
clearTimeout(timer);
Deno.exit(timedOut ? 1 : status.code);
