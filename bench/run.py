#!/usr/bin/env python3
"""Runs luisy and its peers on the same synthetic pipelines, taking turns, and writes a table.

    bench/run.py --luisy build-bench/luisy [--sizes 1000,10000] [--cases full,noop,...]
                 [--tools luisy,ninja,make,snakemake] [--reps 5] [--warmup 1] [--cap 300]
                 [--jobs 2] [--work /tmp/luisy-bench] [--results bench/results]

Every measurement is one process tree: wall time from spawn to wait4, peak RSS from wait4's
rusage (the largest process of the tree: the tool itself, never its cksum children). Each
case runs a setup per tool (untimed), a warm-up round, then --reps rounds in which every tool
runs once, in turn (A B C A B C ...), so that the machine's noise hits every tool alike: the
ratios of one run are what counts, not the absolute times. A run longer than --cap seconds is
killed and shown as ">cap" (and that tool is not run again in that case).

Cases (README.md, Benchmarks): full, noop, touch, edit, dry-run, parse on the generated
pipelines; hash (cases_extra.py) against cat and xxhsum; remote (cases_extra.py) against the
Azure SDK on Azurite. scripts/bench is the entry point: it installs the peers and builds
luisy first.
"""

import argparse
import datetime
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import cases_extra  # noqa: E402  (hashing and remote cases)

BUILD_CASES = ["full", "noop", "touch", "edit", "dry-run", "parse"]
ALL_CASES = BUILD_CASES + ["hash", "remote"]
BUILD_TOOLS = ["luisy", "ninja", "make", "snakemake"]
# luisy with LUISY_LOCAL_CACHE=off: what the local content store costs (not a default tool).
EXTRA_TOOLS = ["luisy-nostore"]

ROW_ORDER = BUILD_CASES + ["hash:large", "hash:small", "remote:up-large", "remote:down-large",
                           "remote:up-small", "remote:down-small", "remote:download-final"]

CASE_TITLES = {
    "full": "1. full build from clean",
    "noop": "2. no-op build",
    "touch": "3. one source touched (same bytes)",
    "edit": "4. one source edited",
    "dry-run": "5. dry run after one edit",
    "parse": "6. no-op, pipeline parsed (luisy's plan cache deleted)",
}


class Capped(Exception):
    pass


class Failed(Exception):
    pass


TIMER = None  # path of the compiled bench/timer.c
LAST_CPU = [0.0]  # CPU seconds (user + system) of the last run_timed


def build_timer(work):
    global TIMER
    TIMER = os.path.join(work, "timer")
    src = os.path.join(HERE, "timer.c")
    if not os.path.exists(TIMER) or os.path.getmtime(TIMER) < os.path.getmtime(src):
        subprocess.run(["cc", "-O2", "-o", TIMER, src], check=True)


def run_timed(argv, cwd, env, log_path, cap):
    """Runs argv under bench/timer; returns (seconds, peak RSS in KiB). Raises Capped, Failed."""
    result = log_path + ".result"
    with open(log_path, "ab") as log:
        log.write(f"\n$ {' '.join(argv)}\n".encode())
        log.flush()
        proc = subprocess.Popen([TIMER, result] + argv, cwd=cwd, env=env,
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        killed = []

        def kill():
            killed.append(True)
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(cap, kill) if cap else None
        if timer:
            timer.start()
        proc.wait()
        if timer:
            timer.cancel()
    if killed:
        raise Capped()
    # Leftover children (make's, snakemake's) die with the group.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    with open(result) as f:
        secs, rss, code, cpu = f.read().split()
    LAST_CPU[0] = float(cpu)
    os.remove(result)
    if proc.returncode != 0 or code != "0":
        raise Failed(f"{argv[0]} exited with {code}; see {log_path}")
    return float(secs), int(rss)


# ---------------------------------------------------------------------------------------------
# Build tools on the generated pipelines.

def tool_argv(tool, luisy, jobs, dry):
    if tool.startswith("luisy"):
        return [luisy, "build", "-n"] if dry else [luisy, "build", "-j", str(jobs)]
    if tool == "ninja":
        return ["ninja", "-n"] if dry else ["ninja", "-j", str(jobs)]
    if tool == "make":
        return ["make", "-n"] if dry else ["make", "-j", str(jobs)]
    if tool == "snakemake":
        return (["snakemake", "-n", "--cores", str(jobs)] if dry
                else ["snakemake", "--cores", str(jobs)])
    raise ValueError(tool)


def clean_workspace(ws):
    for name in ["out", ".luisy", "luisy-cache", ".ninja_log", ".ninja_deps", ".snakemake"]:
        p = os.path.join(ws, name)
        if os.path.isdir(p):
            shutil.rmtree(p)
        elif os.path.exists(p):
            os.remove(p)
    os.makedirs(os.path.join(ws, "out"))


def rm_tree(path):
    if os.path.isdir(path):
        shutil.rmtree(path)


def same_bytes(a, b):
    with open(a, "rb") as fa, open(b, "rb") as fb:
        return fa.read() == fb.read()


def edit_source(ws, meta, counter):
    with open(os.path.join(ws, meta["edit_source"]), "w") as f:
        f.write(f"edited {counter} {time.time_ns()}\n")


def touch_source(ws, meta):
    p = os.path.join(ws, meta["edit_source"])
    now = time.time_ns()
    os.utime(p, ns=(now, now))


class Bench:
    def __init__(self, args):
        self.a = args
        self.rows = []  # dicts, see record()
        self.skip = {}  # tool -> why it is not run in the remaining cases of this size
        self.on_row = None  # called after every row (writes the result files)

    def env_for(self, tool, ws):
        env = dict(os.environ)
        if tool == "luisy-nostore":
            env["LUISY_LOCAL_CACHE"] = "off"
        if tool.startswith("luisy"):
            # The local content store starts empty with the workspace (a full build from
            # clean must run every command, not restore it from an earlier round).
            env["LUISY_CACHE_DIR"] = os.path.join(ws, "luisy-cache")
            env.pop("LUISY_REMOTE", None)
        return env

    def run(self, argv, cwd, env, label, cap):
        """An untimed step (setup, seeding); its output goes to logs/LABEL.log."""
        return run_timed(argv, cwd, env, os.path.join(self.a.work, "logs", f"{label}.log"), cap)

    def log(self, msg):
        print(msg, file=sys.stderr, flush=True)

    def measure_round_robin(self, case, size, tools, setup, prepare, argv_of, cwd_of, env_of,
                            note=""):
        """Setup each tool once, warm up, then reps rounds in turn. Records one row."""
        a = self.a
        results = {t: {"times": [], "rss": [], "cpu": [], "status": "ok"} for t in tools}
        live = list(tools)
        for t in tools:
            if t in self.skip:
                results[t]["status"] = self.skip[t]
                live.remove(t)
                continue
            try:
                setup(t)
            except (Capped, Failed) as e:
                results[t]["status"] = "setup>cap" if isinstance(e, Capped) else f"failed: {e}"
                live.remove(t)
                self.log(f"  {t}: setup {results[t]['status']}")
        for rnd in range(a.warmup + a.reps):
            warm = rnd < a.warmup
            for t in list(live):
                prepare(t, rnd)
                log_path = os.path.join(a.work, "logs", f"{size}-{case}-{t}.log")
                try:
                    secs, rss = run_timed(argv_of(t), cwd_of(t), env_of(t), log_path, a.cap)
                except Capped:
                    results[t]["status"] = f">{a.cap:g}s"
                    live.remove(t)
                    self.log(f"  {t}: over the {a.cap:g} s cap")
                    continue
                except Failed as e:
                    results[t]["status"] = f"failed: {e}"
                    live.remove(t)
                    self.log(f"  {t}: {e}")
                    continue
                if not warm:
                    results[t]["times"].append(secs)
                    results[t]["rss"].append(rss)
                    results[t]["cpu"].append(LAST_CPU[0])
            if not warm:
                self.log(f"  round {rnd - a.warmup + 1}/{a.reps}: " + ", ".join(
                    f"{t} {results[t]['times'][-1] * 1000:.0f} ms" for t in live
                    if results[t]["times"]))
        self.record(case, size, results, note)

    def record(self, case, size, results, note):
        row = {"case": case, "size": size, "note": note, "tools": {}, "reps": self.a.reps,
               "warmup": self.a.warmup,
               "command": invocation()}
        for t, r in results.items():
            row["tools"][t] = {
                "status": r["status"],
                "median_s": statistics.median(r["times"]) if r["times"] else None,
                "min_s": min(r["times"]) if r["times"] else None,
                "max_s": max(r["times"]) if r["times"] else None,
                "times_s": r["times"],
                "peak_rss_kib": max(r["rss"]) if r["rss"] else None,
                # User + system CPU of the tree: less sensitive to the machine's load than
                # wall time (but it counts the commands' CPU too).
                "cpu_median_s": statistics.median(r["cpu"]) if r["cpu"] else None,
            }
            if "extra" in r:
                row["tools"][t].update(r["extra"])
        self.rows.append(row)
        print(format_row_text(row), flush=True)
        if self.on_row:
            self.on_row()

    # -- build cases --------------------------------------------------------------------------

    def make_workspaces(self, size, tools):
        a = self.a
        large = f"-large{a.large_files}x{a.large_mib}" if a.large_files else ""
        base = os.path.join(a.work, f"g{size}{large}")
        tmpl = os.path.join(base, "template")
        if not os.path.exists(os.path.join(tmpl, "meta.json")):
            subprocess.run([sys.executable, os.path.join(HERE, "gen_pipeline.py"), tmpl,
                            "--tasks", str(size), "--large-files", str(a.large_files),
                            "--large-mib", str(a.large_mib)], check=True)
        with open(os.path.join(tmpl, "meta.json")) as f:
            meta = json.load(f)
        files = {"luisy": "pipeline.yaml", "luisy-nostore": "pipeline.yaml", "ninja": "build.ninja", "make": "Makefile",
                 "snakemake": "Snakefile"}
        ws = {}
        for t in tools:
            # Kept across invocations (a 100,000-task build is long): the sources are copied
            # once, the tool's file whenever it differs from the template.
            d = os.path.join(base, t)
            if not os.path.exists(os.path.join(d, "src")):
                rm_tree(d)
                shutil.copytree(os.path.join(tmpl, "src"), os.path.join(d, "src"))
            dest = os.path.join(d, files[t])
            src = os.path.join(tmpl, files[t])
            if not os.path.exists(dest) or not same_bytes(src, dest):
                shutil.copy(src, dest)
            os.makedirs(os.path.join(d, "out"), exist_ok=True)
            ws[t] = d
        return ws, meta

    def run_build_cases(self, size):
        a = self.a
        tools = [t for t in a.tools if t in BUILD_TOOLS + EXTRA_TOOLS]
        cases = [c for c in a.cases if c in BUILD_CASES]
        if not tools or not cases:
            return
        self.log(f"== {size} tasks: generating workspaces")
        ws, meta = self.make_workspaces(size, tools)
        self.skip = {}
        setup_cap = a.cap * 3 if a.cap else None
        built = {t: False for t in tools}
        counter = [0]

        def ensure_built(t):
            # A build, not a clean one: a workspace left by an earlier invocation is reused.
            if built[t]:
                return
            run_timed(tool_argv(t, a.luisy, a.jobs, False), ws[t], self.env_for(t, ws[t]),
                      os.path.join(a.work, "logs", f"{size}-setup-{t}.log"), setup_cap)
            built[t] = True

        argv_build = lambda t: tool_argv(t, a.luisy, a.jobs, False)  # noqa: E731
        cwd = lambda t: ws[t]  # noqa: E731
        env = lambda t: self.env_for(t, ws[t])  # noqa: E731
        nothing = lambda t, rnd: None  # noqa: E731

        for case in cases:
            self.log(f"== {size} tasks, case {case}")
            if case == "full":
                def prep_full(t, rnd):
                    clean_workspace(ws[t])
                    built[t] = False

                def after_full_setup(t):
                    pass
                self.measure_round_robin(case, size, tools, after_full_setup, prep_full,
                                         argv_build, cwd, env)
                # The last round left a complete build (unless it was capped).
                for t in tools:
                    status = self.rows[-1]["tools"][t]["status"]
                    built[t] = status == "ok"
                    if status.startswith(">"):
                        self.skip[t] = f"skipped (full {status})"
            elif case == "noop":
                self.measure_round_robin(case, size, tools, ensure_built, nothing, argv_build,
                                         cwd, env)
            elif case == "touch":
                self.measure_round_robin(case, size, tools, ensure_built,
                                         lambda t, rnd: touch_source(ws[t], meta), argv_build,
                                         cwd, env, note=f"touch {meta['edit_source']}")
            elif case == "edit":
                def prep_edit(t, rnd):
                    counter[0] += 1
                    edit_source(ws[t], meta, counter[0])
                self.measure_round_robin(case, size, tools, ensure_built, prep_edit,
                                         argv_build, cwd, env,
                                         note=f"new bytes in {meta['edit_source']}")
            elif case == "dry-run":
                def setup_dry(t):
                    ensure_built(t)
                    counter[0] += 1
                    edit_source(ws[t], meta, counter[0])
                    built[t] = False  # the next build case would have work to do

                self.measure_round_robin(case, size, tools, setup_dry, nothing,
                                         lambda t: tool_argv(t, a.luisy, a.jobs, True), cwd,
                                         env, note=f"after an edit of {meta['edit_source']}")
            elif case == "parse":
                # luisy keeps the expanded graph in .luisy/plan and parses the YAML only when
                # it changed; the others parse their file on every run. This is the no-op
                # after an edit of the pipeline file: the peak memory of planning.
                def prep_parse(t, rnd):
                    if t.startswith("luisy"):
                        p = os.path.join(ws[t], ".luisy", "plan")
                        if os.path.exists(p):
                            os.remove(p)
                self.measure_round_robin(case, size, tools, ensure_built, prep_parse,
                                         argv_build, cwd, env,
                                         note="luisy: .luisy/plan deleted before each run")


# ---------------------------------------------------------------------------------------------
# Tables.

def fmt_time(tool_row):
    if tool_row["median_s"] is None:
        return tool_row["status"].split(":")[0]
    s = tool_row["median_s"]
    return f"{s * 1000:.0f} ms" if s < 10 else f"{s:.1f} s"


def fmt_rss(tool_row):
    k = tool_row.get("peak_rss_kib")
    return "-" if k is None else f"{k / 1024:.1f} MB"


def ratio_cells(row):
    tools = list(row["tools"])
    me = row["tools"].get("luisy")
    cells = []
    for t in tools:
        if t == "luisy":
            continue
        peer = row["tools"][t]
        if me and me["median_s"] and peer["median_s"]:
            cells.append(f"{t} {me['median_s'] / peer['median_s']:.2f}")
        elif me and me["median_s"] and peer["status"].startswith(">"):
            cap = float(peer["status"][1:].split("s")[0])
            cells.append(f"{t} <{me['median_s'] / cap:.3f}")
        else:
            cells.append(f"{t} -")
    return ", ".join(cells)


def format_row_text(row):
    times = "  ".join(f"{t} {fmt_time(r)}" for t, r in row["tools"].items())
    rss = "  ".join(f"{t} {fmt_rss(r)}" for t, r in row["tools"].items())
    return (f"{row['case']:>14} {row['size']:>7}  {times}  | luisy/peer: {ratio_cells(row)}"
            f"  | peak RSS: {rss}")


def markdown(rows, meta):
    out = [f"# luisy benchmarks, {meta['date']} on {meta['host']}", "",
           f"{meta['cpus']} CPUs, {meta['mem_gib']:.0f} GiB RAM; luisy {meta['luisy_version']}, "
           f"{meta['versions']}.", "",
           "Commands: " + "; ".join(f"`{c}`" for c in meta["commands"]) + ". Medians of the "
           "rounds (reps, after warm-up rounds: see the JSON), tools taking turns in each round; "
           f"-j{meta['jobs']}; a run over the cap (--cap) was killed and is shown as `>CAPs`; "
           "a tool capped in the full build is skipped in the other cases of that size. "
           "CPU is user + system time of the whole process tree (commands included): less "
           "sensitive to the load than wall time. The machine is shared "
           "with other jobs: absolute times are noisy, the ratios (same rounds, alternating) are "
           "what counts. Ratio = luisy's median / the peer's (below 1: luisy is faster).", "",
           "| case | tasks | median wall time per tool | luisy / peer | peak RSS per tool | median CPU per tool | note |",
           "|---|---:|---|---|---|---|---|"]
    for row in rows:
        times = ", ".join(f"{t} {fmt_time(r)}" for t, r in row["tools"].items())
        rss = ", ".join(f"{t} {fmt_rss(r)}" for t, r in row["tools"].items())
        title = CASE_TITLES.get(row["case"], row["case"])
        cpu = ", ".join(f"{t} {r['cpu_median_s'] * 1000:.0f} ms" if r['cpu_median_s'] < 10
                        else f"{t} {r['cpu_median_s']:.1f} s"
                        for t, r in row["tools"].items() if r.get("cpu_median_s") is not None)
        out.append(f"| {title} | {row['size']} | {times} | {ratio_cells(row)} | {rss} | {cpu} | "
                   f"{row.get('note', '')} |")
    return "\n".join(out) + "\n"


def tool_versions(tools):
    v = []
    probes = {"ninja": ["ninja", "--version"], "make": ["make", "--version"],
              "snakemake": ["snakemake", "--version"], "xxhsum": ["xxhsum", "-V"],
              "node": ["node", "--version"]}
    for t in tools:
        if t in probes and shutil.which(probes[t][0]):
            r = subprocess.run(probes[t], capture_output=True, text=True)
            line = (r.stdout or r.stderr).strip().splitlines()[0] if (r.stdout or r.stderr) else "?"
            v.append(f"{t} {line.replace('GNU Make ', '')}")
    return ", ".join(v)


def invocation():
    """The command line as a user types it (scripts/bench adds --luisy itself)."""
    args, skip = [], False
    for arg in sys.argv[1:]:
        if skip:
            skip = False
        elif arg == "--luisy":
            skip = True
        elif not arg.startswith("--luisy="):
            args.append(f"'{arg}'" if arg == "" or " " in arg else arg)
    return " ".join(["scripts/bench"] + args)


def write_results(a, new_rows, quiet):
    host = socket.gethostname()
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    base = os.path.join(a.results, f"{date}-{host}")
    # Rows of earlier runs of the same day and host are kept unless this run measured the
    # same case, size and tools again: several invocations build one table.
    rows = []
    if os.path.exists(base + ".json"):
        with open(base + ".json") as f:
            rows = json.load(f).get("rows", [])
    fresh = {(r["case"], r["size"]): r for r in new_rows}
    for r in rows:
        # A tool that an earlier run could only mark (over the cap) keeps its mark.
        newer = fresh.get((r["case"], r["size"]))
        if newer:
            for t, v in r["tools"].items():
                if t not in newer["tools"] and v.get("median_s") is None:
                    newer["tools"][t] = dict(v, status=v["status"] + " (earlier run)")
    rows = [r for r in rows if (r["case"], r["size"]) not in fresh] + new_rows
    order = {c: i for i, c in enumerate(ROW_ORDER)}
    rows.sort(key=lambda r: (order.get(r["case"], 99), r["size"]))
    version = subprocess.run([a.luisy, "--version"], capture_output=True, text=True).stdout.strip()
    meta = {
        "date": date, "host": host, "cpus": os.cpu_count(),
        "mem_gib": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30,
        "luisy_version": version, "versions": tool_versions(["ninja", "make", "snakemake",
                                                            "xxhsum", "node"]),
        "command": invocation(), "reps": a.reps,
        "warmup": a.warmup, "jobs": a.jobs, "cap": a.cap,
        "commands": sorted({r.get("command", "") for r in rows}),
    }
    with open(base + ".json", "w") as f:
        json.dump({"meta": meta, "rows": rows}, f, indent=1)
    text = markdown(rows, meta)
    with open(base + ".md", "w") as f:
        f.write(text)
    if not quiet:
        print()
        print(text)
        print(f"written: {base}.md, {base}.json")




def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--luisy", required=True)
    ap.add_argument("--sizes", default="1000,10000",
                    help="task counts of the generated pipelines ('' for none)")
    ap.add_argument("--cases", default=",".join(ALL_CASES),
                    help="of: " + ", ".join(ALL_CASES))
    ap.add_argument("--tools", default=",".join(BUILD_TOOLS),
                    help="build cases, of: " + ", ".join(BUILD_TOOLS + EXTRA_TOOLS))
    ap.add_argument("--reps", type=int, default=5, help="timed rounds per case")
    ap.add_argument("--warmup", type=int, default=1, help="untimed rounds first")
    ap.add_argument("--cap", type=float, default=300,
                    help="seconds after which one run is killed (0: none)")
    ap.add_argument("--jobs", type=int, default=2, help="-j of every build")
    ap.add_argument("--large-files", type=int, default=0,
                    help="add K large sources to the generated pipelines (read by layer 0)")
    ap.add_argument("--large-mib", type=int, default=64, help="size of each large source")
    ap.add_argument("--work", default="/tmp/luisy-bench",
                    help="workspaces, data, logs (kept: a rerun reuses them)")
    ap.add_argument("--results", default=os.path.join(HERE, "results"))
    ap.add_argument("--hash-mib", type=int, default=1024,
                    help="total size of each hashing data set (few large files; many small)")
    ap.add_argument("--hash-small-files", type=int, default=100000)
    ap.add_argument("--remote-mib", type=int, default=1024)
    ap.add_argument("--remote-small-files", type=int, default=10000)
    ap.add_argument("--transfers", type=int, default=16,
                    help="luisy's --transfers and the SDK's concurrency")
    ap.add_argument("--tables-only", action="store_true",
                    help="measure nothing: rewrite today's Markdown table from its JSON")
    ap.add_argument("--remote-pipeline", type=int, default=10000,
                    help="tasks of the pipeline whose final task --download fetches")
    a = ap.parse_args()
    a.luisy = os.path.abspath(a.luisy)
    a.work = os.path.abspath(a.work)
    a.sizes = [int(s) for s in a.sizes.split(",") if s]
    a.cases = [c for c in a.cases.split(",") if c]
    a.tools = [t for t in a.tools.split(",") if t]
    for c in a.cases:
        if c not in ALL_CASES:
            ap.error(f"unknown case {c} (cases: {', '.join(ALL_CASES)})")
    os.makedirs(os.path.join(a.work, "logs"), exist_ok=True)
    build_timer(a.work)
    os.makedirs(a.results, exist_ok=True)

    if a.tables_only:
        write_results(a, [], quiet=False)
        return
    bench = Bench(a)
    bench.on_row = lambda: write_results(a, bench.rows, quiet=True)
    for size in a.sizes:
        bench.run_build_cases(size)
    if "hash" in a.cases:
        cases_extra.run_hash_cases(bench)
    if "remote" in a.cases:
        cases_extra.run_remote_cases(bench)

    write_results(a, bench.rows, quiet=False)


if __name__ == "__main__":
    main()
