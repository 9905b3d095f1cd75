"""Collects the fits (every *.json argument; other arguments, such as this script's own
path that luisy passes as the first input, are skipped) into a Markdown table."""
import argparse
import json
import os


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--decimals", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("inputs", nargs="+")
    args = parser.parse_args()

    fits = []
    for path in args.inputs:
        if path.endswith(".json"):
            with open(path) as f:
                fits.append(json.load(f))
    fits.sort(key=lambda fit: (fit["mse"], fit["model"]))

    lines = ["# Model comparison", "", "| model | coefficients (c0, c1, ...) | mean squared error |",
             "|---|---|---|"]
    for fit in fits:
        coefficients = ", ".join(f"{c:.{args.decimals}f}" for c in fit["coefficients"])
        lines.append(f"| {fit['model']} | {coefficients} | {fit['mse']:.{args.decimals}f} |")
    lines += ["", f"Best model: **{fits[0]['model']}** ({fits[0]['points']} points)."]

    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
