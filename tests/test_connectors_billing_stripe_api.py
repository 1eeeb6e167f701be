"""Stripe API mode against a real local HTTP server: paging, 429 Retry-After, 5xx backoff."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from connectors.base import RejectedFile
from connectors.billing.stripe_api import StripeApiConnector
from connectors.http import ApiError, Retrier, retry_after
from tests.local_api import LocalApi, Reply


def charge(n: int) -> dict:
    return {"id": f"ch_{n}", "object": "charge", "amount": 1000 * n, "currency": "usd",
            "created": 1700000000 + n, "status": "succeeded",
            "balance_transaction": {"id": f"txn_{n}", "object": "balance_transaction",
                                    "amount": 1000 * n, "currency": "usd", "fee": 30 * n,
                                    "net": 970 * n, "type": "charge"}}


def page(data: list[dict], has_more: bool, url: str = "/v1/charges") -> bytes:
    return json.dumps({"object": "list", "url": url, "has_more": has_more, "data": data}).encode()


class StripeTwin:
    """Two pages of charges (a 429 before the first, a 503 before the second), no refunds."""

    def __init__(self) -> None:
        self.failed: set[str] = set()

    def __call__(self, path: str, query: dict[str, list[str]]) -> Reply:
        cursor = query.get("starting_after", [""])[0]
        if path == "/v1/charges" and not cursor and "429" not in self.failed:
            self.failed.add("429")
            return 429, {"Retry-After": "1"}, b'{"error": {"type": "rate_limit_error"}}'
        if path == "/v1/charges" and cursor == "ch_2" and "503" not in self.failed:
            self.failed.add("503")
            return 503, {}, b'{"error": {"type": "api_error"}}'
        if path == "/v1/charges":
            return 200, {}, page([charge(3)], False) if cursor == "ch_2" else page(
                [charge(1), charge(2)], True)
        if path == "/v1/refunds":
            return 200, {}, page([], False, "/v1/refunds")
        return 404, {}, b'{"error": {"type": "invalid_request_error"}}'


def connector(server: LocalApi, sleeps: list[float], **kw) -> StripeApiConnector:
    retrier = Retrier(max_attempts=kw.pop("max_attempts", 4), sleep=sleeps.append)
    return StripeApiConnector(base_url=server.url, endpoints=kw.pop("endpoints", ("charges", "refunds")),
                              page_size=2, retrier=retrier, **kw)


def test_pages_with_starting_after_and_recovers_from_429_and_503(serve, monkeypatch):
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_from_env")
    server, sleeps = serve(StripeTwin()), []
    api = connector(server, sleeps)
    results = list(api.batches())
    rows = [r for _, batch in results for r in batch.tables["billing_event"]]
    assert [r["source_ref"] for r in rows] == ["ch_1", "ch_2", "ch_3"]
    assert rows[2]["amount"] == Decimal("30.00") and rows[2]["fee"] == Decimal("0.90")
    assert [p.endpoint for p, _ in results] == ["charges", "charges", "refunds"]
    assert results[1][0].source.endswith("/v1/charges?starting_after=ch_2")
    assert sleeps == [1.0, 0.5]  # Retry-After honoured, then the first exponential step
    assert len(api.retrier.retries) == 2 and "HTTP 429" in api.retrier.retries[0]
    ok = [(path, q, h) for path, q, h in server.requests if path == "/v1/charges"]
    assert all(h["Authorization"] == "Bearer sk_test_from_env" for _, _, h in ok)
    assert ok[-1][1]["starting_after"] == ["ch_2"] and ok[-1][1]["limit"] == ["2"]
    assert ok[-1][1]["expand[]"] == ["data.balance_transaction"]


def test_a_page_saved_as_a_file_reads_the_same(serve, tmp_path):
    from connectors.billing.stripe_files import StripeListConnector

    server = serve(StripeTwin())
    first_page, batch = next(connector(server, [], api_key="sk_test_x").batches())
    saved = tmp_path / "page.json"
    saved.write_bytes(first_page.content)
    assert StripeListConnector().read(saved).tables["billing_event"] == batch.tables["billing_event"]


def test_persistent_server_errors_give_up_after_the_bound(serve):
    server, sleeps = serve(lambda path, query: (503, {}, b"{}")), []
    api = connector(server, sleeps, api_key="sk_test_x", max_attempts=3)
    with pytest.raises(ApiError, match="HTTP 503.*gave up after 3 attempts"):
        list(api.pages())
    assert sleeps == [0.5, 1.0]


def test_client_errors_are_not_retried(serve):
    server, sleeps = serve(lambda path, query: (401, {}, b'{"error": "invalid api key"}')), []
    with pytest.raises(ApiError, match="HTTP 401"):
        list(connector(server, sleeps, api_key="sk_test_x").pages())
    assert sleeps == [] and len(server.requests) == 1


def test_a_response_that_is_not_a_list_is_rejected_with_its_url(serve):
    server = serve(lambda path, query: (200, {}, b'{"object": "charge", "id": "ch_1"}'))
    with pytest.raises(RejectedFile, match="not a Stripe list object") as err:
        list(connector(server, [], api_key="sk_test_x").pages())
    assert server.url in err.value.path


def test_the_key_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("STRIPE_API_KEY", raising=False)
    with pytest.raises(ApiError, match="STRIPE_API_KEY is not set"):
        list(StripeApiConnector(base_url="http://127.0.0.1:9").pages())


def test_configuration_is_checked():
    with pytest.raises(ValueError, match="unknown Stripe endpoint"):
        StripeApiConnector(endpoints=("disputes",))
    with pytest.raises(ValueError, match="page_size"):
        StripeApiConnector(page_size=500)


def test_retry_after_accepts_seconds_and_http_dates():
    assert retry_after("3") == 3.0 and retry_after("") is None and retry_after("soon") is None
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past: no wait


def test_connection_errors_are_retried_then_reported():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends: nothing listens there
    sleeps: list[float] = []
    api = StripeApiConnector(base_url=f"http://127.0.0.1:{port}", api_key="sk_test_x",
                             retrier=Retrier(max_attempts=2, sleep=sleeps.append))
    with pytest.raises(ApiError, match="ConnectError.*gave up after 2 attempts"):
        list(api.pages())
    assert sleeps == [0.5]
