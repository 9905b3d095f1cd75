"""Cleans the order export: amounts become numbers with two decimals ("1,040.00" is
accepted), dates must be ISO (YYYY-MM-DD); negative or unparseable rows are written to
the reject file with a reason.

Usage: clean_orders.py INPUT OUTPUT REJECTED
"""
import csv
import datetime
import os
import sys
from decimal import Decimal, InvalidOperation


def parse(row):
    """(clean row, None) or (None, reason)."""
    try:
        amount = Decimal(row["amount"].strip().replace(",", ""))
    except InvalidOperation:
        return None, "amount is not a number"
    if amount < 0:
        return None, "negative amount"
    try:
        date = datetime.date.fromisoformat(row["order_date"].strip())
    except ValueError:
        return None, "date is not YYYY-MM-DD"
    return {"order_id": int(row["order_id"]), "customer_id": int(row["customer_id"]),
            "amount": f"{amount:.2f}", "order_date": date.isoformat()}, None


def main():
    source, target, rejected = sys.argv[1], sys.argv[2], sys.argv[3]
    good, bad = [], []
    with open(source, newline="") as f:
        for row in csv.DictReader(f):
            clean, reason = parse(row)
            if clean:
                good.append(clean)
            else:
                bad.append({"order_id": row["order_id"], "reason": reason})
    good.sort(key=lambda r: r["order_id"])

    for path in (target, rejected):
        os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(target, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["order_id", "customer_id", "amount", "order_date"],
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows(good)
    with open(rejected, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["order_id", "reason"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(bad)


if __name__ == "__main__":
    main()
