import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True,
                         text=True).stdout
    return [int(p) for p in out.split()]


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "term"])
def test_serve_runs_server_and_worker_and_stops_both(tmp_path, stop):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(MITMACHEN_VAR_DIR=str(tmp_path), MITMACHEN_DEBUG="true", LOG_LEVEL="WARNING")
    env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "mitmachen", "migrate", "-v", "0"], env=env,
                   check=True, timeout=120)
    server = subprocess.Popen([sys.executable, "-m", "mitmachen", "serve", f"127.0.0.1:{port}"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/") as response:
                    assert response.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, "server did not come up"
                time.sleep(0.3)
        workers = _children(server.pid)
        assert workers, "no task worker was started"
        server.send_signal(stop)
        server.wait(timeout=20)
        for pid in workers:
            deadline = time.monotonic() + 15
            while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
                time.sleep(0.2)
            stat = Path(f"/proc/{pid}/stat")
            status = stat.read_text().split()[2] if stat.exists() else "gone"
            assert status in {"gone", "Z"}, f"worker {pid} outlived the server"
    finally:
        if server.poll() is None:
            server.kill()
