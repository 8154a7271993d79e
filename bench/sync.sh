#!/usr/bin/env bash
# The sync engine benchmark: import 50,000 customers and 250,000 projects from the in-process
# emulator (100 ms per request, account limit 5), update after 0.5% changed, update with no
# change. Prints each figure beside its target. Smaller runs: NSYNC_BENCH_CUSTOMERS=2000
# NSYNC_BENCH_PROJECTS=10000 bench/sync.sh (see crates/nsync-server/benches/sync.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo bench --workspace --bench sync "$@"
