#!/usr/bin/env bash
# NetSuite emulator benchmark: large dataset load, keyset page latency, 4-reader throughput.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo bench --workspace --bench emulator "$@"
