#!/usr/bin/env bash
# Benchmark of the emulated NetSuite database (crate netsuite-emulator-db) on the large dataset:
# generate+load, keyset page latency, 4 concurrent readers. Prints each figure beside its target.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo bench --workspace --bench emudb "$@"
