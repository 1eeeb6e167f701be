"""A real HTTP server on 127.0.0.1 for API-mode tests: replies come from a route function."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

Reply = tuple[int, dict[str, str], bytes]


class LocalApi(ThreadingHTTPServer):
    """A real HTTP server on 127.0.0.1 whose replies come from ``route(path, query)``."""

    def __init__(self, route: Callable[[str, dict[str, list[str]]], Reply]):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.route = route
        self.requests: list[tuple[str, dict[str, list[str]], dict[str, str]]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        self.server.requests.append((parts.path, query, dict(self.headers)))  # type: ignore[attr-defined]
        status, headers, body = self.server.route(parts.path, query)  # type: ignore[attr-defined]
        self.send_response(status)
        for key, value in {"Content-Type": "application/json", **headers}.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def serve() -> Iterator[Callable[[Callable[..., Reply]], LocalApi]]:
    servers: list[LocalApi] = []

    def start(route: Callable[..., Reply]) -> LocalApi:
        server = LocalApi(route)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
