// /proc sampling for the tests and the stress scenarios: a process's memory and descriptors.
import { shell } from "./process.ts";

/** A process's resident memory (VmRSS), in KiB; 0 once it has exited. */
export async function rssKiB(pid: number): Promise<number> {
  return Number((await shell(`grep VmRSS /proc/${pid}/status`)).match(/(\d+) kB/)?.[1] ?? 0);
}

/** How many file descriptors a process holds open. */
export async function openFiles(pid: number): Promise<number> {
  return Number((await shell(`ls /proc/${pid}/fd | wc -l`)).trim());
}

/**
 * Sample a process's VmRSS every `everyMs` until stop(), through one `sh` loop (cheap, and it ends
 * by itself when the process does). peak() is the largest sample so far, in KiB.
 */
export function sampleRss(pid: number, everyMs = 50) {
  const child = new Deno.Command("sh", {
    args: ["-c", `while grep VmRSS /proc/${pid}/status; do sleep ${everyMs / 1000}; done`],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  let peak = 0, last = 0, pending = "";
  const done = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stdout) {
      pending += decoder.decode(chunk, { stream: true });
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) {
        const kib = Number(line.match(/(\d+) kB/)?.[1] ?? 0);
        last = kib;
        peak = Math.max(peak, kib);
      }
    }
  })();
  let stopped = false;
  return {
    peak: () => peak,
    last: () => last,
    async stop(): Promise<number> {
      if (!stopped) {
        stopped = true;
        try {
          child.kill("SIGKILL");
        } catch { /* it has already ended with the process it watched */ }
      }
      await child.status;
      await done;
      return peak;
    },
  };
}
