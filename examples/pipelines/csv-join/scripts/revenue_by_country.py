"""Orders, distinct customers and revenue per country, largest revenue first.

Usage: revenue_by_country.py --currency CODE JOINED OUTPUT
"""
import argparse
import csv
import os
from decimal import Decimal


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--currency", required=True)
    parser.add_argument("joined")
    parser.add_argument("out")
    args = parser.parse_args()

    totals = {}
    with open(args.joined, newline="") as f:
        for row in csv.DictReader(f):
            entry = totals.setdefault(row["country"], {"orders": 0, "customers": set(), "revenue": Decimal(0)})
            entry["orders"] += 1
            entry["customers"].add(row["customer_id"])
            entry["revenue"] += Decimal(row["amount"])

    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["country", "orders", "customers", f"revenue_{args.currency}"])
        for country, entry in sorted(totals.items(), key=lambda kv: (-kv[1]["revenue"], kv[0])):
            writer.writerow([country, entry["orders"], len(entry["customers"]), f"{entry['revenue']:.2f}"])


if __name__ == "__main__":
    main()
