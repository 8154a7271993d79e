"""Side-by-side benchmark of NetSuite clients against one emulator (issues 8 and 18).

For each dataset (one below 100,000 rows a query, where limit/offset clients are correct too,
and the large one) it starts the `netsuite-emulator` binary, then has each client read every
customer and every project of the account, one kind after the other, each kind in its own
process, `--rounds` times (the figures are the median run's). For each run it records the rows
the client printed, the requests the emulator logged, the wall time and the client's peak
resident memory (`/usr/bin/time -v`). The truth it checks the rows against is the emulator's own
SQLite file, not any client's read.

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
    p.add_argument("--netsuite-rs", default=os.path.join(HERE, "netsuite-rs/target/release/compare-netsuite-rs"))
    p.add_argument("--rounds", type=int, default=3, help="runs per tool and kind; the median is reported")
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
            "flight; the credentials check (one one-row query) and the histogram go out beside the "
            "first page",
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
            "netsuite-rs (Rust)",
            "1.1.1, `query(..).execute()` then `rows()`, `page_concurrency` 5, `pool_size` 5, "
            "`retry_on_concurrency_limit` (bench/compare/netsuite-rs)",
            "limit/offset, limit 1000: the first page, then the offsets up to its `totalResults`, "
            "5 pages in flight",
            lambda kind: [args.netsuite_rs, kind],
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
    # How a read that is not correct went wrong: an error (the client said so), or short (it
    # ended as if complete, without the rest).
    failure = None
    for r in runs:
        want = truth[r["kind"]]
        missing, extra = len(want - r["ids"]), len(r["ids"] - want)
        dupes = r["lines"] - r["unreadable"] - len(r["ids"])
        if r["exit"] != 0:
            problems.append(f"{r['kind']}: exit {r['exit']}: {r['error']}")
            failure = "error"
        if missing:
            problems.append(f"{r['kind']}: {len(r['ids']):,} of {len(want):,} read, {missing:,} missing")
            if r["exit"] == 0:
                failure = failure or "silently short"
        if extra or dupes or r["unreadable"]:
            problems.append(f"{r['kind']}: {extra} unknown ids, {dupes} repeated, {r['unreadable']} unreadable rows")
            failure = failure or "wrong rows"
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
        "failure": failure,
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
    head = ["tool", "customers", "projects", "all correct?", "requests", "wall time", "x lower bound", "x nsync",
            "peak memory"]
    nsync = results[0]["wall_s"]
    body = []
    for r in results:
        body.append([
            r["tool"],
            f"{r['customers']:,}",
            f"{r['projects']:,}",
            "yes" if r["correct"] else f"no: {r['failure']}",
            f"{r['requests']:,}" + (f" ({r['failed_requests']} failed)" if r["failed_requests"] else ""),
            f"{r['wall_s']:.2f} s",
            f"{r['ratio']:.2f}x" if r["ratio"] is not None else "n/a",
            f"{r['wall_s'] / nsync:.2f}x" if nsync > 0 else "n/a",
            f"{r['peak_mb']:.0f} MB",
        ])
    return head, body


def verdict(results):
    """How much faster nsync read everything than the fastest other client that did too."""
    nsync = results[0]
    others = [r for r in results[1:] if r["correct"]]
    if not nsync["correct"]:
        return "nsync did not read every row."
    if not others:
        return "nsync is the only client that read every row."
    best = min(others, key=lambda r: r["wall_s"])
    return (f"nsync read every row in {nsync['wall_s']:.2f} s, {best['wall_s'] / nsync['wall_s']:.2f} times "
            f"faster than the fastest other correct client ({best['tool']}, {best['wall_s']:.2f} s).")


def print_table(head, body):
    widths = [max(len(str(row[i])) for row in [head, *body]) for i in range(len(head))]
    for row in [head, ["-" * w for w in widths], *body]:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip())


def svg_chart(datasets, path):
    """Per dataset, wall time and requests per tool, as bars; plain SVG, no plotting library."""
    bar_h, gap, label_w, bar_w, top = 20, 6, 170, 420, 40
    n = max(len(d["results"]) for d in datasets)
    block = n * (bar_h + gap) + 36
    height = top + 2 * len(datasets) * block + 20
    colors = ["#2f6fb0", "#c4692b", "#5a9e4b", "#8a5fb0", "#b04a5a"]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + bar_w + 140}" height="{height}" '
        'font-family="sans-serif" font-size="13">',
        '<rect width="100%" height="100%" fill="white"/>',
        '<text x="10" y="22" font-size="15" font-weight="bold">Reading every customer and project</text>',
    ]
    g = 0
    for d in datasets:
        results = d["results"]
        for title, key, fmt in [
            ("wall time (s), lower is better", "wall_s", lambda v: f"{v:.1f} s"),
            ("requests to NetSuite", "requests", lambda v: f"{v:,}"),
        ]:
            y0 = top + g * block
            g += 1
            parts.append(f'<text x="10" y="{y0 + 16}" font-weight="bold">{d["short"]} '
                         f'({results[0]["truth_total"]:,} rows): {title}</text>')
            biggest = max(r[key] for r in results) or 1
            for i, r in enumerate(results):
                y = y0 + 24 + i * (bar_h + gap)
                w = max(1.0, bar_w * r[key] / biggest)
                label = r["tool"] + ("" if r["correct"] else " *")
                parts.append(f'<text x="{label_w - 8}" y="{y + bar_h - 5}" text-anchor="end">{label}</text>')
                parts.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colors[i % 5]}"/>')
                parts.append(f'<text x="{label_w + w + 6:.1f}" y="{y + bar_h - 5}">{fmt(r[key])}</text>')
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


def markdown(datasets, m, args, svg_name, sync_log):
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
        f"(load average {datasets[0]['setup']['load'][0]:.1f} when the clients started, "
        f"{datasets[-1]['setup']['load'][1]:.1f} when they finished), so the emulator's and the clients' "
        "CPU time, and with it the wall times, vary between runs.",
        "",
        f"Every client reads the whole account: all customers, then all projects (each kind in its own "
        f"process, times added up), {args.rounds} times; each figure is from the median run (by wall time) "
        "of each kind. For nsync that is `nsync netsuite customers|projects` without `--subsidiary`: the "
        "account-wide read, each record once. Two datasets: one below SuiteQL's 100,000 rows a query, "
        "where every limit/offset client can be correct, and one past it.",
        "",
    ]
    for d in datasets:
        setup, results = d["setup"], d["results"]
        head, body = table(results)
        lines += [
            f"### {d['title']}",
            "",
            f"Emulator: `netsuite-emulator {' '.join(setup['emulator_args'])}`: "
            f"{setup['truth']['customers']:,} customers and {setup['truth']['projects']:,} projects, "
            f"{setup['latency_ms']} ms per request (the response-time floor of each request), account "
            f"concurrency limit {setup['limit']}. Reading everything is {setup['full_pages']} pages, a lower "
            f"bound of {setup['full_bound_s']:.2f} s.",
            "",
            "| " + " | ".join(head) + " |",
            "|" + "|".join("---" for _ in head) + "|",
        ]
        for row in body:
            lines.append("| " + " | ".join(row) + " |")
        lines += ["", verdict(results), ""]
        notes = []
        for r in results:
            walls = ", ".join(f"{k} {v:.2f} s" for k, v in r["walls"].items())
            notes.append(f"- {r['tool']}: {walls}; {'; '.join(r['problems']) or 'every row read'}")
        lines += notes + [""]
    lines += [
        f"![wall time and requests per tool]({svg_name})",
        "",
        "- **all correct?**: the ids read, per kind, equal the ids in the emulator's own database "
        "(read from its SQLite file, not from any client), with none repeated. When not: *error* (the "
        "client stopped with an error) or *silently short* (it ended as if complete, without the rest).",
        "- **requests**: what the emulator's request log (`GET /_emulator/requests`) recorded during the run.",
        f"- **x lower bound**: wall time over the lower bound for the rows the tool returned: its pages "
        f"({PAGE:,} rows each) / the account's concurrency limit x the latency.",
        "- **x nsync**: wall time over nsync's on the same dataset.",
        "- **peak memory**: the largest maximum resident set size (`/usr/bin/time -v`) of the client's "
        "processes (the emulator not included). Every client writes each row to a file as a JSON line.",
        "",
        "| tool | version and call | how it pages |",
        "|---|---|---|",
    ]
    for r in datasets[0]["results"]:
        lines.append(f"| {r['tool']} | {r['version']} | {r['paging']} |")
    lines += [
        "",
        "Each other client is used as its documentation shows, with NetSuite's largest page (1000 rows; "
        "the PyPI package's default `limit` of 10 would reach only 10,000 rows) and its own TBA signing; "
        "only its base URL points at the emulator. The PyPI and npm packages run one page at a time: "
        "neither documents a parallel read. netsuite-rs, the closest peer in language and design, "
        "runs 5 pages at a time, the account's limit, and retries NetSuite's concurrency-limit error. "
        "SuiteQL's limit/offset paging reaches at most 100,000 rows of a query, exactly as NetSuite: past "
        "that `hasMore` is false, so a client that follows `hasMore` stops there without an error and "
        "silently misses the rest, and a client that asks for the offsets past it gets NetSuite's "
        "error. All clients select the same columns, ordered by id (`bench/compare/clients/queries.json`).",
        "",
        "Not measured: the Rust crate `netsuite` 0.7 (crates.io; its `SuiteQl::fetch_all` pages "
        "limit/offset one page at a time like the PyPI and npm packages); the npm package `suiteql` "
        "(no longer on the npm registry; `netsuite-rest`, the class it extends, stands in for it); "
        "`airbyte-source-netsuite` (reads through the REST record API starting from its metadata "
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


def datasets_for(args):
    """(title, short name, emulator arguments, latency in ms) of each dataset."""
    if args.small:
        fast = ["--seed", "7", "--latency-ms", "0", "--concurrency", "5"]
        return [
            ("Small, one subsidiary", "small, one subsidiary", 0,
             ["--customers", "1000", "--leads-and-prospects", "0", "--projects", "1500", "--subsidiaries", "1", *fast]),
            ("Small, three subsidiaries", "small", 0,
             ["--customers", "2000", "--leads-and-prospects", "1000", "--projects", "3000", *fast]),
        ]
    slow = ["--seed", "7", "--latency-ms", "100", "--concurrency", "5"]
    return [
        ("Below 100,000 rows a query: 50,000 customers and 90,000 projects, one subsidiary",
         "50,000 + 90,000", 100,
         ["--customers", "50000", "--leads-and-prospects", "0", "--projects", "90000", "--subsidiaries", "1", *slow]),
        ("Past 100,000 rows: 50,000 customers and 250,000 projects, three subsidiaries (`large`)",
         "large", 100, ["--dataset", "large", *slow]),
    ]


def median_run(runs):
    """The run of median wall time (the middle one of an odd number)."""
    return sorted(runs, key=lambda r: r["wall_s"])[len(runs) // 2]


def run_dataset(args, title, short, latency_ms, emulator_args, rounds):
    limit = 5
    started = time.monotonic()
    load_before = os.getloadavg()[0]
    out_dir = os.path.join(args.out_dir, short.replace(" ", "-").replace(",", "").replace("+", "and"))
    os.makedirs(out_dir, exist_ok=True)
    emu = Emulator(args.emulator, emulator_args, out_dir)
    print(f"{title}: emulator ready in {time.monotonic() - started:.1f} s at {emu.ready['base_url']}",
          file=sys.stderr)
    results = []
    try:
        truth = emu.truth()
        total = sum(len(v) for v in truth.values())
        full_pages = sum(math.ceil(len(v) / PAGE) for v in truth.values())
        for name, note, paging, cmd, env in tools(args, emu.ready):
            slug = name.split()[0]
            runs = []
            for kind in KINDS:
                print(f"{name}: reading {kind} x{rounds}...", file=sys.stderr)
                tries = [run_one(emu, out_dir, slug, kind, cmd(kind), env) for _ in range(rounds)]
                runs.append(median_run(tries))
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
    return {"title": title, "short": short, "setup": setup, "results": results}


def main():
    args = parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    rounds = 1 if args.small else max(1, args.rounds)
    args.rounds = rounds
    datasets = [run_dataset(args, *d, rounds) for d in datasets_for(args)]
    for d in datasets:
        setup, results = d["setup"], d["results"]
        head, body = table(results)
        print()
        print(f"{d['title']}: {setup['truth']['customers']:,} customers + {setup['truth']['projects']:,} "
              f"projects, {setup['latency_ms']} ms per request, limit {setup['limit']}; reading everything: "
              f"{setup['full_pages']} pages, lower bound {setup['full_bound_s']:.2f} s")
        print_table(head, body)
        for r in results:
            for p in r["problems"]:
                print(f"  {r['tool']}: {p}")
        print(verdict(results))
    with open(os.path.join(args.out_dir, "results.json"), "w") as f:
        json.dump(datasets, f, indent=2, default=sorted)

    if args.markdown:
        svg_path = os.path.splitext(args.markdown)[0] + ".svg"
        svg_chart(datasets, svg_path)
        with open(args.markdown, "w") as f:
            f.write(markdown(datasets, machine(), args, os.path.basename(svg_path), args.sync_log))
        print(f"wrote {os.path.relpath(args.markdown, ROOT)} and {os.path.relpath(svg_path, ROOT)}")

    # The harness fails when nsync does not read everything correctly, or a client breaks where
    # limit/offset paging can be correct (the first dataset, below 100,000 rows a query); a
    # limit/offset client that cannot read past 100,000 rows is a finding, not a failure.
    wrong = [d["title"] for d in datasets if not d["results"][0]["correct"]]
    broken = [r["tool"] for r in datasets[0]["results"] if not r["ok"] or not r["correct"]]
    if wrong or broken:
        print(f"FAILED: nsync not correct on: {wrong}; clients that failed below 100,000 rows: {broken}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
