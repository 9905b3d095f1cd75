"""Cleans the customer export: trims every field, upper-cases country codes, drops rows
without an id or a name, keeps the first row of each id, and sorts by id.

Usage: clean_customers.py INPUT OUTPUT
"""
import csv
import os
import sys


def main():
    source, target = sys.argv[1], sys.argv[2]
    seen = set()
    rows = []
    with open(source, newline="") as f:
        for row in csv.DictReader(f):
            row = {key: (value or "").strip() for key, value in row.items()}
            if not row["customer_id"] or not row["name"]:
                continue
            customer_id = int(row["customer_id"])
            if customer_id in seen:
                continue
            seen.add(customer_id)
            rows.append({"customer_id": customer_id, "name": row["name"],
                         "country": row["country"].upper(), "signup_date": row["signup_date"]})
    rows.sort(key=lambda r: r["customer_id"])

    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["customer_id", "name", "country", "signup_date"],
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main()
