#!/usr/bin/env python3
"""make_files.py DIR COUNT SIZE: COUNT files of SIZE random bytes each (all different), as
DIR/dNN/fNNNNN.bin, 1000 to a directory. The task of the remote benchmark's small-files case."""
import os
import sys

d, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(count):
    sub = os.path.join(d, f"d{i // 1000:03d}")
    if i % 1000 == 0:
        os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, f"f{i:06d}.bin"), "wb") as f:
        f.write(os.urandom(size))
