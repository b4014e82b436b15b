"""Shared test fixtures: the seeded test database, the personas, API and page clients, and the
real ASGI server and Chromium used by browser tests.

The test database is created once per session (per xdist worker: each has its own database
and Redis prefix) and loaded with the 34 provinces, the 3,321 communes, the ICD-10 codes and the
small fixture network of ``caunoi/network/tests/factories.py`` (one province, Cao Bằng, with its
provincial hospital and three stations, answered by two hubs; the seven personas); each test
then runs in a transaction that is rolled back. A module that needs demo facts (the 1,073 stations, the eleven
provinces) says so with ``pytestmark = pytest.mark.usefixtures("demo_network")``: the demo
network then replaces the fixture network for that module, inside a transaction rolled back
after it. Browser and concurrency tests need committed rows visible to other threads, so they
write through ``committed_db`` and clean up after themselves; they run on the fixture network.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

# Playwright's synchronous API keeps an event loop in the main thread; Django would otherwise
# refuse ORM calls from test code that runs between browser steps.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

if TYPE_CHECKING:
    from caunoi.accounts.models import User

PERSONA_NAMES = ["worker", "specialist", "coordinator", "receiver", "officer", "donor", "admin"]
CHROMIUM = "/usr/bin/chromium"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def django_db_setup(
    request: Any,
    django_test_environment: None,
    django_db_modify_db_settings: None,
    django_db_blocker: Any,
) -> Iterator[None]:
    """Create the test database for every session, whichever tests were selected.

    pytest-django creates it only when a selected test is marked for the database; browser
    and concurrency tests are not (they must not run inside a rolled-back transaction), and
    would otherwise reach the developer's own database. ``django_db_modify_db_settings`` gives
    each xdist worker its own database (test_<name>_gw0, _gw1, ...).
    """
    from django.test.utils import setup_databases, teardown_databases

    from caunoi.codes.loader import icd_load
    from caunoi.network.tests.factories import fixture_network_load
    from caunoi.places.loader import places_load

    verbosity = request.config.option.verbose
    with django_db_blocker.unblock():
        config = setup_databases(
            verbosity=verbosity, interactive=False, aliases={"default"}, serialized_aliases=set()
        )
        name = str(connection.settings_dict["NAME"])
        assert Path(name).name.startswith("test_") or "memory" in name, (
            f"not a test database: {name}"
        )
        places_load()
        icd_load()
        fixture_network_load()
    yield
    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            # The live server's worker threads keep their own connections open; end them so
            # the test database can be dropped.
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
        teardown_databases(config, verbosity=verbosity)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    for item in items:
        # With `--dist loadgroup` (make test), one worker runs all the browser tests (one
        # Chromium, one live server) and one runs the fault tests (their own PostgreSQL
        # cluster and Redis, started once).
        for marker in ("browser", "faults"):
            if marker in item.keywords and not item.get_closest_marker("xdist_group"):
                item.add_marker(pytest.mark.xdist_group(marker))
        # A module on the demo network stays on one worker: it loads the network once.
        if "demo_network" in getattr(item, "fixturenames", ()) and not item.get_closest_marker(
            "xdist_group"
        ):
            item.add_marker(pytest.mark.xdist_group(f"demo:{item.module.__name__}"))
        if "browser" in item.keywords and not shutil.which(CHROMIUM) and not IN_CI:
            item.add_marker(pytest.mark.skip(reason=f"no Chromium at {CHROMIUM}"))
        if "postgres" in item.keywords and connection.vendor != "postgresql" and not IN_CI:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)"))


@pytest.fixture(autouse=True)
def default_language() -> Iterator[None]:
    """Every test starts in the default language (Vietnamese). The locale middleware activates a
    request's language in the thread that serves it and leaves it there, so after a test client
    request in English the next test on the same worker would otherwise run in English."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def no_open_live_batch() -> Iterator[None]:
    """No test inherits the live-update batch of an earlier test's unclosed response."""
    from caunoi.notifications import live

    live.batch_discard()
    yield
    live.batch_discard()


@pytest.fixture(autouse=True)
def fresh_channel_layer() -> Iterator[None]:
    """A new channel layer object for every test. The Redis layer binds its receive lock to the
    event loop that first used it; tests run consumers in loops of their own (one per test, and
    the live server's), which one shared object across loops cannot serve. A process in
    production has one loop, so this is a test-only concern."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
def fresh_page_caches() -> None:
    """Nothing cached of the work lists and dashboards at the start of a test: the database is
    rolled back after each test, the cache is not, and a list cached by an earlier test (keyed
    on ids the next test reuses) would be served. A new namespace, not cache.clear(): with Redis
    that would empty the database other processes share."""
    from caunoi.consults import queue_cache
    from caunoi.monitoring import dashboard_cache

    queue_cache.forget_all()
    dashboard_cache.forget_all()


# --- demo network -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_network(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The whole demo network (1,073 stations, ~4,500 staff) instead of the fixture network, for
    the tests of one module that need demo facts. Use it for the module:
    ``pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_network")]``.

    It is loaded in a transaction that stays open for the module (each test's own transaction
    nests inside it) and is rolled back after it, which brings the fixture network back. Rows
    committed for other threads (``committed_db``, browser tests) cannot see it.
    """
    from django.db import transaction

    from caunoi.accounts.models import User
    from caunoi.demo.network import demo_network_load
    from caunoi.network.models import Facility, Membership, SupportLink

    outer = transaction.atomic()
    with django_db_blocker.unblock():
        outer.__enter__()
        # The fixture network shares the personas' usernames: remove it for the module.
        Membership.specialties.through.objects.all().delete()
        Membership.objects.all().delete()
        SupportLink.objects.all().delete()
        User.objects.all().delete()
        Facility.objects.all().delete()
        demo_network_load()
    try:
        yield
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


# --- personas ---------------------------------------------------------------------------------
# The fixture network's personas (the demo network's, in a module that uses `demo_network`).


def _persona(username: str) -> User:
    from caunoi.accounts.models import User

    return User.objects.get(username=username)


@pytest.fixture
def worker(db: None) -> User:
    """Commune health worker at Trạm Y tế xã Bảo Lâm (Cao Bằng); in the demo network, at
    Trạm Y tế xã Lũng Cú (Tuyên Quang)."""
    return _persona("worker")


@pytest.fixture
def specialist(db: None) -> User:
    """Internal-medicine specialist at Bệnh viện Trung ương Huế (the first hub of both networks)."""
    return _persona("specialist")


@pytest.fixture
def coordinator(db: None) -> User:
    """Coordinator at Bệnh viện Trung ương Huế."""
    return _persona("coordinator")


@pytest.fixture
def receiver(db: None) -> User:
    """Clinician at the provincial hospital (Bệnh viện Đa khoa tỉnh Cao Bằng; in the demo
    network, of Tuyên Quang)."""
    return _persona("receiver")


@pytest.fixture
def officer(db: None) -> User:
    """M&E officer of the province's Department of Health (Cao Bằng; demo: Tuyên Quang)."""
    return _persona("officer")


@pytest.fixture
def donor(db: None) -> User:
    return _persona("donor")


@pytest.fixture
def network_admin(db: None) -> User:
    return _persona("admin")


@pytest.fixture
def outsider(db: None) -> User:
    """A signed-up person who belongs to no facility."""
    from caunoi.accounts.models import User

    return User.objects.create_user(username="outsider", full_name="Người Ngoài", password="x")


@pytest.fixture
def login() -> Callable[[User], Client]:
    """A page client signed in as the given user."""

    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def api_client() -> Callable[[User], Client]:
    """An API client carrying a fresh personal token of the given user."""
    from caunoi.accounts.services import api_token_create

    def make(user: User) -> Client:
        _row, token = api_token_create(user=user, name="test", actor=user)
        return Client(headers={"Authorization": f"Bearer {token}"})

    return make


# --- real server and browser --------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class AsgiServer:
    """The real ASGI application (pages, API, websockets) under uvicorn in a thread."""

    def __init__(self, bind: str = "127.0.0.1") -> None:
        """``bind``: the address it listens on ("0.0.0.0" for browsers in another network
        namespace too); ``url`` is always the loopback one."""
        import uvicorn

        from caunoi.config.asgi import application

        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            application, host=bind, port=self.port, log_level="warning", lifespan="off"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server_url(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    django_db_blocker.unblock()
    server = AsgiServer()
    server.start()
    try:
        yield server.url
    finally:
        server.stop()
        django_db_blocker.restore()


@pytest.fixture
def committed_db(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Database access without the rolled-back transaction: rows are committed and seen by
    other threads (the live server, concurrent clients). Tests must clean up what they add."""
    with django_db_blocker.unblock():
        yield


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    # Host candidates as plain loopback addresses: the sandbox has no multicast DNS
    # to resolve Chromium's .local names between two browser contexts.
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
        )
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser: Any, live_server_url: str) -> Iterator[Callable[..., Any]]:
    """Open pages in fresh browser contexts (each its own cookies), closed after the test."""
    contexts: list[Any] = []

    def make(locale: str = "vi-VN") -> Any:
        context = browser.new_context(base_url=live_server_url, locale=locale)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def sign_in() -> Callable[[Any, str], None]:
    """Sign in through the real login page with the demo password."""

    def do(page: Any, username: str) -> None:
        page.goto("/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", "caunoi-demo")
        page.click("button[type=submit].primary")
        page.wait_for_url(lambda url: "/accounts/login/" not in url)

    return do


def pytest_report_header(config: Any) -> list[str]:
    db = settings.DATABASES["default"]
    layer = settings.CHANNEL_LAYERS["default"]["BACKEND"]
    return [f"caunoi: database {db['ENGINE']} · channel layer {layer}"]
