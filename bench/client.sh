#!/usr/bin/env bash
# The NetSuite client benchmark: 50,000 customers and 250,000 projects from the in-process
# emulator, 100 ms per request, account limit 5, client budget 5; then with 20% of requests failing.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo bench --workspace --bench client "$@"
