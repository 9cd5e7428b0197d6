// deno task stress: the kit under heavy and hostile traffic, with figures.
//
//   deno task stress                          all scenarios, full size, a random seed (printed)
//   deno task stress --only fuzz --seed 42    replay one scenario with a given seed
//
// Run through stress/run.sh, which raises `ulimit -n` first. Loopback only: this driver has
// --allow-net=127.0.0.1, and so has every server it starts. Every scenario has a count and a time
// limit, and the whole run stops at 5 minutes whatever happens. Exit 0 only if all passed.
import { parseArgs } from "node:util";
import {
  bigStream,
  chatJoinStorm,
  chatNeverReads,
  ctrlCUnderLoad,
  fuzz,
  heldLines,
  killEverything,
  manyClients,
  neverReads,
  outOfFiles,
  subSeed,
  udpGarbage,
} from "./scenarios.ts";
import type { Scenario } from "./helpers.ts";
import { shell } from "../tests/helpers/process.ts";
import { prankster } from "./prankster.ts";

const TOTAL_LIMIT_MS = 290_000; // under the 5 minutes promised, whatever the scenarios do
const USAGE = "usage: deno task stress [--only NAME,...] [--seed N]";
let values;
try {
  values = parseArgs({
    options: { only: { type: "string" }, seed: { type: "string" }, help: { type: "boolean" } },
  }).values;
} catch (error) {
  console.error(`stress: ${(error as Error).message}\n${USAGE}`);
  Deno.exit(2);
}
const seed = values.seed === undefined
  ? crypto.getRandomValues(new Uint32Array(1))[0]
  : Number(values.seed);
if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) {
  console.error("stress: --seed must be a whole number from 0 to 4294967295");
  Deno.exit(2);
}
const only = values.only?.split(",");

const fileLimit = Number((await shell("ulimit -n")).trim());
const tooFewFiles = (context: { fileLimit: number }) =>
  context.fileLimit < 10_200
    ? "needs ulimit -n of 10,200 or more in this process and the server, but it is " +
      `${context.fileLimit}: ` +
      "run it with deno task stress (stress/run.sh raises the limit), or raise the hard limit"
    : undefined;

// Every scenario, in the order they run. A scenario of its own file exports a Scenario (see
// stress/helpers.ts) as its default, and takes one line here:
//   (await import("./my_scenario.ts")).default,
const scenarios: Scenario[] = [
  {
    name: "clients",
    title: "1. 10,000 concurrent clients × 100 lines",
    limitMs: 120_000,
    skip: tooFewFiles,
    run: ({ limitMs, seed }) =>
      manyClients({ clients: 10_000, lines: 100, seed: subSeed(seed, 1), timeLimitMs: limitMs }),
  },
  {
    name: "stream",
    title: "2. 100 MiB through one connection, RSS sampled",
    limitMs: 60_000,
    run: ({ limitMs, seed }) =>
      bigStream({ mebibytes: 100, seed: subSeed(seed, 2), rssLimitMiB: 32, timeLimitMs: limitMs }),
  },
  {
    name: "fuzz",
    title: "3. fuzz: 1,000 hostile sessions",
    limitMs: 60_000,
    run: ({ limitMs, seed }) => fuzz({ sessions: 1000, seed, width: 16, timeLimitMs: limitMs }),
  },
  {
    name: "never-reads",
    title: "4. a client that sends and never reads",
    limitMs: 30_000,
    run: ({ limitMs }) =>
      neverReads({ stallMs: 2000, maxMiB: 512, rssLimitMiB: 32, timeLimitMs: limitMs }),
  },
  {
    name: "chat-never-reads",
    title: "4b. a chat-room member who never reads",
    limitMs: 40_000,
    run: ({ limitMs }) => chatNeverReads({ mebibytes: 64, rssLimitMiB: 32, timeLimitMs: limitMs }),
  },
  {
    name: "chat-join-storm",
    title: "4c. a storm of 4,000 joins in the chat room (--max-clients/--max-per-address raised)",
    limitMs: 60_000,
    run: ({ limitMs }) => chatJoinStorm({ joins: 4000, maxDelayMs: 1000, timeLimitMs: limitMs }),
  },
  {
    name: "udp",
    title: "5. 10,000 garbage datagrams at udp_server.ts",
    limitMs: 30_000,
    run: ({ limitMs, seed }) =>
      udpGarbage({ datagrams: 10_000, seed: subSeed(seed, 5), timeLimitMs: limitMs }),
  },
  {
    name: "files",
    title: "6. out of file descriptors (ulimit -n 64, 200 attempts)",
    limitMs: 40_000,
    run: ({ limitMs }) => outOfFiles({ fileLimit: 64, attempts: 200, timeLimitMs: limitMs }),
  },
  {
    name: "ctrl-c",
    title: "7. Ctrl-C during full load, 10 times",
    limitMs: 60_000,
    run: ({ limitMs }) =>
      ctrlCUnderLoad({
        rounds: 10,
        clients: 1000,
        processes: 10,
        connectors: 8,
        loadMs: 1500, // on purpose: how long the full load runs (once seen at work) before Ctrl-C
        exitLimitMs: 2000,
        timeLimitMs: limitMs,
      }),
  },
  {
    name: "held-lines",
    title: "8. 10,000 connections each holding an unfinished 64 KiB line, RSS before/peak/after",
    limitMs: 90_000,
    skip: tooFewFiles,
    run: ({ limitMs }) =>
      heldLines({ connections: 10_000, lineBytes: 64 * 1024, timeLimitMs: limitMs }),
  },
  {
    name: "prankster",
    title:
      "9. a chat prankster floods, bursts and holds idle connections; 30 members read at 1 MB/s",
    limitMs: 120_000,
    run: ({ limitMs }) =>
      prankster({
        readers: 30,
        rate: 1_000_000,
        floodMs: 24_000,
        settleMs: 14_000,
        idle: 40,
        maxDelayMs: 1000,
        timeLimitMs: limitMs,
      }),
  },
];

if (values.help) {
  console.log(
    `${USAGE}\n  --only NAME,...  run only these: ${scenarios.map((s) => s.name).join(", ")}`,
  );
  console.log("  --seed N         the fuzz seed to replay (printed by every run)");
  Deno.exit(0);
}
const unknown = only?.filter((name) => !scenarios.some((s) => s.name === name)) ?? [];
if (unknown.length > 0) {
  console.error(
    `stress: no scenario ${unknown.join(", ")}; there are: ${
      scenarios.map((s) => s.name).join(", ")
    }`,
  );
  Deno.exit(2);
}

// The backstop, for a hang in the driver itself: each scenario already has its own time limit, and
// stops (or kills) the processes it started.
const backstop = setTimeout(() => {
  console.error(`stress: FAILED: the whole run passed ${TOTAL_LIMIT_MS / 1000} s; stopping`);
  killEverything(); // Deno.exit() alone would leave the servers running
  Deno.exit(1);
}, TOTAL_LIMIT_MS + 5_000);

const started = performance.now();
console.log(
  `stress run of ${
    new Date().toISOString().slice(0, 10)
  }, Deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores, ulimit -n ${fileLimit}`,
);
console.log(`seed ${seed} (replay: deno task stress --only fuzz --seed ${seed})\n`);
const results: { title: string; outcome: "PASS" | "FAIL" | "SKIP"; text: string }[] = [];
for (const scenario of scenarios) {
  if (only && !only.includes(scenario.name)) continue;
  const reason = scenario.skip?.({ fileLimit });
  if (reason) {
    results.push({ title: scenario.title, outcome: "SKIP", text: reason });
    console.log(`SKIP  ${scenario.title}: ${reason}\n`);
    continue;
  }
  const left = TOTAL_LIMIT_MS - (performance.now() - started);
  if (left < 5_000) {
    results.push({
      title: scenario.title,
      outcome: "FAIL",
      text: "not run: the 5-minute budget is spent",
    });
    console.log(`FAIL  ${scenario.title}: not run, the 5-minute budget is spent\n`);
    continue;
  }
  console.log(`...   ${scenario.title}`);
  const scenarioStarted = performance.now();
  try {
    const figure = await scenario.run({ limitMs: Math.min(scenario.limitMs, left), seed });
    results.push({ title: scenario.title, outcome: "PASS", text: figure });
    console.log(
      `PASS  ${scenario.title} (${
        ((performance.now() - scenarioStarted) / 1000).toFixed(1)
      } s)\n      ${figure}\n`,
    );
  } catch (error) {
    const text = (error as Error).stack ?? String(error);
    results.push({ title: scenario.title, outcome: "FAIL", text });
    console.log(`FAIL  ${scenario.title}\n!!!!! ${text}\n`);
  }
}
clearTimeout(backstop);

const tally = (outcome: string) => results.filter((r) => r.outcome === outcome).length;
console.log(
  `${tally("PASS")} passed, ${tally("FAIL")} failed, ${tally("SKIP")} skipped in ${
    ((performance.now() - started) / 1000).toFixed(1)
  } s (seed ${seed})`,
);
Deno.exit(tally("FAIL") === 0 ? 0 : 1);
