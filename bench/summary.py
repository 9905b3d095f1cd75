#!/usr/bin/env python3
"""Prints the short form of a results file (the table in README.md's Benchmarks section).

    bench/summary.py bench/results/DATE-HOST.json
"""
import json
import sys

NAMES = {
    "full": "full build -j2", "noop": "no-op", "touch": "touch 1 source", "edit": "edit 1 source",
    "dry-run": "dry run", "parse": "no-op, YAML parsed",
    "hash:large": "hash 1 GiB, 4 files", "hash:small": "hash 1 GiB, 100k files",
    "remote:up-large": "upload 1 GiB file", "remote:down-large": "download 1 GiB file",
    "remote:up-small": "upload 10k files", "remote:down-small": "download 10k files",
    "remote:download-final": "--download final task",
}


def t(tool):
    if not tool or tool.get("median_s") is None:
        return (tool or {}).get("status", "-").split(" (")[0].split(":")[0] if tool else "-"
    s = tool["median_s"]
    return f"{s * 1000:.0f} ms" if s < 10 else f"{s:.1f} s"


def ratio(a, b, key):
    if a and b and a.get(key) and b.get(key):
        return f"{a[key] / b[key]:.2f}"
    return "-"


def mb(tool):
    k = tool.get("peak_rss_kib") if tool else None
    return "-" if k is None else f"{k / 1024:.0f}"


def main():
    rows = json.load(open(sys.argv[1]))["rows"]
    print("| case | tasks | luisy | ninja | make | snakemake | luisy/ninja wall | "
          "luisy/ninja CPU | peak RSS MB luisy / ninja |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        if r["case"].startswith(("hash", "remote")):
            continue
        tl = r["tools"]
        print(f"| {NAMES.get(r['case'], r['case'])} | {r['size']:,} | {t(tl.get('luisy'))} | "
              f"{t(tl.get('ninja'))} | {t(tl.get('make'))} | {t(tl.get('snakemake'))} | "
              f"{ratio(tl.get('luisy'), tl.get('ninja'), 'median_s')} | "
              f"{ratio(tl.get('luisy'), tl.get('ninja'), 'cpu_median_s')} | "
              f"{mb(tl.get('luisy'))} / {mb(tl.get('ninja'))} |")
    other = [r for r in rows if r["case"].startswith(("hash", "remote"))]
    if other:
        print()
        print("| case | luisy | peers (median wall) | luisy / peer |")
        print("|---|---:|---|---|")
        for r in other:
            tl = r["tools"]
            peers = [p for p in tl if p != "luisy"]
            print(f"| {NAMES.get(r['case'], r['case'])} | {t(tl.get('luisy'))} | "
                  + ", ".join(f"{p} {t(tl[p])}" for p in peers) + " | "
                  + ", ".join(f"{p} {ratio(tl.get('luisy'), tl[p], 'median_s')}" for p in peers)
                  + " |")


if __name__ == "__main__":
    main()
