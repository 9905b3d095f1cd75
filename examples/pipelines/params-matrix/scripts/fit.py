"""Fits one model to the points of a CSV file and writes its coefficients and error as JSON.

Models: mean (y = c), linear (y = a x + b), quadratic (y = a x^2 + b x + c), solved by
least squares with the normal equations (small systems, plain Python).
"""
import argparse
import csv
import json
import os

DEGREES = {"mean": 0, "linear": 1, "quadratic": 2}


def solve(matrix, vector):
    """Gaussian elimination with partial pivoting."""
    n = len(vector)
    a = [row[:] + [vector[i]] for i, row in enumerate(matrix)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
        a[col], a[pivot] = a[pivot], a[col]
        for r in range(col + 1, n):
            factor = a[r][col] / a[col][col]
            for c in range(col, n + 1):
                a[r][c] -= factor * a[col][c]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        x[r] = (a[r][n] - sum(a[r][c] * x[c] for c in range(r + 1, n))) / a[r][r]
    return x


def fit(points, degree):
    """Coefficients c0..c_degree of y = sum c_k x^k."""
    size = degree + 1
    matrix = [[sum(x ** (i + j) for x, _ in points) for j in range(size)] for i in range(size)]
    vector = [sum(y * x ** i for x, y in points) for i in range(size)]
    return solve(matrix, vector)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", choices=sorted(DEGREES), required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    with open(args.data, newline="") as f:
        points = [(float(row["x"]), float(row["y"])) for row in csv.DictReader(f)]
    coefficients = fit(points, DEGREES[args.model])
    predict = lambda x: sum(c * x ** k for k, c in enumerate(coefficients))
    mse = sum((y - predict(x)) ** 2 for x, y in points) / len(points)

    result = {
        "model": args.model,
        "points": len(points),
        "coefficients": [round(c, 6) for c in coefficients],
        "mse": round(mse, 6),
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
