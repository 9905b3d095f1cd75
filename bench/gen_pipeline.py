#!/usr/bin/env python3
"""Writes one synthetic layered DAG as pipeline.yaml, build.ninja, Makefile and Snakefile.

    bench/gen_pipeline.py DIR --tasks 10000 [--sources 300] [--layers L] [--seed 1]
                          [--large-files K --large-mib M]

The graph: a few hundred small source files src/sNNNN.txt (and src/edit.txt, see below); N tasks in L layers; task i writes
out/tNNN.txt with `cksum` of 1-3 inputs: layer 0 reads sources, every later layer reads
1-2 outputs of the layer just above it and, one time in three, a source as well. Outputs stay
a few dozen bytes at any depth (cksum prints one line per input). The last task is the only
one of the last layer and reads 3 outputs of the layer above it: it is "the final task" that
`--download` benchmarks fetch. Every other task is also a target (nothing requires it or
something does): each tool builds all N outputs by default.

The same edges go into every file: one luisy task per node (edges are per node, so a
`matrix` cannot express them), one Ninja build edge per node, one Make rule per node, and
for Snakemake one wildcard rule with an input function over a table, which is what a
Snakemake user writes for a generated graph (one rule per node makes Snakemake's own
parsing the benchmark).
"""

import argparse
import json
import os
import random


def make_graph(n, sources, layers, seed):
    rng = random.Random(seed)
    if layers is None:
        # About as deep as wide for small graphs, wider than deep for big ones.
        layers = max(2, min(100, int(round((n ** 0.5) / 2))))
    layers = min(layers, n)
    # Layer sizes: the last layer holds only the final task.
    rest = n - 1
    body_layers = max(1, layers - 1)
    sizes = [rest // body_layers + (1 if i < rest % body_layers else 0) for i in range(body_layers)]
    sizes = [s for s in sizes if s > 0]
    tasks = []  # each: list of input paths
    layer_of = []
    prev = []
    idx = 0
    for layer, size in enumerate(sizes):
        cur = []
        for _ in range(size):
            if layer == 0:
                k = rng.randint(1, 3)
                ins = [f"src/s{j:04d}.txt" for j in sorted(rng.sample(range(sources), k))]
            else:
                k = rng.randint(1, min(2, len(prev)))
                ins = [f"out/t{p:06d}.txt" for p in sorted(rng.sample(prev, k))]
                if rng.random() < 1 / 3:
                    ins.append(f"src/s{rng.randrange(sources):04d}.txt")
            tasks.append(ins)
            layer_of.append(layer)
            cur.append(idx)
            idx += 1
        prev = cur
    # The final task.
    k = min(3, len(prev))
    tasks.append([f"out/t{p:06d}.txt" for p in sorted(rng.sample(prev, k))])
    layer_of.append(len(sizes))
    # The source that the touch and edit cases change, src/edit.txt, is read by one task six
    # layers above the last: about as many tasks depend on it as on a typical edit in a real
    # pipeline (a handful to a few dozen), where an edit of a layer-0 source would rebuild
    # most of the graph.
    edit_layer = max(0, len(sizes) - 6)
    in_layer = [i for i, layer in enumerate(layer_of) if layer == edit_layer]
    read = {p for ins in tasks for p in ins}
    chosen = next((i for i in in_layer if out_path(i) in read), in_layer[0])
    tasks[chosen].append("src/edit.txt")
    return tasks, len(sizes) + 1


def downstream_count(tasks, path):
    """How many tasks depend on path, directly or not."""
    readers = {}
    for i, ins in enumerate(tasks):
        for p in ins:
            readers.setdefault(p, []).append(i)
    seen, stack = set(), [path]
    while stack:
        for i in readers.get(stack.pop(), []):
            if i not in seen:
                seen.add(i)
                stack.append(out_path(i))
    return len(seen)


def out_path(i):
    return f"out/t{i:06d}.txt"


def write_sources(d, sources, large_files, large_mib, seed):
    os.makedirs(os.path.join(d, "src"), exist_ok=True)
    for j in range(sources):
        p = os.path.join(d, "src", f"s{j:04d}.txt")
        with open(p, "w") as f:
            f.write(f"source {j} seed {seed}\n" * (1 + j % 7))
    with open(os.path.join(d, "src", "edit.txt"), "w") as f:
        f.write("the source that the benchmark edits\n")
    for j in range(large_files):
        p = os.path.join(d, "src", f"large{j}.bin")
        if os.path.exists(p) and os.path.getsize(p) == large_mib << 20:
            continue
        with open(p, "wb") as f:
            block = random.Random(seed + j).randbytes(1 << 20)
            for m in range(large_mib):
                f.write(block[m:] + block[:m])


def write_pipeline(d, tasks):
    lines = ["luisy: 1", "project: bench", "tasks:"]
    for i, ins in enumerate(tasks):
        lines.append(f"  t{i:06d}:")
        lines.append("    cmd: cksum {in} > {out}")
        lines.append(f"    inputs: [{', '.join(ins)}]")
        lines.append(f"    outputs: [{out_path(i)}]")
    with open(os.path.join(d, "pipeline.yaml"), "w") as f:
        f.write("\n".join(lines) + "\n")


def write_ninja(d, tasks):
    lines = ["rule cksum", "  command = cksum $in > $out", ""]
    for i, ins in enumerate(tasks):
        lines.append(f"build {out_path(i)}: cksum {' '.join(ins)}")
    with open(os.path.join(d, "build.ninja"), "w") as f:
        f.write("\n".join(lines) + "\n")


def write_make(d, tasks):
    # out/ exists before make runs (the harness creates it, as for every tool).
    lines = [".SUFFIXES:", "all: " + " ".join(out_path(i) for i in range(len(tasks))), ""]
    for i, ins in enumerate(tasks):
        lines.append(f"{out_path(i)}: {' '.join(ins)}")
        lines.append("\tcksum $^ > $@")
    with open(os.path.join(d, "Makefile"), "w") as f:
        f.write("\n".join(lines) + "\n")


def write_snakefile(d, tasks):
    table = ",\n".join(repr(ins) for ins in tasks)
    text = f"""DEPS = [
{table}
]

rule all:
    input: [f"out/t{{i:06d}}.txt" for i in range(len(DEPS))]

rule cksum:
    output: "out/t{{i}}.txt"
    input: lambda wc: DEPS[int(wc.i)]
    shell: "cksum {{input}} > {{output}}"
"""
    with open(os.path.join(d, "Snakefile"), "w") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir")
    ap.add_argument("--tasks", type=int, default=1000)
    ap.add_argument("--sources", type=int, default=300)
    ap.add_argument("--layers", type=int, default=None)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--large-files", type=int, default=0,
                    help="add K large sources src/largeJ.bin, each read by one layer-0 task")
    ap.add_argument("--large-mib", type=int, default=64)
    a = ap.parse_args()
    tasks, depth = make_graph(a.tasks, a.sources, a.layers, a.seed)
    for j in range(min(a.large_files, len(tasks))):
        tasks[j] = tasks[j] + [f"src/large{j}.bin"] if not tasks[j][0].startswith("out/") else tasks[j]
    os.makedirs(os.path.join(a.dir, "out"), exist_ok=True)
    write_sources(a.dir, a.sources, a.large_files, a.large_mib, a.seed)
    write_pipeline(a.dir, tasks)
    write_ninja(a.dir, tasks)
    write_make(a.dir, tasks)
    write_snakefile(a.dir, tasks)
    # What the harness touches and fetches: a source that a layer-0 task reads, the final task.
    with open(os.path.join(a.dir, "meta.json"), "w") as f:
        json.dump({"tasks": len(tasks), "layers": depth, "sources": a.sources,
                   "edit_source": "src/edit.txt",
                   "edit_downstream": downstream_count(tasks, "src/edit.txt"), "final_task": f"t{len(tasks) - 1:06d}",
                   "final_output": out_path(len(tasks) - 1)}, f)
    print(f"{a.dir}: {len(tasks)} tasks in {depth} layers, {a.sources} sources; "
          f"{downstream_count(tasks, 'src/edit.txt')} tasks depend on src/edit.txt"
          + (f", {a.large_files} x {a.large_mib} MiB large files" if a.large_files else ""))


if __name__ == "__main__":
    main()
