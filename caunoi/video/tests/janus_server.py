"""A real Janus for the tests: Debian's ``janus`` started on free ports with a configuration
generated for it — only the VideoRoom plugin and the HTTP transport, token authentication
with a fresh secret, a fresh VideoRoom admin key — and stopped afterwards. ``.ci/run``
installs the package; the machine's own Janus service, if any, is never touched."""

from __future__ import annotations

import http.server
import json
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

LIBRARIES = Path("/usr/lib/x86_64-linux-gnu/janus")


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
    url: str
    token_secret: str
    admin_key: str
    events_secret: str
    events: Recorder
    process: subprocess.Popen[bytes]
    folder: Path

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
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)

    def log(self) -> str:
        return (self.folder / "janus.log").read_text(errors="replace")[-4000:]


def _as_list(body: object) -> list[dict]:
    return body if isinstance(body, list) else [body]  # type: ignore[list-item]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _libraries() -> Path:
    for folder in (LIBRARIES, *Path("/usr/lib").glob("*/janus")):
        if (folder / "plugins" / "libjanus_videoroom.so").exists():
            return folder
    raise RuntimeError(
        "Janus is not installed: apt-get install janus (the SFU tests start their own; "
        ".ci/run installs it)."
    )


def start_janus() -> JanusServer:
    binary = shutil.which("janus")
    if binary is None:
        _libraries()  # says how to install it
        raise RuntimeError("No janus binary on the PATH.")
    libraries = _libraries()
    folder = Path(tempfile.mkdtemp(prefix="caunoi-janus-"))
    for kind, name in (("plugins", "libjanus_videoroom.so"), ("transports", "libjanus_http.so")):
        (folder / kind).mkdir()
        os.symlink(libraries / kind / name, folder / kind / name)
    (folder / "events").mkdir()
    os.symlink(
        libraries / "events" / "libjanus_sampleevh.so", folder / "events" / "libjanus_sampleevh.so"
    )
    (folder / "loggers").mkdir()
    port, rtp = free_port(), 20000 + secrets.randbelow(200) * 100
    token_secret, admin_key = secrets.token_hex(16), secrets.token_hex(16)
    events_secret, recorder = secrets.token_hex(16), Recorder()
    (folder / "janus.jcfg").write_text(
        f"""general: {{
\tconfigs_folder = "{folder}"
\tplugins_folder = "{folder}/plugins"
\ttransports_folder = "{folder}/transports"
\tevents_folder = "{folder}/events"
\tloggers_folder = "{folder}/loggers"
\tdebug_level = 4
\ttoken_auth = true
\ttoken_auth_secret = "{token_secret}"
\tadmin_secret = "{secrets.token_hex(16)}"
\tsession_timeout = 60
}}
media: {{
\trtp_port_range = "{rtp}-{rtp + 99}"
}}
nat: {{
\tnice_debug = false
}}
events: {{
\tbroadcast = true
\tstats_period = 5
}}
"""
    )
    (folder / "janus.eventhandler.sampleevh.jcfg").write_text(
        f"""general: {{
\tenabled = true
\tevents = "plugins"
\tgrouping = true
\tjson = "plain"
\tbackend = "{recorder.url}"
\tbackend_user = "janus"
\tbackend_pwd = "{events_secret}"
}}
"""
    )
    (folder / "janus.transport.http.jcfg").write_text(
        f"""general: {{
\tjson = "plain"
\tbase_path = "/janus"
\thttp = true
\tport = {port}
\tip = "127.0.0.1"
\thttps = false
}}
admin: {{
\tadmin_http = false
}}
"""
    )
    (folder / "janus.plugin.videoroom.jcfg").write_text(
        f'general: {{\n\tadmin_key = "{admin_key}"\n}}\n'
    )
    log = (folder / "janus.log").open("wb")
    process = subprocess.Popen(  # noqa: S603 (Debian's janus, our configuration)
        [binary, "-C", str(folder / "janus.jcfg"), "-F", str(folder)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = JanusServer(
        f"http://127.0.0.1:{port}/janus",
        token_secret,
        admin_key,
        events_secret,
        recorder,
        process,
        folder,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Janus stopped on starting:\n{server.log()}")
        try:
            with urllib.request.urlopen(f"{server.url}/info", timeout=1) as answer:  # noqa: S310
                if json.loads(answer.read()).get("janus") == "server_info":
                    return server
        except OSError:
            time.sleep(0.1)
    server.stop()
    raise RuntimeError("Janus did not answer within 20 s.")
