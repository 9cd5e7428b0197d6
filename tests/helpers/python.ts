// The lesson-style Python peers in tests/ (lesson_*.py), and a Python client that resets.
import { type Finished, listeningPort, ROOT } from "./process.ts";
import { within } from "./io.ts";

/** Run one of the Python scripts in tests/ to its end (killed after 20 s). */
export async function runPython(script: string, args: string[]): Promise<Finished> {
  const { code, signal, stdout, stderr } = await new Deno.Command("python3", {
    args: [`${ROOT}tests/${script}`, ...args],
    signal: AbortSignal.timeout(20_000),
  }).output();
  const decoder = new TextDecoder();
  return { code, signal, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

/** Start one of the lesson-style Python servers in tests/ and read its "listening on" line. */
export async function startPythonServer(script: string, args: string[]) {
  const child = new Deno.Command("python3", {
    args: [`${ROOT}tests/${script}`, ...args],
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
