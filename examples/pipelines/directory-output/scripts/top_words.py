"""Writes a Markdown list of the TOP most frequent words of each normalised chapter,
leaving out the stop words. Ties are broken alphabetically so the output is stable.

Usage: top_words.py --top N STOPWORDS WORDDIR OUTPUT
"""
import argparse
import collections
import os


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--top", type=int, required=True)
    parser.add_argument("stopwords")
    parser.add_argument("words")
    parser.add_argument("out")
    args = parser.parse_args()

    with open(args.stopwords) as f:
        stop = set(f.read().split())
    lines = [f"# Top {args.top} words per chapter", ""]
    for name in sorted(os.listdir(args.words)):
        with open(os.path.join(args.words, name)) as f:
            counts = collections.Counter(w for w in f.read().split() if w not in stop)
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[: args.top]
        lines.append(f"- {os.path.splitext(name)[0]}: " + ", ".join(f"{w} ({n})" for w, n in ranked))

    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
