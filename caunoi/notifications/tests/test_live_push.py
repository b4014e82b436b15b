"""Live pushes: sent after commit, batched per request, through one loop per process.

Each test listens on the configured channel layer (Redis when REDIS_URL is set, as in CI;
the in-memory layer otherwise) from its own event loop, and makes the pushes from other
threads, as a request or the worker does. A message that should never have been sent is
caught without waiting for it: pushes to one group arrive in order, so it would arrive before
the committed push that follows it."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings as django_settings
from django.db import connections, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from caunoi.accounts.models import ApiToken, User
from caunoi.consults.models import Consultation
from caunoi.core.tests.aio import run_async
from caunoi.notifications import live
from caunoi.notifications.models import Notification
from caunoi.patients.tests.factories import make_patient

ROOT = Path(__file__).resolve().parents[3]


class Rollback(Exception):
    pass


def _on_redis() -> bool:
    return not isinstance(get_channel_layer(), InMemoryChannelLayer)


needs_redis = pytest.mark.skipif(
    "REDIS_URL" not in os.environ, reason="the dedicated loop serves Redis (REDIS_URL)"
)


def _group() -> str:
    return f"test.{uuid.uuid4().hex}"


def _closing(function: Any) -> Any:
    """``function``, closing the database connections it opened in its thread."""

    def run(*args: Any) -> Any:
        try:
            return function(*args)
        finally:
            connections.close_all()

    return run


def _listen(
    groups: list[str], action: Any, count: int, *, in_this_thread: bool = False
) -> list[tuple[str, Any]]:
    """Join ``groups``, run ``action(loop)`` in another thread (``loop``: the listening one),
    and return the first ``count`` messages received, as (group, payload) in arrival order.
    ``in_this_thread``: run ``action(None)`` in the test's thread instead (Redis only)."""
    layer = get_channel_layer()
    joined, acted = threading.Event(), threading.Event()

    async def run() -> list[tuple[str, Any]]:
        channels = {}
        for group in groups:
            channels[group] = await layer.new_channel()
            await layer.group_add(group, channels[group])
        if in_this_thread:
            joined.set()
            await asyncio.to_thread(acted.wait, 60)
        else:
            # Not thread-sensitive: a thread of its own, with no event loop, like a WSGI
            # worker's.
            loop = asyncio.get_running_loop()
            await sync_to_async(_closing(action), thread_sensitive=False)(loop)
        pending = {
            asyncio.ensure_future(layer.receive(channel)): group
            for group, channel in channels.items()
        }
        received: list[tuple[str, Any]] = []
        async with asyncio.timeout(15):
            while len(received) < count:
                done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for future in done:
                    group = pending.pop(future)
                    received.append((group, future.result()["payload"]))
                    channel = channels[group]
                    pending[asyncio.ensure_future(layer.receive(channel))] = group
        for future in pending:
            future.cancel()
        for group, channel in channels.items():
            await layer.group_discard(group, channel)
        return received

    if not in_this_thread:
        return run_async(run)
    outcome: dict[str, Any] = {}

    def listen() -> None:
        try:
            outcome["received"] = run_async(run)
        except BaseException as exc:
            outcome["error"] = exc
        finally:
            joined.set()

    listener = threading.Thread(target=listen)
    listener.start()
    joined.wait()
    try:
        action(None)
    finally:
        acted.set()
        listener.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["received"]


def test_a_rolled_back_push_is_never_delivered(committed_db):
    group = _group()

    def action(loop):
        try:
            with transaction.atomic():
                live.push(group, {"n": "rolled back"})
                raise Rollback
        except Rollback:
            pass
        with transaction.atomic():
            live.push(group, {"n": 1})
            try:
                with transaction.atomic():
                    live.push(group, {"n": "savepoint rolled back"})
                    raise Rollback
            except Rollback:
                pass
            live.push(group, {"n": 2})
        live.flush()

    received = _listen([group], action, count=2)

    # Sent at once, the rolled-back ones would have come first (one group keeps its order).
    assert received == [(group, {"n": 1}), (group, {"n": 2})]


def test_pushes_in_a_committed_block_leave_after_commit_all_in_order(committed_db):
    first, second = _group(), _group()
    inside: dict[str, Any] = {}

    def action(loop):
        before = live.push_counts()
        with transaction.atomic():
            for n in range(15):
                live.push(first, {"n": n})
                live.push(second, {"n": n})
            inside["counts"] = live.push_counts()
        # Outside a request each commit's pushes are handed over as they are collected.
        inside["before"] = before
        live.flush()

    received = _listen([first, second], action, count=30)

    # Nothing had been handed over, let alone sent, while the transaction was open.
    assert inside["counts"] == inside["before"]
    assert [p["n"] for g, p in received if g == first] == list(range(15))
    assert [p["n"] for g, p in received if g == second] == list(range(15))


@pytest.fixture
def worker_api(committed_db, api_client):
    """The commune worker's API client and a patient with consent; everything made is removed."""
    worker = User.objects.get(username="worker")
    started = timezone.now()
    patient = make_patient(worker, name="Lò Văn Đẩy")
    yield api_client(worker), patient
    Consultation.objects.filter(patient=patient).delete()
    patient.consents.all().delete()
    patient.delete()
    ApiToken.objects.filter(user=worker, name="test").delete()
    Notification.objects.filter(created_at__gte=started).delete()
    DBTaskResult.objects.filter(enqueued_at__gte=started).delete()


def test_the_pushes_of_one_request_are_handed_over_once_after_its_commits(worker_api, monkeypatch):
    client, patient = worker_api
    collected: list[str] = []
    collect = live._collect

    def counting(item):
        collected.append(item[0])
        collect(item)

    monkeypatch.setattr(live, "_collect", counting)
    before = live.push_counts()

    response = client.post(
        "/api/consults",
        {
            "patient": str(patient.public_id),
            "specialty": "internal-medicine",
            "urgency": "urgent",
            "reason": "Sốt cao",
            "question": "Có cần chuyển tuyến không?",
        },
        content_type="application/json",
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert response.status_code == 201, response.content
    assert live.flush()
    after = live.push_counts()

    consult = Consultation.objects.get(public_id=response.json()["id"])
    # The consult's page, its hub's queue, the facility's list, and each hub member told.
    assert f"consult.{consult.public_id}" in collected
    assert f"hub.{consult.hub_id}" in collected
    told = Notification.objects.filter(url=consult.get_absolute_url()).count()
    assert told >= 1
    assert len(collected) == 3 + told
    assert after["handoffs"] - before["handoffs"] == 1
    assert after["sent"] - before["sent"] == len(collected)


def test_pushes_from_several_threads_all_arrive_in_each_threads_order(committed_db):
    shared = _group()
    threads = 4

    def one(t: int) -> None:
        with live.batch():
            for n in range(10):
                with transaction.atomic():
                    live.push(shared, {"t": t, "n": n})

    def action(loop):
        if _on_redis():
            # Plain threads without an event loop, as a threaded WSGI server runs requests.
            workers = [threading.Thread(target=_closing(one), args=(t,)) for t in range(threads)]
            for w in workers:
                w.start()
            for w in workers:
                w.join()
        else:
            # The in-memory layer is reached from the listening loop's own helper threads.
            async def all_threads():
                await asyncio.gather(
                    *(sync_to_async(one, thread_sensitive=False)(t) for t in range(threads))
                )

            asyncio.run_coroutine_threadsafe(all_threads(), loop).result()
        live.flush()

    received = _listen([shared], action, count=threads * 10)

    for t in range(threads):
        assert [p["n"] for _g, p in received if p["t"] == t] == list(range(10))


@pytest.fixture
def unreachable(redis_down, monkeypatch):
    """Redis unreachable (``redis_down``); each send waits at ``gate`` before trying, so the
    test sees what the request did first."""
    gate = threading.Event()
    tried: list[str] = []
    send = live._send

    async def gated(layer, group, message):
        # Bounded, so that code which waits for the send fails this test instead of hanging.
        await asyncio.to_thread(gate.wait, 10)
        tried.append(group)
        await send(layer, group, message)

    monkeypatch.setattr(live, "_send", gated)
    yield gate, tried
    gate.set()
    live.flush()


def test_a_request_does_not_wait_for_an_unreachable_channel_layer(
    unreachable, committed_db, login, caplog
):
    gate, tried = unreachable
    worker = User.objects.get(username="worker")
    row = Notification.objects.create(user=worker, kind="system", title="Thử", body="")
    before = live.push_counts()
    try:
        with caplog.at_level(logging.WARNING):
            response = login(worker).post("/notifications/read/", {"id": str(row.public_id)})

            # The request answered and its change is committed while the push it made is
            # still waiting to be tried: the request thread did not wait for Redis.
            assert response.status_code == 302
            row.refresh_from_db()
            assert row.read_at is not None
            assert tried == []
            assert live.push_counts()["handoffs"] - before["handoffs"] == 1

            gate.set()
            assert live.flush()
    finally:
        row.delete()

    assert tried == [f"user.{worker.pk}"]
    assert live.outage.down
    assert live.push_counts()["skipped"] - before["skipped"] == 1
    down = [r for r in caplog.records if "Channel layer (live updates) unreachable" in r.message]
    assert len(down) == 1


@needs_redis
def test_pushes_reuse_one_connection_of_one_loop(settings, committed_db):
    """Hand-overs from different threads are sent over the same Redis connection, which stays
    open between them (named, to find it among the shared server's clients)."""
    name = f"caunoi-live-test-{uuid.uuid4().hex[:8]}"
    layer_settings: dict[str, Any] = dict(django_settings.CHANNEL_LAYERS["default"])
    config: dict[str, Any] = dict(layer_settings["CONFIG"])
    config["hosts"] = [{**config["hosts"][0], "client_name": name}]
    layer_settings["CONFIG"] = config
    settings.CHANNEL_LAYERS = {"default": layer_settings}
    import redis

    server = redis.Redis.from_url(os.environ["REDIS_URL"])

    def ours() -> list[Any]:
        return [c["id"] for c in server.client_list() if c.get("name") == name]

    seen = []
    for n in range(5):
        worker = threading.Thread(target=live.push, args=(_group(), {"n": n}))
        worker.start()
        worker.join()
        assert live.flush()
        seen.append(ours())
    server.close()

    assert len(seen[0]) == 1
    assert all(ids == seen[0] for ids in seen)


def _child(group: str, results: Any) -> None:
    # A forked child (no database use here: the parent's connection is not ours).
    live.push(group, {"from": "child"})
    flushed = live.flush()
    names = [t.name for t in threading.enumerate()]
    results.put((flushed, live._loop._pid == os.getpid(), names.count("caunoi-live-push")))


@needs_redis
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_forked_worker_starts_its_own_loop(committed_db):
    group = _group()
    context = multiprocessing.get_context("fork")
    results = context.Queue()

    def action(loop):
        live.push(group, {"from": "parent"})  # the parent's loop is running before the fork
        assert live.flush()
        child = context.Process(target=_child, args=(group, results))
        child.start()
        child.join(30)
        assert child.exitcode == 0

    # Forked from the test's own thread (as gunicorn forks from its master's main thread).
    received = _listen([group], action, count=2, in_this_thread=True)

    assert received == [(group, {"from": "parent"}), (group, {"from": "child"})]
    flushed, own_loop, loop_threads = results.get(timeout=5)
    assert flushed
    assert own_loop
    assert loop_threads == 1


@needs_redis
def test_pushes_still_queued_at_exit_are_sent(committed_db):
    group = _group()
    script = (
        "import django; django.setup()\n"
        "from caunoi.notifications import live\n"
        f"live.push({group!r}, {{'from': 'exiting'}})\n"
        # No flush: the process ends at once and its exit hook sends what is queued.
    )
    layer_config: Any = django_settings.CHANNEL_LAYERS["default"]["CONFIG"]
    prefix = layer_config["prefix"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "caunoi.config.test_settings",
        "REDIS_PREFIX": prefix,
    }
    env.pop("PYTEST_XDIST_WORKER", None)

    def action(loop):
        command = [sys.executable, "-c", script]
        subprocess.run(command, cwd=ROOT, env=env, check=True, timeout=60)  # noqa: S603

    assert _listen([group], action, count=1) == [(group, {"from": "exiting"})]


def test_a_task_run_by_the_worker_hands_its_pushes_over_once(committed_db):
    from types import SimpleNamespace

    from django.tasks.signals import task_finished, task_started

    group = _group()
    # What Django's own receivers of these signals log.
    result = SimpleNamespace(
        id="t1", task=SimpleNamespace(module_path="x.y"), status="RUNNING", backend="default"
    )

    def action(loop):
        # As the worker runs a task: its pushes leave together when it finishes.
        task_started.send(sender=None, task_result=result)
        for n in range(4):
            live.push(group, {"n": n})
        counts["held"] = live.push_counts()["handoffs"] - before["handoffs"]
        task_finished.send(sender=None, task_result=result)
        counts["after"] = live.push_counts()["handoffs"] - before["handoffs"]
        live.flush()

    counts: dict[str, int] = {}
    before = live.push_counts()
    received = _listen([group], action, count=4)

    assert [p["n"] for _g, p in received] == [0, 1, 2, 3]
    assert counts == {"held": 0, "after": 1}
