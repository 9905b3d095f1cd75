"""Splits a book into one file per chapter: OUTDIR/chapter_01.txt, chapter_02.txt, ...

The number of files depends on the book, which is why the task declares the directory,
not the files, as its output. The directory is emptied first so a chapter removed from
the book does not leave a stale file behind.

Usage: split_chapters.py BOOK OUTDIR
"""
import os
import re
import shutil
import sys


def main():
    book, outdir = sys.argv[1], sys.argv[2]
    with open(book) as f:
        text = f.read()
    # Everything before the first heading is front matter and is dropped.
    parts = re.split(r"^CHAPTER (\d+)\. (.*)$", text, flags=re.MULTILINE)
    shutil.rmtree(outdir, ignore_errors=True)
    os.makedirs(outdir)
    for i in range(1, len(parts), 3):
        number, title, body = int(parts[i]), parts[i + 1].strip(), parts[i + 2].strip()
        with open(os.path.join(outdir, f"chapter_{number:02d}.txt"), "w") as f:
            f.write(f"{title}\n\n{body}\n")


if __name__ == "__main__":
    main()
