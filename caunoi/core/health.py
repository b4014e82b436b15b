"""GET /healthz: is the platform able to serve, and which part is down?

Checks the database, the task queue and the task worker's heartbeat (required: without them
nothing is saved, or deadlines, escalations and emails stop), and the channel layer and the
cache (Redis in production; extras: without them pages lose live updates and everybody counts
as offline, so notifications go out by email, but every request still works).

- all ok: 200, ``"status": "ok"``;
- only extras down: 200, ``"status": "degraded"`` — a load balancer keeps sending traffic,
  monitoring sees which check failed;
- a required check down: 503, ``"status": "fail"``.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from caunoi.core.models import WorkerHeartbeat


class CheckFailed(Exception):
    """A check's failure with figures to report beside the message."""

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.extra = extra


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def check_channel_layer() -> str:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")

    async def round_trip() -> None:
        async with asyncio.timeout(settings.REDIS_TIMEOUT):
            # The default prefix, as the consumers' channels have: the Redis layer reads every
            # process-local channel of a prefix through one blocking pop, which an open page's
            # consumer holds; with a prefix of its own this message would wait for that pop to
            # time out (5 s).
            channel = await layer.new_channel()
            token = uuid.uuid4().hex
            await layer.send(channel, {"type": "healthz.ping", "token": token})
            message = await layer.receive(channel)
        if message.get("token") != token:
            raise RuntimeError("channel layer returned another message")

    async_to_sync(round_trip)()
    return type(layer).__name__


def check_cache() -> str:
    cache = caches["default"]
    token = uuid.uuid4().hex
    cache.set("healthz", token, 30)
    if cache.get("healthz") != token:
        # caunoi.core.cache.RedisCache answers misses while Redis is down; it knows why.
        outage = getattr(cache, "outage", None)
        why = f" ({outage.last_error})" if outage is not None and outage.down else ""
        raise RuntimeError(f"the cache did not keep a value{why}")
    return type(cache).__name__


def check_tasks() -> str:
    backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
    # The database backend keeps its queue in a table; reading it proves the worker's source of
    # work is reachable. Other backends have nothing to read.
    from django_tasks_db.models import DBTaskResult

    if type(backend).__module__.startswith("django_tasks_db"):
        DBTaskResult.objects.ready().exists()
    return type(backend).__name__


def check_worker() -> dict[str, Any]:
    """Is a task worker alive? Each `caunoi worker` beats every WORKER_HEARTBEAT_SECONDS."""
    if not type(task_backends[DEFAULT_TASK_BACKEND_ALIAS]).__module__.startswith("django_tasks_db"):
        return {"backend": "none needed"}
    limit = settings.WORKER_HEARTBEAT_MAX_AGE
    now = timezone.now()
    newest = WorkerHeartbeat.objects.order_by("-beat_at").values_list("beat_at", flat=True).first()
    if newest is None:
        raise CheckFailed("no task worker is running (caunoi worker)")
    age = round((now - newest).total_seconds(), 1)
    if age > limit:
        raise CheckFailed(f"newest worker heartbeat is {age:g} s old (limit {limit} s)", age_s=age)
    alive = WorkerHeartbeat.objects.filter(beat_at__gte=now - timedelta(seconds=limit))
    return {"backend": "caunoi worker", "workers": alive.count(), "age_s": age}


CHECKS: dict[str, Callable[[], str | dict[str, Any]]] = {
    "database": check_database,
    "channel_layer": check_channel_layer,
    "cache": check_cache,
    "tasks": check_tasks,
    "worker": check_worker,
}


def health_register(name: str, check: Callable[[], str | dict[str, Any]]) -> None:
    """Add a required check owned by an app above core (registered in its ``ready()``)."""
    CHECKS[name] = check


# Checks whose failure leaves the platform serving (status "degraded", 200).
OPTIONAL = {"channel_layer", "cache"}
# What one web server needs to serve requests: ``/healthz?for=lb``, for load balancers. A task
# worker that stopped fails /healthz (monitoring must hear of it) but not this: it would take
# every web server out of service at once, turning a background failure into an outage.
SERVING = {"database"}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    results: dict[str, dict[str, object]] = {}
    for name, check in CHECKS.items():
        started = time.perf_counter()
        result: dict[str, object] = {"ok": True, "required": name not in OPTIONAL}
        try:
            detail = check()
        except Exception as exc:
            result["ok"] = False
            result["error"] = f"{type(exc).__name__}: {exc}"[:300]
            if isinstance(exc, CheckFailed):
                result.update(exc.extra)
        else:
            result.update(detail if isinstance(detail, dict) else {"backend": detail})
        result["ms"] = round((time.perf_counter() - started) * 1000, 1)
        results[name] = result
    failed = {name for name, r in results.items() if not r["ok"]}
    required = SERVING if request.GET.get("for") == "lb" else set(CHECKS) - OPTIONAL
    if failed & required:
        status, code = "fail", 503
    elif failed:
        status, code = "degraded", 200
    else:
        status, code = "ok", 200
    return JsonResponse({"status": status, "checks": results}, status=code)
