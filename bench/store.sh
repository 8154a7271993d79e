#!/usr/bin/env bash
# Storage benchmark on both backends (SQLite, and PostgreSQL at 127.0.0.1:5432 database `test`,
# or $NSYNC_TEST_POSTGRES_URL): apply 300,000 options, re-apply, typeahead search, children page.
# Prints one table per backend, each figure beside its target.
# Usage: bench/store.sh [sqlite|postgres]
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo bench --workspace --bench store -- "$@"
