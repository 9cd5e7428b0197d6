// The stress scenarios at small sizes, so that every test run keeps them true. The full
// sizes, with their figures, are `deno task stress` (stress/stress.ts). A failing fuzz run names
// its seed: replay it with STRESS_SEED=N deno task test, or deno task stress --only fuzz --seed N.
import {
  bigStream,
  chatNeverReads,
  ctrlCUnderLoad,
  fuzz,
  manyClients,
  neverReads,
  outOfFiles,
  subSeed,
  udpGarbage,
} from "../stress/scenarios.ts";
import { testNeeding } from "./helpers/needs.ts";

const seed = Number(Deno.env.get("STRESS_SEED") ?? crypto.getRandomValues(new Uint32Array(1))[0]);

testNeeding(
  ["signals", "sh", "proc"],
  "stress, small: 300 clients at once × 20 lines, every line echoed in order",
  async () => {
    await manyClients({ clients: 300, lines: 20, seed: subSeed(seed, 1), timeLimitMs: 30_000 });
  },
);

testNeeding(
  ["signals", "sh", "proc"],
  "stress, small: 48 MiB through one connection byte-exact, server RSS growth under 32 MiB",
  async () => {
    await bigStream({
      mebibytes: 48,
      seed: subSeed(seed, 2),
      rssLimitMiB: 32,
      timeLimitMs: 30_000,
    });
  },
);

testNeeding(
  ["signals"],
  `stress, small: fuzz, 150 hostile sessions (seed ${seed}); the server survives and serves`,
  async () => {
    await fuzz({ sessions: 150, seed, width: 16, timeLimitMs: 30_000 });
  },
);

testNeeding(
  ["signals", "sh", "proc"],
  "stress, small: a client that never reads is not buffered without limit; others unaffected",
  async () => {
    await neverReads({ stallMs: 1000, maxMiB: 512, rssLimitMiB: 32, timeLimitMs: 30_000 });
  },
);

// The chat room's script is CHAT in tests/helpers/process.ts: if it is missing, this fails.
testNeeding(
  ["signals", "sh", "proc"],
  "stress, small: the chat room drops a member who never reads",
  async () => {
    await chatNeverReads({ mebibytes: 16, rssLimitMiB: 32, timeLimitMs: 30_000 });
  },
);

testNeeding(["signals"], "stress, small: 500 garbage datagrams at udp_server.ts", async () => {
  await udpGarbage({ datagrams: 500, seed: subSeed(seed, 5), timeLimitMs: 30_000 });
});

testNeeding(
  ["signals", "sh"],
  "stress: out of file descriptors (ulimit -n 64, 200 attempts), logged once, serving again",
  async () => {
    await outOfFiles({ fileLimit: 64, attempts: 200, timeLimitMs: 30_000 });
  },
);

// Five rounds caught the missed-client-at-Ctrl-C bug 12 times out of 12 before it was fixed.
testNeeding(
  ["signals"],
  "stress, small: Ctrl-C under load, 5 times: exit 0 within 2 s, nothing left running",
  async () => {
    await ctrlCUnderLoad({
      rounds: 5,
      clients: 20,
      processes: 1,
      connectors: 8,
      loadMs: 200,
      exitLimitMs: 2000,
      timeLimitMs: 60_000,
    });
  },
);
