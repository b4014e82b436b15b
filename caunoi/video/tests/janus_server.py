"""A real Janus for the tests: Debian's ``janus`` started on free ports with a configuration
generated for it — only the VideoRoom plugin and the HTTP transport, token authentication
with a fresh secret, a fresh VideoRoom admin key — and stopped afterwards. ``.ci/run``
installs the package; the machine's own Janus service, if any, is never touched."""

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
class JanusServer:
    url: str
    token_secret: str
    admin_key: str
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
    (folder / "loggers").mkdir()
    port, rtp = free_port(), 20000 + secrets.randbelow(200) * 100
    token_secret, admin_key = secrets.token_hex(16), secrets.token_hex(16)
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
\tice_enforce_list = "127.0.0.1"
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
    server = JanusServer(f"http://127.0.0.1:{port}/janus", token_secret, admin_key, process, folder)
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
