"""Rows per second of the bulk scale seed on PostgreSQL.

createdb caunoi_bench
DATABASE_URL=postgres://postgres@127.0.0.1/caunoi_bench .venv/bin/python benchmarks/seed_rate.py 50000
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

CAUNOI = os.path.join(os.path.dirname(sys.executable), "caunoi")


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to an empty PostgreSQL database.")
    subprocess.run([CAUNOI, "migrate", "-v0"], check=True)
    started = time.perf_counter()
    subprocess.run([CAUNOI, "seed"], check=True, stdout=subprocess.DEVNULL)
    print(f"places + demo network: {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    out = subprocess.run(
        [CAUNOI, "seed", "--no-demo", "--workers", str(count)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    elapsed = time.perf_counter() - started
    print(out.strip().splitlines()[-2].strip())
    print(
        f"{count} workers ({2 * count} rows: users + memberships) in {elapsed:.1f} s "
        f"= {2 * count / elapsed:,.0f} rows/s including start-up"
    )


if __name__ == "__main__":
    main()
