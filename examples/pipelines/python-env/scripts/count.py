"""Counts the words of a text file and writes word,count rows, most frequent first."""
import argparse
import collections
import csv
import re

parser = argparse.ArgumentParser()
parser.add_argument("text")
parser.add_argument("--out", required=True)
args = parser.parse_args()

with open(args.text, encoding="utf-8") as f:
    words = re.findall(r"[a-z']+", f.read().lower())
counts = collections.Counter(words)
with open(args.out, "w", newline="", encoding="utf-8") as f:
    writer = csv.writer(f)
    writer.writerow(["word", "count"])
    # Ties broken by the word, so the output does not depend on dictionary order.
    for word, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        writer.writerow([word, count])
