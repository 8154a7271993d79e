#!/usr/bin/env bash
# The Monday storm: 2,000 companies' automatic updates (2,100 integrations on 2,000 emulated
# NetSuite accounts, 12 waves an hour apart, 600 in the busiest) on 3 `nsync worker` processes
# and one `nsync serve` over PostgreSQL at 127.0.0.1:5432 (or $NSYNC_TEST_POSTGRES_URL); one
# worker SIGKILLed in the busiest wave, 100 typeahead requests a second against serve meanwhile.
# Prints each Monday's figures, then the median of the Mondays beside each target.
# Usage: bench/storm.sh            NSYNC_STORM_COMPANIES=500 NSYNC_STORM_RUNS=1 bench/storm.sh
# (see crates/nsync/benches/storm.rs). Takes about 15 minutes a Monday at 2,000 companies.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo bench -p nsync --bench storm "$@"
