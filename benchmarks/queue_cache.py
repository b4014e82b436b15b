"""The work lists' query plans, and the queue pages and dashboards cold and warm.

``plans``: EXPLAIN (ANALYZE, BUFFERS) of each work list's first page (the 50 rows that
``GET /api/consults`` answers, and its count) for the demo personas and for the specialist with
the most assigned consultations, on PostgreSQL; prints each plan's top node and execution time.

``pages``: the specialist queue, the worker's and the specialist's ``mine`` page, the worker
home and the province and network dashboards through Django's test client, in-process, one
request at a time: queries and milliseconds of the first request after the cached copy is
forgotten (cold) and of the next ones (warm), median over ``--runs``.

    createdb -h 127.0.0.1 -U postgres caunoi_bench
    DATABASE_URL=postgres://postgres@127.0.0.1/caunoi_bench .venv/bin/python -m caunoi.cli migrate
    DATABASE_URL=... .venv/bin/python -m caunoi.cli seed --consults 100000
    (from the repository root, so that its ``caunoi`` is the one imported)
    DATABASE_URL=... [REDIS_URL=redis://127.0.0.1:6379/0] .venv/bin/python benchmarks/queue_cache.py plans
    (from the repository root, so that its ``caunoi`` is the one imported)
    DATABASE_URL=... [REDIS_URL=...] .venv/bin/python benchmarks/queue_cache.py pages --runs 30

Run ``caunoi collectstatic`` once first (the pages use the hashed static files).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caunoi.config.settings")
import django

django.setup()

from django.db import connection, reset_queries
from django.db.models import Count, QuerySet
from django.test import Client
from django.test.utils import CaptureQueriesContext

from caunoi.accounts.models import User
from caunoi.consults.models import Consultation
from caunoi.consults.selectors import WorkList, queue, queues_for


def _busiest_specialist() -> User:
    row = (
        Consultation.objects.exclude(specialist=None)
        .values("specialist")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    assert row is not None, "seed consultations first"
    return User.objects.get(pk=row["specialist"])


def plans() -> None:
    people = [User.objects.get(username=u) for u in ("worker", "specialist", "coordinator")]
    people.append(_busiest_specialist())
    for user in people:
        for name in queues_for(user):
            qs = queue(user, name)
            top = qs._page(0, 50) if isinstance(qs, WorkList) else qs[:50]
            for label, explained in (
                ("top 50", top.explain(analyze=True, buffers=True)),
                ("count", _count_plan(qs)),
            ):
                lines = explained.splitlines()
                took = next((x for x in lines if x.startswith("Execution Time")), "?")
                print(
                    f"{user.username:>14} {name:<8} {label:<6} {took:<28} {lines[0].strip()[:90]}"
                )


def _count_plan(qs: QuerySet[Consultation] | WorkList) -> str:
    if isinstance(qs, WorkList):
        arms = [arm.order_by().values("pk") for arm in qs.arms]
        qs = arms[0].union(*arms[1:], all=True) if len(arms) > 1 else arms[0]
    sql, params = qs.order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) SELECT COUNT(*) FROM ({sql}) q", params)  # noqa: S608
        return "\n".join(row[0] for row in cursor.fetchall())


def _measure(client: Client, path: str, forget: Callable[[], None], runs: int) -> str:
    def one() -> tuple[int, float]:
        reset_queries()
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = client.get(path)
            took = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (path, response.status_code)
        return len(ctx.captured_queries), took

    one()  # the process's first-use caches (templates, translations, sessions)
    cold = []
    for _ in range(max(3, runs // 3)):
        forget()
        cold.append(one())
    warm = [one() for _ in range(runs)]
    return (
        f"cold {cold[-1][0]:>3} queries {statistics.median(t for _, t in cold):7.1f} ms · "
        f"warm {warm[-1][0]:>3} queries {statistics.median(t for _, t in warm):7.1f} ms"
    )


def pages(runs: int) -> None:
    from caunoi.consults import queue_cache
    from caunoi.monitoring import dashboard_cache

    officer = User.objects.get(username="officer")
    admin = User.objects.filter(is_superuser=True).first() or User.objects.get(username="admin")
    cases = [
        ("specialist", "/consults/?queue=hub", queue_cache.forget_all),
        ("specialist", "/consults/?queue=mine", queue_cache.forget_all),
        ("worker", "/consults/?queue=mine", queue_cache.forget_all),
        ("coordinator", "/consults/?queue=triage", queue_cache.forget_all),
        ("worker", "/", queue_cache.forget_all),
        ("specialist", "/", queue_cache.forget_all),
        ("specialist", "/api/consults?queue=mine", queue_cache.forget_all),
        (officer.username, "/monitoring/", dashboard_cache.forget_all),
        (admin.username, "/monitoring/?place=network", dashboard_cache.forget_all),
    ]
    for username, path, forget in cases:
        client = Client()
        client.force_login(User.objects.get(username=username))
        print(f"{username:>12} {path:<30} {_measure(client, path, forget, runs)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["plans", "pages"])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    if args.what == "plans":
        assert connection.vendor == "postgresql", "EXPLAIN (ANALYZE) is PostgreSQL's"
        plans()
    else:
        pages(args.runs)


if __name__ == "__main__":
    main()
