"""Helpers for the operations tests: a simulated landing folder, recon in subprocesses, and a
local Stripe API twin that serves the simulated billing data page by page."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from tests.local_api import LocalApi

AS_OF = "2026-11-20"


def recon_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "jobs", *args]


def env() -> dict[str, str]:
    e = dict(os.environ)
    e.pop("RECON_HOME", None)
    e.pop("RECON_CONFIG", None)
    return e


def run(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    proc = subprocess.run(recon_cmd(*args), capture_output=True, text=True, env=env(),
                          timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(f"recon {' '.join(args)} exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    return proc


def start(*args: str, log: Path | None = None, **kw) -> subprocess.Popen:
    """recon in the background; its output goes to ``log`` (a pipe nobody reads would fill up
    and block the process)."""
    sink = open(log, "w", encoding="utf-8") if log else subprocess.DEVNULL  # noqa: SIM115
    return subprocess.Popen(recon_cmd(*args), env={**env(), **kw.pop("extra_env", {})},
                            stdout=sink, stderr=subprocess.STDOUT, text=True, **kw)


def kill(proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
    proc.wait(timeout=120)


def exports(home: Path, out: Path) -> tuple[bytes, bytes]:
    out.mkdir(parents=True, exist_ok=True)
    run("export", "exceptions", "--format", "csv", "--out", str(out / "x.csv"), "--home", str(home))
    run("export", "matches", "--format", "csv", "--out", str(out / "m.csv"), "--home", str(home))
    return (out / "x.csv").read_bytes(), (out / "m.csv").read_bytes()


class StripeTwin:
    """Serves every object of the simulated billing files by endpoint, 100 per page with
    ``starting_after``; the first ``throttle`` requests get a 429 with Retry-After."""

    def __init__(self, billing: Path, throttle: int = 1):
        self.objects: dict[str, list[dict]] = {}
        for path in sorted(billing.glob("*.json")):
            doc = json.loads(path.read_text(encoding="utf-8"))
            self.objects.setdefault(doc["url"], []).extend(doc["data"])
        self.throttle = throttle
        self.server = LocalApi(self.page)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def requests(self) -> int:
        return len(self.server.requests)

    def page(self, path: str, query: dict) -> tuple[int, dict, bytes]:
        if self.requests <= self.throttle:
            return 429, {"Retry-After": "1"}, b'{"error": {"message": "rate limited"}}'
        items = self.objects.get(path, [])
        start = 0
        if "starting_after" in query:
            ids = [o["id"] for o in items]
            start = ids.index(query["starting_after"][0]) + 1
        limit = int(query.get("limit", ["100"])[0])
        chunk = items[start:start + limit]
        body = {"object": "list", "url": path, "has_more": start + limit < len(items), "data": chunk}
        return 200, {}, json.dumps(body).encode()
