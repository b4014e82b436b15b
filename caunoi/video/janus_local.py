"""A Janus of our own: Debian's ``janus`` started with a configuration generated for it — only
the VideoRoom plugin, the HTTP transport and the HTTP event handler, token authentication with
a fresh secret, a fresh VideoRoom admin key — on a free port, stopped with its parent. ``caunoi
serve --with-janus`` (``make demo``) and the tests start one; the machine's own Janus service,
if any, is never touched. Production runs Janus as its own service (README)."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

LIBRARIES = Path("/usr/lib/x86_64-linux-gnu/janus")


@dataclass
class JanusProcess:
    url: str
    token_secret: str
    admin_key: str
    events_secret: str
    process: subprocess.Popen[bytes]
    folder: Path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)

    def log(self) -> str:
        return (self.folder / "janus.log").read_text(errors="replace")[-4000:]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def installed() -> bool:
    return shutil.which("janus") is not None


def _libraries() -> Path:
    for folder in (LIBRARIES, *Path("/usr/lib").glob("*/janus")):
        if (folder / "plugins" / "libjanus_videoroom.so").exists():
            return folder
    raise RuntimeError(
        "Janus is not installed: apt-get install janus (.ci/run installs it for the tests)."
    )


def start_janus(
    events_url: str = "",
    *,
    host: str = "127.0.0.1",
    port: int | None = None,
    token_secret: str = "",
    admin_key: str = "",
    events_secret: str = "",
) -> JanusProcess:
    """Start Janus with these secrets (fresh ones when not given); with ``events_url``, its
    event handler posts there (user ``janus``, the password ``events_secret``)."""
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
    # Each connection takes a port of its own (media bundled): a thousand of them, below the
    # kernel's ephemeral ports (32768 and up), so that a 300-viewer session fits. Where two
    # Janus share a block (tests in parallel), each binds only the ports that are free.
    rtp = 10000 + secrets.randbelow(22) * 1000
    token_secret = token_secret or secrets.token_hex(16)
    admin_key = admin_key or secrets.token_hex(16)
    events_secret = events_secret or secrets.token_hex(16)
    port = port or free_port()
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
\trtp_port_range = "{rtp}-{rtp + 999}"
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
\tenabled = {"true" if events_url else "false"}
\tevents = "plugins"
\tgrouping = true
\tjson = "plain"
\tbackend = "{events_url or "http://127.0.0.1:9/"}"
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
\tip = "{host}"
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
    server = JanusProcess(
        f"http://{host}:{port}/janus", token_secret, admin_key, events_secret, process, folder
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
