"""Writes the first N rows of a word,count CSV as a Markdown table."""
import argparse
import csv

parser = argparse.ArgumentParser()
parser.add_argument("counts")
parser.add_argument("--top", type=int, default=5)
parser.add_argument("--out", required=True)
args = parser.parse_args()

with open(args.counts, newline="", encoding="utf-8") as f:
    rows = list(csv.DictReader(f))[: args.top]
with open(args.out, "w", encoding="utf-8") as f:
    f.write("| word | count |\n|---|---:|\n")
    for row in rows:
        f.write(f"| {row['word']} | {row['count']} |\n")
