"""API mode through the pipeline: pages from a real local HTTP server become snapshots, throttling
is retried and counted, and a second run adds nothing (idempotent by content hash)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb

from jobs.pipeline import run_cycle
from jobs.settings import Settings

AS_OF = dt.date(2026, 11, 20)


def stripe_pages() -> dict[str, list[dict]]:
    created = int(dt.datetime(2026, 11, 18, tzinfo=dt.UTC).timestamp())
    invoices = [{"id": f"in_{i}", "object": "invoice", "number": f"A1B2-{i:04d}", "customer": "cus_1",
                 "charge": f"ch_{i}", "amount_paid": 1000 * i, "total": 1000 * i, "currency": "eur",
                 "created": created, "status": "paid"} for i in range(1, 6)]
    charges = [{"id": f"ch_{i}", "object": "charge", "amount": 1000 * i, "currency": "eur",
                "created": created, "status": "succeeded", "paid": True, "customer": "cus_1",
                "invoice": f"in_{i}",
                "balance_transaction": {"id": f"txn_{i}", "object": "balance_transaction",
                                        "amount": 1000 * i, "currency": "eur", "fee": 30 * i,
                                        "net": 970 * i, "type": "charge"}} for i in range(1, 6)]
    return {"/v1/charges": charges, "/v1/invoices": invoices, "/v1/refunds": [], "/v1/payouts": [],
            "/v1/balance_transactions": []}


def test_api_pages_become_snapshots_with_retries(serve, tmp_path, monkeypatch):
    data = stripe_pages()
    hits = {"n": 0}

    def route(path, query):
        hits["n"] += 1
        if hits["n"] == 1:
            return 429, {"Retry-After": "0"}, b"{}"
        if hits["n"] == 3:
            return 503, {}, b"{}"
        items = data.get(path, [])
        start = 0
        if "starting_after" in query:
            start = next(i for i, o in enumerate(items) if o["id"] == query["starting_after"][0]) + 1
        chunk = items[start:start + 2]
        body = {"object": "list", "url": path, "has_more": start + 2 < len(items), "data": chunk}
        return 200, {}, json.dumps(body).encode()

    server = serve(route)
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_local")
    settings = Settings.load(home=tmp_path / "home", api={"billing": {
        "enabled": True, "base_url": server.url, "page_size": 2, "backoff_seconds": 0}})
    sources = tmp_path / "sources"
    (sources / "billing").mkdir(parents=True)
    summary = run_cycle(settings, sources, AS_OF)
    assert summary.ingest.rows["billing_event"] == 10  # 5 charges + 5 invoices
    assert len(summary.ingest.api_retries) == 2 and not summary.ingest.api_errors
    con = duckdb.connect(str(Path(settings.home) / "warehouse.duckdb"), read_only=True)
    assert con.execute("SELECT retries, status FROM job_run").fetchall() == [(2, "success")]
    sources_seen = {r[0] for r in con.execute("SELECT source FROM snapshot").fetchall()}
    assert all(s.startswith(server.url) for s in sources_seen)
    con.close()
    again = run_cycle(settings, sources, AS_OF)
    assert again.ingest.snapshots == 0 and sum(again.ingest.rows.values()) == 0


def test_unreachable_api_is_reported_and_the_run_goes_on(tmp_path, monkeypatch):
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_local")
    settings = Settings.load(home=tmp_path / "home", api={"billing": {
        "enabled": True, "base_url": "http://127.0.0.1:9", "max_attempts": 2, "backoff_seconds": 0}})
    sources = tmp_path / "sources"
    (sources / "bank").mkdir(parents=True)
    summary = run_cycle(settings, sources, AS_OF)
    assert summary.ingest.api_errors and "billing API" in summary.ingest.api_errors[0]
    con = duckdb.connect(str(Path(settings.home) / "warehouse.duckdb"), read_only=True)
    status, error = con.execute("SELECT status, error FROM job_run").fetchone()
    assert status == "partial" and "billing API" in error
    con.close()
