// Ctrl-C on a server started with `deno task`. A terminal sends SIGINT to its whole foreground
// process group: the task runner and the server it started both get it, and the runner (Deno 2.2
// and later) passes it on to the server, which so gets two. docs/flags.md, "Ctrl-C through deno task", says what a
// student sees. Each try runs the task in a session of its own (setsid), on a free port (the task
// line from deno.json with its port 21042 made 0, in a temporary folder with copies of the
// scripts, which stand alone), and sends SIGINT to the group as a terminal would.
import assert from "node:assert/strict";
import { ROOT } from "./helpers/process.ts";

const [major, minor] = Deno.version.deno.split(".").map(Number);
/** Deno 2.0.6's task runner does not pass SIGINT on to its child (measured; 2.2.15 does). */
const forwards = major > 2 || minor >= 2;
const TRIES = 10;
/** Why these tests cannot run here ("" if they can): they need setsid (util-linux) and signals. */
async function whyNot(): Promise<string> {
  if (Deno.build.os === "windows") return "needs process groups and SIGINT, which Windows lacks";
  try {
    const out = await new Deno.Command("setsid", { args: ["--version"], stdout: "null" }).output();
    return out.success ? "" : "needs setsid (util-linux)";
  } catch {
    return "needs setsid (util-linux)"; // not installed
  }
}
const why = await whyNot();
const ignored = why ? ` (IGNORED: ${why})` : "";

/** A folder with the scripts and deno.json's server tasks, each on port 0 instead of 21042. */
async function taskFolder(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "task_signal_" });
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  const tasks: Record<string, string> = {};
  for (const name of ["server", "udp-server"]) {
    tasks[name] = config.tasks[name].replaceAll(":21042", ":0"); // udp-server allows any port
  }
  await Deno.writeTextFile(
    `${dir}/deno.json`,
    JSON.stringify({ unstable: ["net"], lock: false, tasks }),
  );
  for (const script of ["server.ts", "udp_server.ts"]) {
    await Deno.copyFile(`${ROOT}${script}`, `${dir}/${script}`);
  }
  return dir;
}

interface Ending {
  code: number;
  signal: Deno.Signal | null;
  /** Milliseconds from SIGINT to the task's exit. */
  ms: number;
  /** What the task and the server wrote on stderr, without the runner's "Task ..." line. */
  stderr: string;
  /** True if anything of the group was still running after the task had exited. */
  leftover: boolean;
}

/** Start `deno task ARGS --port 0` in its own session, wait for "listening on", send SIGINT. */
async function ctrlC(dir: string, args: string[], to: "group" | "runner"): Promise<Ending> {
  // setsid is not a group leader's child here, so it execs: the child's pid is the task runner's,
  // and the id of the new process group that holds the runner and the server.
  const child = new Deno.Command("setsid", {
    args: [Deno.execPath(), "task", ...args, "--port", "0"],
    cwd: dir,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const group = child.pid;
  let stdout = "", stderr = "";
  const reading = Promise.all([
    (async () => {
      for await (const text of child.stdout.pipeThrough(new TextDecoderStream())) stdout += text;
    })(),
    (async () => {
      for await (const text of child.stderr.pipeThrough(new TextDecoderStream())) stderr += text;
    })(),
  ]);
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  const killGroup = (signal: Deno.Signal) => {
    try {
      Deno.kill(-group, signal);
    } catch { /* the group is empty */ }
  };
  try {
    const deadline = Date.now() + 15_000;
    while (!/^listening on /m.test(stdout)) {
      if (exited || Date.now() > deadline) throw new Error(`no "listening on": ${stdout}${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 20)); // a look every 20 ms
    }
    await new Promise((resolve) => setTimeout(resolve, 200)); // on purpose: no hand is faster
    const sent = performance.now();
    Deno.kill(to === "group" ? -group : group, "SIGINT");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ended = await Promise.race([
      status,
      new Promise<undefined>((resolve) => timer = setTimeout(() => resolve(undefined), 5000)),
    ]);
    clearTimeout(timer);
    if (ended === undefined) throw new Error(`still running 5 s after SIGINT to the ${to}`);
    const ms = performance.now() - sent;
    // Anything of the group still there 2 s later (a server the runner did not stop) takes a
    // harmless SIGCONT; an empty group throws. (Deno 2.0.6's runner may end a moment before its
    // server does.)
    let leftover = true;
    for (let waited = 0; leftover && waited <= 2000; waited += 100) {
      try {
        Deno.kill(-group, "SIGCONT");
        await new Promise((resolve) => setTimeout(resolve, 100));
      } catch {
        leftover = false;
      }
    }
    await reading;
    stderr = stderr.replace(/^Task .*\n/m, "");
    return { code: ended.code, signal: ended.signal, ms, stderr, leftover };
  } finally {
    killGroup("SIGKILL");
    await status;
    await reading.catch(() => {});
  }
}

for (const task of [["server"], ["udp-server", "--explain"]]) {
  Deno.test({
    name: `Ctrl-C on deno task ${task.join(" ")} (SIGINT to its process group, ${TRIES} tries): ` +
      `it stops within 5 s, nothing left running, exit 0 (docs/flags.md)${ignored}`,
    ignore: why !== "",
    fn: async () => {
      const dir = await taskFolder();
      try {
        const codes: number[] = [];
        for (let i = 0; i < TRIES; i++) {
          const ending = await ctrlC(dir, task, "group");
          assert.equal(ending.code, 0, JSON.stringify(ending));
          assert.equal(ending.leftover, false, "the server outlived its task");
          assert.equal(ending.stderr, "", "nothing on stderr");
          codes.push(ending.code);
        }
        const by130 = codes.filter((code) => code === 130).length;
        console.log(`deno task ${task.join(" ")}: exit 130 in ${by130} of ${TRIES}, else 0`);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

Deno.test({
  name:
    `SIGINT to the task runner alone (${TRIES} tries): it passes one SIGINT on, exit 0 every time${
      ignored || (forwards ? "" : ` (IGNORED: Deno ${Deno.version.deno}'s task runner passes none)`)
    }`,
  ignore: why !== "" || !forwards,
  fn: async () => {
    const dir = await taskFolder();
    try {
      for (let i = 0; i < TRIES; i++) {
        const ending = await ctrlC(dir, ["udp-server", "--explain"], "runner");
        assert.equal(ending.code, 0, JSON.stringify(ending));
        assert.equal(ending.leftover, false, "the server outlived its task");
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
