// Python for the tests: the lesson-style Python peers in tests/ (lesson_*.py), a Python client
// that resets, and snippets of the tests' own. Every test runs Python through python() here, which
// finds it as `python3`, `python` or `py -3` (Windows has no python3, and its `python` may be the
// Store's stand-in that prints an advertisement and exits 9009).
import { type Finished, listeningPort, ROOT } from "./process.ts";
import { within } from "./io.ts";

/** How to run Python 3 here (e.g. ["python3"] or ["py", "-3"]), or undefined if there is none. */
export const PYTHON: string[] | undefined = await findPython();

async function findPython(): Promise<string[] | undefined> {
  for (const command of [["python3"], ["python"], ["py", "-3"]]) {
    try {
      const { success, stdout } = await new Deno.Command(command[0], {
        args: [...command.slice(1), "-c", "import sys; print(sys.version_info[0])"],
        stdin: "null",
        stdout: "piped",
        stderr: "null",
        signal: AbortSignal.timeout(20_000),
      }).output();
      if (success && new TextDecoder().decode(stdout).trim() === "3") return command;
    } catch { /* not installed: the next one */ }
  }
  return undefined;
}

/** A Deno.Command that runs Python 3 with these arguments; fails saying so if there is none. */
export function python(args: string[], options: Omit<Deno.CommandOptions, "args"> = {}) {
  if (!PYTHON) {
    throw new Error("the tests need Python 3, as python3, python or py -3: none was found");
  }
  return new Deno.Command(PYTHON[0], { ...options, args: [...PYTHON.slice(1), ...args] });
}

/**
 * Run Python `code` (`python -c`) with `args` after it to its end, killed after 20 s: its exit
 * code and output.
 */
export async function pythonCode(code: string, args: string[]): Promise<Finished> {
  const { code: exit, signal, stdout, stderr } = await python(["-c", code, ...args], {
    stdin: "null",
    signal: AbortSignal.timeout(20_000),
  }).output();
  const decoder = new TextDecoder();
  return { code: exit, signal, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

/** Run one of the Python scripts in tests/ to its end (killed after 20 s). */
export async function runPython(script: string, args: string[]): Promise<Finished> {
  const { code, signal, stdout, stderr } = await python([`${ROOT}tests/${script}`, ...args], {
    stdin: "null",
    signal: AbortSignal.timeout(20_000),
  }).output();
  const decoder = new TextDecoder();
  return { code, signal, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

/** Start one of the lesson-style Python servers in tests/ and read its "listening on" line. */
export async function startPythonServer(script: string, args: string[]) {
  const child = python([`${ROOT}tests/${script}`, ...args], {
    stdin: "null",
    stdout: "piped",
    signal: AbortSignal.timeout(20_000),
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const first = (await within(lines.read(), 15_000, `${script} printed nothing`).catch(() => ({
    value: "",
  }))).value ?? "";
  return {
    first,
    port: `${listeningPort(first) ?? ""}`,
    /** Stop reading its output and wait for it to end. */
    finish: async () => {
      await lines.cancel();
      return await child.status;
    },
  };
}

/**
 * A client that ends with a reset, every time (tests/reset_client.py): it connects, reads the
 * greeting line, sends `lines` lines, waits until some echo has arrived unread, then closes with
 * SO_LINGER 0, which sends RST instead of FIN. Prints "reset" and exits 0 once done.
 */
export function resetClient(port: number, lines = 100, host = "127.0.0.1"): Promise<Finished> {
  return runPython("reset_client.py", [host, `${port}`, `${lines}`]);
}
