"""Side-by-side benchmark of NetSuite clients against one emulator (issue 8).

Starts the `netsuite-emulator` binary, then has each client read every customer and every
project of the account, one kind after the other, each kind in its own process. For each run it
records the rows the client printed, the requests the emulator logged, the wall time and the
client's peak resident memory (`/usr/bin/time -v`). The truth it checks the rows against is the
emulator's own SQLite file, not any client's read.

Standard library only; run by bench/compare.sh, which installs the clients first.
"""

import argparse
import glob
import json
import math
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
KINDS = ("customers", "projects")
TABLES = {"customers": "customer", "projects": "job"}
PAGE = 1000  # NetSuite's largest SuiteQL page, used by every client here


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--small", action="store_true", help="a few thousand records, no latency (CI)")
    p.add_argument("--emulator", default=os.path.join(ROOT, "target/release/netsuite-emulator"))
    p.add_argument("--nsync", default=os.path.join(ROOT, "target/release/nsync"))
    p.add_argument("--python", default=os.path.join(HERE, ".venv/bin/python"))
    p.add_argument("--node", default="node")
    p.add_argument("--out-dir", default=os.path.join(ROOT, "bench/out/compare"))
    p.add_argument("--markdown", help="write this report (docs/benchmarks.md on a full run)")
    p.add_argument("--sync-log", help="output of bench/sync.sh to include in the report")
    p.add_argument("--command", default="bash bench/compare.sh", help="shown in the report")
    return p.parse_args()


class Emulator:
    """The emulator binary in its own process; its SQLite file lives in a private TMPDIR."""

    def __init__(self, binary, args, out_dir):
        self.tmp = os.path.join(out_dir, "emulator-tmp")
        shutil.rmtree(self.tmp, ignore_errors=True)
        os.makedirs(self.tmp)
        env = dict(os.environ, TMPDIR=self.tmp)
        self.stderr = open(os.path.join(out_dir, "emulator.stderr"), "w")
        self.proc = subprocess.Popen(
            [binary, "--port", "0", *args], stdout=subprocess.PIPE, stderr=self.stderr, text=True, env=env
        )
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"the emulator exited before it was ready (see {self.stderr.name})")
        self.ready = json.loads(line)
        self.control = self.ready["control_url"]

    def truth(self):
        """Every customer (stage Customer: leads and prospects are the same record type, and no
        client is asked for them) and project id, straight from the emulator's database file."""
        files = glob.glob(os.path.join(self.tmp, f"nsemu-{self.proc.pid}-*.db"))
        if len(files) != 1:
            raise SystemExit(f"expected one emulator database in {self.tmp}, found {files}")
        db = sqlite3.connect(f"file:{files[0]}?mode=ro", uri=True)
        try:
            where = {"customer": " WHERE searchstage = 'Customer'", "job": ""}
            return {k: {r[0] for r in db.execute(f"SELECT id FROM {t}{where[t]}")} for k, t in TABLES.items()}
        finally:
            db.close()

    def clear_log(self):
        urllib.request.urlopen(urllib.request.Request(f"{self.control}/requests", method="DELETE")).read()

    def log(self):
        with urllib.request.urlopen(f"{self.control}/requests") as r:
            return [e for e in json.load(r) if not e["path"].startswith("/_emulator")]

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.stderr.close()


def tools(args, ready):
    """(name, version note, how it pages, command for a kind, extra environment)."""
    account, base = ready["account_id"], ready["base_url"]
    tba = ready["tba"]
    nsync_env = {
        "NETSUITE_CONSUMER_KEY": tba["consumer_key"],
        "NETSUITE_CONSUMER_SECRET": tba["consumer_secret"],
        "NETSUITE_TOKEN_ID": tba["token_id"],
        "NETSUITE_TOKEN_SECRET": tba["token_secret"],
    }
    ready_env = {"EMULATOR_READY": json.dumps(ready)}
    return [
        (
            "nsync",
            "this repo, `nsync netsuite <kind> --json --concurrency 5`",
            "id ranges cut from a histogram of ids (one `GROUP BY` query: rows, first and last id per "
            "bucket) where the rows add up to a page, keyset pages (`WHERE id > last ORDER BY id`), 5 in "
            "flight; each process first sends the 4 one-row queries of the account probe",
            lambda kind: [args.nsync, "netsuite", kind, "--account", account, "--base-url", base,
                          "--concurrency", "5", "--json"],
            nsync_env,
        ),
        (
            "netsuite (PyPI)",
            "0.12.0, `NetSuiteRestApi.suiteql`",
            "limit/offset, limit 1000, one page at a time",
            lambda kind: [args.python, os.path.join(HERE, "clients/pypi_netsuite.py"), kind],
            ready_env,
        ),
        (
            "netsuite-rest (npm)",
            "1.0.9, `request()` paged as `suiteql.queryAll`",
            "limit/offset, limit 1000, one page at a time",
            lambda kind: [args.node, os.path.join(HERE, "clients/netsuite_rest.js"), kind],
            ready_env,
        ),
    ]


def max_rss_kb(path):
    with open(path) as f:
        for line in f:
            if "Maximum resident set size" in line:
                return int(line.rsplit(":", 1)[1])
    return 0


def read_ids(path):
    """Ids of the JSON lines a client printed, and how many lines there were."""
    ids, lines, bad = set(), 0, 0
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            lines += 1
            try:
                ids.add(int(json.loads(line)["id"]))
            except (ValueError, KeyError, TypeError):
                bad += 1
    return ids, lines, bad


def run_one(emu, out_dir, slug, kind, cmd, extra_env):
    emu.clear_log()
    out = os.path.join(out_dir, f"{slug}-{kind}.jsonl")
    err = os.path.join(out_dir, f"{slug}-{kind}.stderr")
    timing = os.path.join(out_dir, f"{slug}-{kind}.time")
    env = dict(os.environ, **extra_env)
    start = time.monotonic()
    with open(out, "w") as o, open(err, "w") as e:
        code = subprocess.call(["/usr/bin/time", "-v", "-o", timing, *cmd], stdout=o, stderr=e, env=env,
                               timeout=3600)
    wall = time.monotonic() - start
    log = emu.log()
    ids, lines, bad = read_ids(out)
    with open(err) as e:
        tail = [l.strip() for l in e.read().splitlines() if l.strip()][-1:]
    return {
        "kind": kind,
        "exit": code,
        "error": tail[0][:200] if code != 0 and tail else None,
        "wall_s": wall,
        "rss_kb": max_rss_kb(timing),
        "requests": len(log),
        "failed_requests": sum(1 for r in log if not 200 <= r["status"] < 300),
        "lines": lines,
        "unreadable": bad,
        "ids": ids,
    }


def summarize(name, note, paging, runs, truth, latency_s, limit):
    rows = {r["kind"]: len(r["ids"]) for r in runs}
    problems = []
    for r in runs:
        want = truth[r["kind"]]
        missing, extra = len(want - r["ids"]), len(r["ids"] - want)
        dupes = r["lines"] - r["unreadable"] - len(r["ids"])
        if r["exit"] != 0:
            problems.append(f"{r['kind']}: exit {r['exit']}: {r['error']}")
        if missing:
            problems.append(f"{r['kind']}: {len(r['ids']):,} of {len(want):,} read, {missing:,} missing")
        if extra or dupes or r["unreadable"]:
            problems.append(f"{r['kind']}: {extra} unknown ids, {dupes} repeated, {r['unreadable']} unreadable rows")
    pages = sum(math.ceil(n / PAGE) for n in rows.values())
    bound = math.ceil(pages / limit) * latency_s
    wall = sum(r["wall_s"] for r in runs)
    return {
        "tool": name,
        "version": note,
        "paging": paging,
        "customers": rows.get("customers", 0),
        "projects": rows.get("projects", 0),
        "correct": not problems,
        "problems": problems,
        "requests": sum(r["requests"] for r in runs),
        "failed_requests": sum(r["failed_requests"] for r in runs),
        "wall_s": wall,
        "pages": pages,
        "bound_s": bound,
        "ratio": wall / bound if bound > 0 else None,
        "peak_mb": max(r["rss_kb"] for r in runs) / 1024,
        "ok": all(r["exit"] == 0 for r in runs),
        "walls": {r["kind"]: r["wall_s"] for r in runs},
    }


def table(results):
    head = ["tool", "customers", "projects", "all correct?", "requests", "wall time", "x lower bound", "peak memory"]
    body = []
    for r in results:
        body.append([
            r["tool"],
            f"{r['customers']:,}",
            f"{r['projects']:,}",
            "yes" if r["correct"] else "no",
            f"{r['requests']:,}" + (f" ({r['failed_requests']} failed)" if r["failed_requests"] else ""),
            f"{r['wall_s']:.2f} s",
            f"{r['ratio']:.2f}x" if r["ratio"] is not None else "n/a",
            f"{r['peak_mb']:.0f} MB",
        ])
    return head, body


def print_table(head, body):
    widths = [max(len(str(row[i])) for row in [head, *body]) for i in range(len(head))]
    for row in [head, ["-" * w for w in widths], *body]:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip())


def svg_chart(results, path):
    """Two bar groups, wall time and requests per tool; plain SVG, no plotting library."""
    bar_h, gap, label_w, bar_w, top = 22, 8, 170, 420, 40
    n = len(results)
    block = n * (bar_h + gap) + 40
    height = top + 2 * block + 10
    colors = ["#2f6fb0", "#c4692b", "#5a9e4b", "#8a5fb0", "#b04a5a"]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + bar_w + 140}" height="{height}" '
        'font-family="sans-serif" font-size="13">',
        '<rect width="100%" height="100%" fill="white"/>',
        f'<text x="10" y="22" font-size="15" font-weight="bold">Reading every customer and project '
        f'({results[0]["truth_total"]:,} rows)</text>',
    ]
    for g, (title, key, fmt) in enumerate([
        ("wall time (s), lower is better", "wall_s", lambda v: f"{v:.1f} s"),
        ("requests to NetSuite", "requests", lambda v: f"{v:,}"),
    ]):
        y0 = top + g * block
        parts.append(f'<text x="10" y="{y0 + 16}" font-weight="bold">{title}</text>')
        biggest = max(r[key] for r in results) or 1
        for i, r in enumerate(results):
            y = y0 + 26 + i * (bar_h + gap)
            w = max(1.0, bar_w * r[key] / biggest)
            label = r["tool"] + ("" if r["correct"] else " *")
            parts.append(f'<text x="{label_w - 8}" y="{y + bar_h - 6}" text-anchor="end">{label}</text>')
            parts.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colors[i % 5]}"/>')
            parts.append(f'<text x="{label_w + w + 6:.1f}" y="{y + bar_h - 6}">{fmt(r[key])}</text>')
    parts.append(f'<text x="10" y="{height - 6}" font-size="11">* did not read every row</text>')
    parts.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(parts) + "\n")


def machine():
    mem_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "")
    except OSError:
        pass
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    return {
        "nproc": os.cpu_count(),
        "memory_gib": mem_kb / 1024 / 1024,
        "cpu": cpu,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "node": subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip(),
        "commit": commit,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def markdown(results, setup, m, args, svg_name, sync_log):
    head, body = table(results)
    lines = [
        "# Benchmarks",
        "",
        "Generated by `bench/compare.sh` (bench/compare/compare.py); do not edit by hand, run it again.",
        "",
        "## nsync beside other NetSuite clients",
        "",
        f"Command: `{args.command}`, run on {m['date']} at commit `{m['commit']}`.",
        "",
        f"Machine: {m['nproc']} CPU cores ({m['cpu'] or 'unknown model'}), {m['memory_gib']:.1f} GiB memory, "
        f"{m['os']}; Python {m['python']}, Node {m['node']}. The cores are shared with other work "
        f"(load average {setup['load'][0]:.1f} when the clients started, {setup['load'][1]:.1f} when they "
        "finished), so the emulator's and the clients' CPU time, and with it the wall times, vary between runs.",
        "",
        f"Emulator: `netsuite-emulator {' '.join(setup['emulator_args'])}`: "
        f"{setup['truth']['customers']:,} customers and {setup['truth']['projects']:,} projects, "
        f"{setup['latency_ms']} ms per request (the response-time floor of each request), account "
        f"concurrency limit {setup['limit']}. Every client reads the whole account: all customers, then all "
        "projects (each kind in its own process, times added up). For nsync that is "
        "`nsync netsuite customers|projects` without `--subsidiary`: the account-wide read, each record once; "
        "reading each subsidiary would read customers linked to several subsidiaries more than once.",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "|".join("---" for _ in head) + "|",
    ]
    for row in body:
        lines.append("| " + " | ".join(row) + " |")
    lines += [
        "",
        f"![wall time and requests per tool]({svg_name})",
        "",
        "- **all correct?**: the ids read, per kind, equal the ids in the emulator's own database "
        "(read from its SQLite file, not from any client), with none repeated.",
        "- **requests**: what the emulator's request log (`GET /_emulator/requests`) recorded during the run.",
        f"- **x lower bound**: wall time over the lower bound for the rows the tool returned: its pages "
        f"({PAGE:,} rows each) / concurrency limit {setup['limit']} x {setup['latency_ms']} ms. Reading "
        f"everything is {setup['full_pages']} pages, a bound of {setup['full_bound_s']:.2f} s.",
        "- **peak memory**: the largest maximum resident set size (`/usr/bin/time -v`) of the client's "
        "processes (the emulator not included). Every client writes each row to a file as a JSON line.",
        "",
        "| tool | version and call | how it pages | notes |",
        "|---|---|---|---|",
    ]
    for r in results:
        walls = ", ".join(f"{k} {v:.2f} s" for k, v in r["walls"].items())
        notes = "; ".join(r["problems"]) or "every row read"
        notes = f"{walls}; {notes}"
        lines.append(f"| {r['tool']} | {r['version']} | {r['paging']} | {notes} |")
    lines += [
        "",
        "Each other client is used as its documentation shows, with NetSuite's largest page (1000 rows; "
        "the PyPI package's default `limit` of 10 would reach only 10,000 rows) and its own TBA signing; "
        "only its base URL points at the emulator. Both run one page at a time: neither documents a parallel "
        "read. SuiteQL's limit/offset paging reaches at most 100,000 rows of a query, exactly as NetSuite: "
        "past that `hasMore` is false, so a limit/offset client stops there without an error and silently "
        "misses the rest. All clients select the same columns, ordered by id (`bench/compare/clients/queries.json`).",
        "",
        "Not measured: the Rust crate `netsuite` 0.7 (crates.io; `RestApi::with_base_url` could point it at "
        "the emulator, and its `SuiteQl::fetch_all` pages limit/offset like the two above, but building it "
        "is another cargo build outside the workspace); the npm package `suiteql` (no longer on the npm "
        "registry; `netsuite-rest`, the class it extends, stands in for it); `airbyte-source-netsuite` "
        "(reads through the REST record API starting from its metadata "
        "catalog, which the emulator does not serve, and installs the Airbyte CDK; not attempted).",
        "",
    ]
    lines += ["## nsync's sync engine (`bench/sync.sh`)", ""]
    if sync_log and os.path.exists(sync_log):
        with open(sync_log) as f:
            text = f.read()
        keep = [l for l in text.splitlines() if l.startswith(("sync benchmark", "import", "update", "  "))]
        lines += [
            "Import into nsync's store (SQLite) and Update runs, in-process emulator with the same data, "
            "latency and limit, from the same `bash bench/compare.sh` run (release build), printed as the "
            "benchmark prints them, twice: first the data above (three subsidiaries), where the "
            "integration imports the subsidiary with the most customers (what a tenant selects) and so "
            "reads a third of the pages of the account-wide read; then the same 50,000 customers and "
            "250,000 projects all in one subsidiary (`NSYNC_BENCH_SUBSIDIARIES=1`), so that the import "
            "reads everything, the 300 pages of the client benchmark's lower bound. The import's target "
            "is 1.3x the read lower bound plus the storage apply time: the line `import without its "
            "apply phase` gives that ratio. These figures include the store; they move as the store gets "
            "faster, and with the machine's other load. `phases` splits each run: `load` (mirror and "
            "options from the store), `read` (NetSuite, and the new mirror), `plan`, `apply` (one "
            "transaction). The updates run in the process that imported, as in `nsync serve` or `nsync "
            "worker`, so they start from the mirror and options it kept in memory (valid while the "
            "store's state version is unchanged; after an import that copy is computed once the run has "
            "ended, and the next run waits for it); `nsync update` in a new process loads them first: "
            "0.5 to 1 s more at this size (measured before the in-memory copy existed).",
            "",
            "```",
            *(keep or text.splitlines()[-20:]),
            "```",
            "",
        ]
    else:
        lines += ["Not run in this report (`bash bench/compare.sh` without `--no-sync` runs it).", ""]
    return "\n".join(lines)


def main():
    args = parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    if args.small:
        emulator_args = ["--customers", "2000", "--leads-and-prospects", "1000", "--projects", "3000", "--seed", "7", "--latency-ms", "0",
                         "--concurrency", "5"]
        latency_ms = 0
    else:
        emulator_args = ["--dataset", "large", "--seed", "7", "--latency-ms", "100", "--concurrency", "5"]
        latency_ms = 100
    limit = 5
    started = time.monotonic()
    load_before = os.getloadavg()[0]
    emu = Emulator(args.emulator, emulator_args, args.out_dir)
    print(f"emulator ready in {time.monotonic() - started:.1f} s at {emu.ready['base_url']}", file=sys.stderr)
    results = []
    try:
        truth = emu.truth()
        total = sum(len(v) for v in truth.values())
        full_pages = sum(math.ceil(len(v) / PAGE) for v in truth.values())
        for name, note, paging, cmd, env in tools(args, emu.ready):
            slug = name.split()[0]
            runs = []
            for kind in KINDS:
                print(f"{name}: reading {kind}...", file=sys.stderr)
                runs.append(run_one(emu, args.out_dir, slug, kind, cmd(kind), env))
            r = summarize(name, note, paging, runs, truth, latency_ms / 1000, limit)
            r["truth_total"] = total
            results.append(r)
            print(f"  {r['wall_s']:.2f} s, {r['requests']} requests, correct: {r['correct']}", file=sys.stderr)
    finally:
        emu.stop()

    setup = {
        "emulator_args": emulator_args,
        "truth": {k: len(v) for k, v in truth.items()},
        "latency_ms": latency_ms,
        "limit": limit,
        "full_pages": full_pages,
        "full_bound_s": math.ceil(full_pages / limit) * latency_ms / 1000,
        "load": (load_before, os.getloadavg()[0]),
    }
    head, body = table(results)
    print()
    print(f"{setup['truth']['customers']:,} customers + {setup['truth']['projects']:,} projects, "
          f"{latency_ms} ms per request, limit {limit}; reading everything: {full_pages} pages, "
          f"lower bound {setup['full_bound_s']:.2f} s")
    print_table(head, body)
    for r in results:
        for p in r["problems"]:
            print(f"  {r['tool']}: {p}")
    with open(os.path.join(args.out_dir, "results.json"), "w") as f:
        json.dump({"setup": setup, "results": results}, f, indent=2)

    if args.markdown:
        svg_path = os.path.splitext(args.markdown)[0] + ".svg"
        svg_chart(results, svg_path)
        with open(args.markdown, "w") as f:
            f.write(markdown(results, setup, machine(), args, os.path.basename(svg_path), args.sync_log))
        print(f"wrote {os.path.relpath(args.markdown, ROOT)} and {os.path.relpath(svg_path, ROOT)}")

    # The harness fails when nsync does not read everything correctly, or a client breaks outright;
    # a limit/offset client stopping at 100,000 rows is a finding, not a failure.
    nsync = results[0]
    broken = [r["tool"] for r in results if not r["ok"]]
    if not nsync["correct"] or broken:
        print(f"FAILED: nsync correct: {nsync['correct']}; clients that failed: {broken}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
