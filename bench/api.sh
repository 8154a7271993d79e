#!/usr/bin/env bash
# The API benchmark: about 300,000 options imported from a generated 50,000/250,000 account,
# then searchOptions at 200 requests/s over loopback (p99 target 25 ms) and the first page of
# listImportCandidates (target 100 ms). Smaller runs: NSYNC_BENCH_CUSTOMERS=2000
# NSYNC_BENCH_PROJECTS=10000 bench/api.sh (see crates/nsync-server/benches/api.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo bench --workspace --bench api "$@"
