"""Prints a TSV of lines and words per chapter file of a directory, plus a total.

Usage: word_counts.py CHAPTERDIR > OUTPUT
"""
import os
import sys


def main():
    directory = sys.argv[1]
    total_lines = total_words = 0
    print("chapter\tlines\twords")
    for name in sorted(os.listdir(directory)):
        with open(os.path.join(directory, name)) as f:
            text = f.read()
        lines, words = text.count("\n"), len(text.split())
        total_lines += lines
        total_words += words
        print(f"{os.path.splitext(name)[0]}\t{lines}\t{words}")
    print(f"total\t{total_lines}\t{total_words}")


if __name__ == "__main__":
    main()
