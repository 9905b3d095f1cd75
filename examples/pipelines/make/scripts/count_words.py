"""count_words.py TEXT OUT: one line per word of TEXT (lower-cased), `word<TAB>count`."""
import collections
import re
import sys

text_path, out_path = sys.argv[1:3]
with open(text_path, encoding="utf-8") as f:
    words = re.findall(r"[a-z']+", f.read().lower())
counts = collections.Counter(word.strip("'") for word in words if word.strip("'"))
with open(out_path, "w", encoding="utf-8") as out:
    for word, count in sorted(counts.items()):
        out.write(f"{word}\t{count}\n")
