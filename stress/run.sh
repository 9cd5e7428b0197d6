#!/bin/sh
# deno task stress: raise the open-file limit, then run the stress driver (stress/stress.ts).
# Scenario 1 holds 10,000 connections open in the driver and 10,000 in the server, each a file
# descriptor, and both processes inherit this shell's limit. Arguments go to the driver, e.g.
#   deno task stress --only fuzz --seed 42
set -eu
cd "$(dirname "$0")/.."
want=65536
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt "$want" ]; then want=$hard; fi
ulimit -n "$want" || echo "stress: could not raise ulimit -n to $want; it stays $(ulimit -n)" >&2
# Loopback only: the driver may reach 127.0.0.1 and nothing else. --allow-run starts the servers
# and client.ts (and sh, which reads /proc for us: Deno 2.9 reads /proc/PID only with --allow-all).
exec deno run --allow-net=127.0.0.1 --allow-run --allow-read --unstable-net stress/stress.ts "$@"
