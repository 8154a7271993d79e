#!/usr/bin/env bash
# nsync beside other NetSuite clients on one emulator (issues 8 and 18). Installs what it needs,
# builds the release binaries, starts `netsuite-emulator` with two datasets in turn (50,000
# customers and 90,000 projects in one subsidiary, below SuiteQL's 100,000 rows a query; then
# `large`, 50,000 customers and 250,000 projects in 3 subsidiaries; 100 ms per request, account
# limit 5), has nsync, the PyPI package `netsuite`, the Rust crate `netsuite-rs` and the npm
# package `netsuite-rest` each read every customer and project three times (median run), prints
# a table per dataset, runs bench/sync.sh (import / update figures) and writes docs/benchmarks.md
# and docs/benchmarks.svg.
#
#   bash bench/compare.sh            full run (about 20 minutes after the build), writes docs/
#   bash bench/compare.sh --no-sync  the same without bench/sync.sh
#   bash bench/compare.sh --small    a few thousand records, no latency, debug binaries, one run: for
#                                    CI (scripts/test runs it); writes only bench/out/compare/
# Exits non-zero when nsync does not read every row correctly, or a client fails on the dataset
# below 100,000 rows (where limit/offset paging can be correct).
set -euo pipefail
cd "$(dirname "$0")/.."

small=0
sync=1
for arg in "$@"; do
  case "$arg" in
    --small) small=1; sync=0 ;;
    --no-sync) sync=0 ;;
    *) echo "usage: bash bench/compare.sh [--small] [--no-sync]" >&2; exit 2 ;;
  esac
done

# What the harness needs: GNU time for peak memory, a Python venv and Node for the other clients.
need_apt=()
[ -x /usr/bin/time ] || need_apt+=(time)
python3 -c 'import ensurepip, venv' 2>/dev/null || need_apt+=(python3-venv)
command -v node >/dev/null && command -v npm >/dev/null || need_apt+=(nodejs npm)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing ${need_apt[*]}" >&2
  apt-get update -qq && apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

here=bench/compare
if [ ! -x "$here/.venv/bin/python" ]; then
  python3 -m venv "$here/.venv"
fi
if ! cmp -s "$here/requirements.txt" "$here/.venv/.installed" 2>/dev/null; then
  "$here/.venv/bin/pip" install -q -r "$here/requirements.txt"
  cp "$here/requirements.txt" "$here/.venv/.installed"
fi
if ! cmp -s "$here/package-lock.json" "$here/node_modules/.installed" 2>/dev/null; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$here/package-lock.json" "$here/node_modules/.installed"
fi

target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
mkdir -p bench/out/compare
args=(--command "bash bench/compare.sh${*:+ $*}")
# netsuite-rs is built on its own (bench/compare/netsuite-rs, its own lock file and target).
peer=bench/compare/netsuite-rs
if [ "$small" = 1 ]; then
  # The CI variant checks that the harness still works, not speed: the debug binaries that
  # scripts/test already built will do, and spare CI a release build.
  cargo build --workspace --bins
  cargo build --locked --manifest-path "$peer/Cargo.toml"
  args+=(--small --emulator "$target_dir/debug/netsuite-emulator" --nsync "$target_dir/debug/nsync"
    --netsuite-rs "$peer/target/debug/compare-netsuite-rs")
else
  nice cargo build --release --workspace --bins
  nice cargo build --locked --release --manifest-path "$peer/Cargo.toml"
  args+=(--emulator "$target_dir/release/netsuite-emulator" --nsync "$target_dir/release/nsync"
    --netsuite-rs "$peer/target/release/compare-netsuite-rs")
  if [ "$sync" = 1 ]; then
    echo "running bench/sync.sh (import / update figures), one subsidiary of three, then all in one..." >&2
    if bash bench/sync.sh 2>bench/out/compare/sync.stderr | tee bench/out/compare/sync.txt \
      && NSYNC_BENCH_SUBSIDIARIES=1 bash bench/sync.sh 2>>bench/out/compare/sync.stderr \
        | tee -a bench/out/compare/sync.txt; then
      args+=(--sync-log bench/out/compare/sync.txt)
    else
      echo "bench/sync.sh failed (see bench/out/compare/sync.stderr); the report leaves it out" >&2
    fi
  fi
  args+=(--markdown docs/benchmarks.md)
fi
exec python3 "$here/compare.py" "${args[@]}"
