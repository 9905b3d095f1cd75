"""Inner join of orders and customers on customer_id; orders of unknown customers are
dropped (and counted on stderr).

Usage: join.py --customers CUSTOMERS --orders ORDERS --out OUTPUT
"""
import argparse
import csv
import os
import sys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", required=True)
    parser.add_argument("--orders", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    with open(args.customers, newline="") as f:
        customers = {row["customer_id"]: row for row in csv.DictReader(f)}

    joined, unknown = [], 0
    with open(args.orders, newline="") as f:
        for order in csv.DictReader(f):
            customer = customers.get(order["customer_id"])
            if customer is None:
                unknown += 1
                continue
            joined.append({**order, "name": customer["name"], "country": customer["country"]})
    if unknown:
        print(f"join: {unknown} order(s) of unknown customers dropped", file=sys.stderr)

    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", newline="") as f:
        writer = csv.DictWriter(
            f, fieldnames=["order_id", "order_date", "customer_id", "name", "country", "amount"],
            lineterminator="\n")
        writer.writeheader()
        writer.writerows(joined)


if __name__ == "__main__":
    main()
