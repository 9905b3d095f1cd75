"""sum_counts.py COUNTS... OUT: the counts summed, most frequent first (ties by word)."""
import collections
import sys

*count_paths, out_path = sys.argv[1:]
total = collections.Counter()
for path in count_paths:
    with open(path, encoding="utf-8") as f:
        for line in f:
            word, count = line.rstrip("\n").split("\t")
            total[word] += int(count)
with open(out_path, "w", encoding="utf-8") as out:
    for word, count in sorted(total.items(), key=lambda item: (-item[1], item[0])):
        out.write(f"{word}\t{count}\n")
