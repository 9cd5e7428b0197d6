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

export interface TcpSocket {
  state: string; // as ss names it: ESTAB, CLOSE-WAIT, FIN-WAIT-2, LISTEN...
  recvQ: number; // bytes received and not yet read by the process
  sendQ: number; // bytes written by the process and not yet taken by the peer
  localPort: number;
  peerPort: number;
}

/** This machine's TCP sockets with `port` at either end, from `ss` (iproute2). */
export async function tcpSockets(port: number): Promise<TcpSocket[]> {
  const { success, stdout, stderr } = await new Deno.Command("ss", {
    args: ["-tanH", `( sport = :${port} or dport = :${port} )`],
    stdin: "null",
    signal: AbortSignal.timeout(20_000),
  }).output();
  if (!success) throw new Error(`ss failed: ${new TextDecoder().decode(stderr)}`);
  const portOf = (address: string) => Number(address.slice(address.lastIndexOf(":") + 1));
  return new TextDecoder().decode(stdout).split("\n").filter((line) => line.trim()).map((line) => {
    const [state, recvQ, sendQ, local, peer] = line.trim().split(/\s+/);
    return {
      state,
      recvQ: Number(recvQ),
      sendQ: Number(sendQ),
      localPort: portOf(local),
      peerPort: portOf(peer),
    };
  });
}

/**
 * Wait until the server on `port` has read every byte its clients sent (none queued on the way to
 * it, as ss shows the sockets' queues); fails after `timeoutMs`.
 */
export async function allRead(port: number, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const sockets = (await tcpSockets(port)).filter((socket) => socket.state === "ESTAB");
    const inbound = sockets.filter((socket) => socket.localPort === port);
    const outbound = sockets.filter((socket) => socket.peerPort === port);
    if (inbound.every((s) => s.recvQ === 0) && outbound.every((s) => s.sendQ === 0)) return;
    if (Date.now() > deadline) {
      throw new Error(
        `the server on port ${port} had not read all it was sent after ${timeoutMs} ms`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Wait until the server on `port` holds no connection open (none established, none ended by its
 * client and not yet closed by it); fails after `timeoutMs`.
 */
export async function allClosed(port: number, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const open = (await tcpSockets(port)).filter((socket) =>
      socket.localPort === port && (socket.state === "ESTAB" || socket.state === "CLOSE-WAIT")
    );
    if (open.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(`the server on port ${port} still held ${open.length} connections open`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
