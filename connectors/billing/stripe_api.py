"""Stripe API mode: page the list endpoints with ``starting_after`` and parse each page like a file.

Every page stays a payload of its own (its URL is the snapshot's source), so an API run and the
same pages saved as files give identical rows. Charges, refunds and payouts are requested with
their balance transaction expanded, which is how their fee and net arrive on the same page.
The key comes from ``STRIPE_API_KEY`` only, never from configuration files.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx

from connectors.base import Batch, RejectedFile, decode_json
from connectors.billing.stripe_files import read_payload
from connectors.canonical import SourceSystem
from connectors.http import ApiError, ApiPage, Retrier

ENDPOINTS: dict[str, str] = {
    "charges": "/v1/charges",
    "refunds": "/v1/refunds",
    "payouts": "/v1/payouts",
    "invoices": "/v1/invoices",
    "balance_transactions": "/v1/balance_transactions",
}
EXPAND = {"charges", "refunds", "payouts"}
"""Endpoints whose objects carry a balance transaction worth expanding (fee and net)."""


class StripeApiConnector:
    """Pages Stripe's list endpoints; ``read_page`` turns a page into rows like a file would."""

    name = "stripe_api"
    system = SourceSystem.BILLING

    def __init__(self, base_url: str = "https://api.stripe.com", api_key: str | None = None,
                 endpoints: tuple[str, ...] = tuple(ENDPOINTS), page_size: int = 100,
                 created_gte: int | None = None, retrier: Retrier | None = None,
                 timeout: float = 30.0):
        unknown = sorted(set(endpoints) - set(ENDPOINTS))
        if unknown:
            raise ValueError(f"unknown Stripe endpoint(s) {unknown}; known: {list(ENDPOINTS)}")
        if not 1 <= page_size <= 100:
            raise ValueError("Stripe page_size must be between 1 and 100")
        self.base_url, self.endpoints, self.page_size = base_url.rstrip("/"), endpoints, page_size
        self.created_gte, self.timeout = created_gte, timeout
        self.api_key = api_key or os.environ.get("STRIPE_API_KEY")
        self.retrier = retrier or Retrier()

    def pages(self) -> Iterator[ApiPage]:
        """Every page of every configured endpoint, oldest request first."""
        if not self.api_key:
            raise ApiError("STRIPE_API_KEY is not set: the Stripe API key comes from the environment")
        headers = {"Authorization": f"Bearer {self.api_key}", "Accept": "application/json"}
        with httpx.Client(base_url=self.base_url, headers=headers, timeout=self.timeout) as client:
            for endpoint in self.endpoints:
                yield from self._endpoint_pages(client, endpoint)

    def read_page(self, page: ApiPage) -> Batch:
        """Rows of one page (raises RejectedFile naming the page URL and object on bad data)."""
        return read_payload(page.payload, page.source)

    def batches(self) -> Iterator[tuple[ApiPage, Batch]]:
        for page in self.pages():
            yield page, self.read_page(page)

    def _params(self, endpoint: str, cursor: str | None) -> list[tuple[str, str | int]]:
        params: list[tuple[str, str | int]] = [("limit", self.page_size)]
        if endpoint in EXPAND:
            params.append(("expand[]", "data.balance_transaction"))
        if self.created_gte is not None:
            params.append(("created[gte]", self.created_gte))
        if cursor:
            params.append(("starting_after", cursor))
        return params

    def _endpoint_pages(self, client: httpx.Client, endpoint: str) -> Iterator[ApiPage]:
        path, cursor = ENDPOINTS[endpoint], None
        while True:
            resp = self.retrier.get(client, path, params=self._params(endpoint, cursor))
            source = f"{self.base_url}{path}" + (f"?starting_after={cursor}" if cursor else "")
            payload = decode_json(resp.content, source)
            data = payload.get("data") if isinstance(payload, dict) else None
            if not isinstance(data, list) or payload.get("object") != "list":
                raise RejectedFile(source, "response is not a Stripe list object")
            yield ApiPage(endpoint, source, resp.content, payload)
            last = data[-1].get("id") if data and isinstance(data[-1], dict) else None
            if not payload.get("has_more") or not last:
                return
            cursor = last
