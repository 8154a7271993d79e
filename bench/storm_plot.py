#!/usr/bin/env python3
"""Draws docs/storm.svg from bench/storm.sh logs: wall time of the Monday, peak worker memory and
NetSuite requests against the number of integrations. Usage: storm_plot.py LOG... > docs/storm.svg
(each LOG the output of one `NSYNC_STORM_COMPANIES=N bench/storm.sh`)."""
import re
import sys
from html import escape

points = []
for path in sys.argv[1:]:
    text = open(path, encoding="utf-8").read()
    n = int(re.search(r"storm at (\d+) integrations", text).group(1))
    mondays = re.findall(r"^monday \d+: .*$", text, re.M)
    walls = [float(re.search(r"wall (\d+) s", m).group(1)) for m in mondays]
    rss = [max(float(x) for x in re.search(r"peak RSS of workers ([\d/]+) MB", m).group(1).split("/")) for m in mondays]
    reqs = [float(re.search(r"NetSuite requests (\d+)", m).group(1)) for m in mondays]
    med = lambda v: sorted(v)[len(v) // 2]
    points.append((n, med(walls), med(rss), med(reqs)))
points.sort()

W, H, PAD = 900, 300, 50
panels = [("wall time of the Monday (s)", 1), ("peak worker memory (MB)", 2), ("NetSuite requests", 3)]
out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">']
pw = W // len(panels)
xmax = max(p[0] for p in points) * 1.1
for i, (title, col) in enumerate(panels):
    x0 = i * pw + PAD
    ymax = max(p[col] for p in points) * 1.2
    sx = lambda n: x0 + (n / xmax) * (pw - PAD - 20)
    sy = lambda v: H - PAD - (v / ymax) * (H - 2 * PAD)
    out.append(f'<text x="{x0}" y="20" font-weight="bold">{escape(title)}</text>')
    out.append(f'<line x1="{x0}" y1="{H - PAD}" x2="{x0 + pw - PAD - 20}" y2="{H - PAD}" stroke="#333"/>')
    out.append(f'<line x1="{x0}" y1="{PAD}" x2="{x0}" y2="{H - PAD}" stroke="#333"/>')
    out.append(f'<text x="{x0 + (pw - PAD) / 2 - 30}" y="{H - 12}">integrations</text>')
    path = " ".join(f"{'M' if j == 0 else 'L'}{sx(p[0]):.1f},{sy(p[col]):.1f}" for j, p in enumerate(points))
    out.append(f'<path d="{path}" fill="none" stroke="#2563eb" stroke-width="2"/>')
    for p in points:
        out.append(f'<circle cx="{sx(p[0]):.1f}" cy="{sy(p[col]):.1f}" r="3" fill="#2563eb"/>')
        out.append(f'<text x="{sx(p[0]) - 12:.1f}" y="{sy(p[col]) - 8:.1f}">{p[col]:.0f}</text>')
        out.append(f'<text x="{sx(p[0]) - 12:.1f}" y="{H - PAD + 16}">{p[0]}</text>')
out.append("</svg>")
print("\n".join(out))
