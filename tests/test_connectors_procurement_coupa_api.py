"""Coupa-style API mode against a real local HTTP server: offset paging, 429 and 5xx retries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectors.base import RejectedFile
from connectors.http import ApiError, Retrier
from connectors.procurement.coupa_api import CoupaApiConnector
from tests.local_api import Reply

FIXTURES = Path(__file__).parent / "fixtures" / "procurement"


class CoupaTwin:
    """Serves the fixture arrays in offset/limit slices; one 429 and one 503 along the way."""

    def __init__(self) -> None:
        self.data = {f"/api/{name}": json.loads((FIXTURES / f"{name}.json").read_text())
                     for name in ("purchase_orders", "receipts", "invoices")}
        self.failed: set[str] = set()

    def __call__(self, path: str, query: dict[str, list[str]]) -> Reply:
        offset, limit = int(query["offset"][0]), int(query["limit"][0])
        if path == "/api/purchase_orders" and offset == 2 and "429" not in self.failed:
            self.failed.add("429")
            return 429, {"Retry-After": "2"}, b'{"error": "slow down"}'
        if path == "/api/invoices" and "503" not in self.failed:
            self.failed.add("503")
            return 503, {}, b"<html>maintenance</html>"
        if path not in self.data:
            return 404, {}, b"{}"
        return 200, {}, json.dumps(self.data[path][offset:offset + limit]).encode()


def test_offset_pagination_with_retries(serve, monkeypatch):
    monkeypatch.setenv("COUPA_API_TOKEN", "token-from-env")
    server, sleeps = serve(CoupaTwin()), []
    api = CoupaApiConnector(base_url=server.url, limit=2, retrier=Retrier(sleep=sleeps.append))
    results = list(api.batches())
    assert [(p.endpoint, p.source.split("?")[1]) for p, _ in results] == [
        ("purchase_orders", "offset=0&limit=2"), ("purchase_orders", "offset=2&limit=2"),
        ("receipts", "offset=0&limit=2"), ("receipts", "offset=2&limit=2"),
        ("invoices", "offset=0&limit=2"), ("invoices", "offset=2&limit=2")]
    pos = [r["source_ref"] for _, b in results for r in b.tables.get("purchase_order", [])]
    assert pos == ["4500001234#v1", "4500001234#v2", "4500001235#v1"]
    invoices = [r for _, b in results for r in b.tables.get("supplier_invoice", [])]
    assert [r["invoice_number"] for r in invoices] == ["SUP-INV-88", "NOPO-1"]
    assert sleeps == [2.0, 0.5]
    assert all(h["Authorization"] == "Bearer token-from-env" for _, _, h in server.requests)


def test_gives_up_after_the_bound_and_does_not_retry_client_errors(serve):
    server, sleeps = serve(lambda path, query: (500, {}, b"{}")), []
    api = CoupaApiConnector(base_url=server.url, token="t",
                            retrier=Retrier(max_attempts=2, sleep=sleeps.append))
    with pytest.raises(ApiError, match="HTTP 500.*gave up after 2 attempts"):
        list(api.pages())
    assert sleeps == [0.5]
    forbidden = serve(lambda path, query: (403, {}, b'{"error": "forbidden"}'))
    with pytest.raises(ApiError, match="HTTP 403"):
        list(CoupaApiConnector(base_url=forbidden.url, token="t").pages())
    assert len(forbidden.requests) == 1


def test_a_page_that_is_not_an_array_is_rejected_with_its_url(serve):
    server = serve(lambda path, query: (200, {}, b'{"purchase_orders": "none"}'))
    with pytest.raises(RejectedFile, match="expected an array") as err:
        list(CoupaApiConnector(base_url=server.url, token="t").pages())
    assert err.value.path.startswith(server.url)


def test_the_token_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("COUPA_API_TOKEN", raising=False)
    with pytest.raises(ApiError, match="COUPA_API_TOKEN is not set"):
        list(CoupaApiConnector(base_url="http://127.0.0.1:9").pages())
