"""Rewrites every chapter of INDIR as lower-case words, one per line, into OUTDIR
(same file names): a directory output computed from a directory input.

Usage: normalize.py INDIR OUTDIR
"""
import os
import re
import shutil
import sys


def main():
    indir, outdir = sys.argv[1], sys.argv[2]
    shutil.rmtree(outdir, ignore_errors=True)
    os.makedirs(outdir)
    for name in sorted(os.listdir(indir)):
        with open(os.path.join(indir, name)) as f:
            words = re.findall(r"[a-z]+(?:'[a-z]+)?", f.read().lower())
        with open(os.path.join(outdir, name), "w") as f:
            f.write("\n".join(words) + "\n")


if __name__ == "__main__":
    main()
