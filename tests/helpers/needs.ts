// What a test needs that some systems lack (Windows has no sh, no SIGSTOP, no signal a process
// can catch but Ctrl-C at its console; only Linux has /proc and ss), and Deno.test for a test that
// needs them: where something is missing, the test is ignored, and its name says why.
import { PYTHON } from "./python.ts";

export type Need =
  | "python" // Python 3, for the lesson's Python peers and raw sockets
  | "sh" // a POSIX shell: ulimit, redirections, exec
  | "signals" // SIGINT and SIGTERM sent to a process, which catches them and exits 0
  | "sigstop" // SIGSTOP and SIGCONT, to hold a server still
  | "proc" // Linux's /proc: a process's memory, descriptors, caught signals
  | "ss" // Linux's ss (iproute2): the sockets' queues and states
  | "terminal"; // script(1) from util-linux, to give a client a terminal

const os = Deno.build.os;
const windows = os === "windows", linux = os === "linux";

async function runs(command: string, args: string[]): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(command, {
      args,
      stdin: "null",
      stdout: "null",
      stderr: "null",
      signal: AbortSignal.timeout(10_000),
    }).output();
    return success;
  } catch {
    return false; // not installed
  }
}

const REASONS: Record<Need, string> = {
  python: PYTHON ? "" : "needs Python 3 (python3, python or py -3): none found",
  sh: windows ? "needs sh, which Windows lacks" : "",
  signals: windows ? "needs SIGINT/SIGTERM sent to a process, which Windows cannot do" : "",
  sigstop: windows ? "needs SIGSTOP, which Windows lacks" : "",
  proc: linux ? "" : `needs Linux's /proc (this is ${os})`,
  ss: !linux
    ? `needs Linux's ss (this is ${os})`
    : await runs("ss", ["-V"])
    ? ""
    : "needs ss (apt-get install iproute2)",
  terminal: !linux
    ? `needs script(1) from util-linux (this is ${os})`
    : await runs("script", ["--version"])
    ? ""
    : "needs script (apt-get install util-linux)",
};

/** Why this system cannot give a test what it needs ("" if it can): the reasons, joined. */
export function lacking(...needs: Need[]): string {
  return [...new Set(needs.map((need) => REASONS[need]).filter(Boolean))].join("; ");
}

/** Deno.test, ignored where the system lacks what the test needs, with the reason in its name. */
export function testNeeding(
  needs: Need[],
  name: string,
  fn: () => void | Promise<void>,
  options: Omit<Deno.TestDefinition, "name" | "fn" | "ignore"> = {},
) {
  const why = lacking(...needs);
  Deno.test({ ...options, name: why ? `${name} (IGNORED: ${why})` : name, ignore: why !== "", fn });
}
