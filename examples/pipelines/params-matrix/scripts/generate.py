"""Writes `samples` points (x, y) with y = 0.5 x^2 - 2 x + 3 plus Gaussian noise.

The same seed always gives the same bytes: the random generator is seeded and every
number is printed with a fixed number of digits.
"""
import argparse
import csv
import os
import random


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--samples", type=int, required=True)
    parser.add_argument("--noise", type=float, required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["x", "y"])
        for _ in range(args.samples):
            x = rng.uniform(-5.0, 5.0)
            y = 0.5 * x * x - 2.0 * x + 3.0 + rng.gauss(0.0, args.noise)
            writer.writerow([f"{x:.6f}", f"{y:.6f}"])


if __name__ == "__main__":
    main()
