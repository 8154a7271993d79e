#!/usr/bin/env bash
# The long soak: 10,000 update runs per backend (or $NSYNC_SOAK_RUNS) in a release build, against
# the emulator with seeded random faults of every kind and random NetSuite changes between runs;
# SQLite, and PostgreSQL at 127.0.0.1:5432 database `test` (or $NSYNC_TEST_POSTGRES_URL).
# Prints the test's line per backend: runs, failed runs, faults by kind, changes, and the
# lost / duplicated / wrongly deactivated counts, whose target is 0 (the test fails otherwise).
# Usage: bench/soak.sh [sqlite|postgres]    ($NSYNC_SOAK_SEED picks another seed)
set -euo pipefail
cd "$(dirname "$0")/.."
filter=soak_keeps_options_true_to_netsuite_through_faults_and_changes
case "${1:-}" in
  sqlite) filter="$filter::on_sqlite" ;;
  postgres) filter="$filter::on_postgres" ;;
  "") ;;
  *) echo "usage: bench/soak.sh [sqlite|postgres]" >&2; exit 2 ;;
esac
export NSYNC_SOAK_RUNS="${NSYNC_SOAK_RUNS:-10000}"
echo "soak: $NSYNC_SOAK_RUNS update runs per backend, release build; target: lost 0, duplicated 0, wrongly deactivated 0"
cargo nextest run --release -p nsync-server "$filter" --no-capture --no-fail-fast 2>&1 \
  | sed -n '/^soak (/p; /SKIPPED/p; /^ *\(PASS\|FAIL\) \[/p; /panicked/,/^stack backtrace\|^note:/p'
