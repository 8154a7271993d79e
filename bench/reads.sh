#!/usr/bin/env bash
# Single reads against the per-read target of issue 18: a new client checks the credentials and
# reads one record type (customers or projects, one subsidiary or the account) from the
# in-process emulator at 100 ms a request, account limit 5; each figure the median of 3 reads.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo bench --workspace --bench reads "$@"
