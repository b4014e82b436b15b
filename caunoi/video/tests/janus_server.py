"""A real Janus for the tests (``video.janus_local``), its events posted to a recorder that the
test hands on to the platform's endpoint as Janus sent them."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from caunoi.video import janus_local
from caunoi.video.janus_local import JanusProcess


class Recorder(http.server.ThreadingHTTPServer):
    """Where Janus's HTTP event handler posts in the tests: every delivery kept as it came
    (its Authorization header and body), for the test to hand to the platform's endpoint."""

    def __init__(self) -> None:
        self.deliveries: list[tuple[str, bytes]] = []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Record)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/events"

    def take(self) -> list[tuple[str, bytes]]:
        with self.lock:
            taken, self.deliveries = self.deliveries, []
        return taken


class _Record(http.server.BaseHTTPRequestHandler):
    server: Recorder

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.server.lock:
            self.server.deliveries.append((self.headers.get("Authorization", ""), body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@dataclass
class JanusServer:
    janus: JanusProcess
    events: Recorder

    @property
    def url(self) -> str:
        return self.janus.url

    @property
    def token_secret(self) -> str:
        return self.janus.token_secret

    @property
    def admin_key(self) -> str:
        return self.janus.admin_key

    @property
    def events_secret(self) -> str:
        return self.janus.events_secret

    def wait_for_events(
        self, predicate: Callable[[list[dict]], bool], seconds: float = 10
    ) -> list[tuple[str, bytes]]:
        """The deliveries received until their events satisfy ``predicate``."""
        taken: list[tuple[str, bytes]] = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            taken += self.events.take()
            events = [e for _auth, body in taken for e in _as_list(json.loads(body))]
            if predicate(events):
                return taken
            time.sleep(0.05)
        raise AssertionError(f"Janus did not send the events awaited; it sent {taken!r}")

    def stop(self) -> None:
        self.events.shutdown()
        self.janus.stop()


def _as_list(body: object) -> list[dict]:
    return body if isinstance(body, list) else [body]  # type: ignore[list-item]


def start_janus() -> JanusServer:
    recorder = Recorder()
    return JanusServer(janus_local.start_janus(recorder.url), recorder)


free_port = janus_local.free_port


def deliver(client: object, deliveries: list[tuple[str, bytes]]) -> None:
    """Hand Janus's deliveries to the platform's endpoint as Janus sent them (body and
    Authorization header), as its event handler would post them there."""
    for authorization, body in deliveries:
        answer = client.post(  # type: ignore[attr-defined]
            "/video/janus/events/",
            body,
            content_type="application/json",
            headers={"Authorization": authorization},
        )
        assert answer.status_code == 200, answer.content


def has_event(kind: str) -> Callable[[list[dict]], bool]:
    return lambda events: any(
        (e.get("event") or {}).get("data", {}).get("event") == kind for e in events
    )
