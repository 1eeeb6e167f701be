"""Coupa-style API mode: page each resource with ``offset``/``limit`` and parse pages like files.

A page shorter than ``limit`` (or empty) ends a resource. The token comes from
``COUPA_API_TOKEN`` only (sent as a bearer token), never from configuration files. Retries
(429 Retry-After, 5xx backoff) are the same as Stripe's (``connectors.http``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import httpx

from connectors.base import Batch, RejectedFile, decode_json
from connectors.canonical import SourceSystem
from connectors.http import ApiError, ApiPage, Retrier
from connectors.procurement.coupa_files import read_document

RESOURCES: dict[str, str] = {
    "purchase_orders": "/api/purchase_orders",
    "receipts": "/api/receipts",
    "invoices": "/api/invoices",
}


class CoupaApiConnector:
    """Pages Coupa-style resources; ``read_page`` turns a page into rows like a file would."""

    name = "coupa_api"
    system = SourceSystem.PROCUREMENT

    def __init__(self, base_url: str, token: str | None = None,
                 resources: dict[str, str] | None = None, limit: int = 50,
                 updated_after: str | None = None, retrier: Retrier | None = None,
                 timeout: float = 30.0):
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.base_url, self.limit, self.timeout = base_url.rstrip("/"), limit, timeout
        self.resources = resources or dict(RESOURCES)
        self.updated_after = updated_after
        self.token = token or os.environ.get("COUPA_API_TOKEN")
        self.retrier = retrier or Retrier()

    def pages(self) -> Iterator[ApiPage]:
        if not self.token:
            raise ApiError("COUPA_API_TOKEN is not set: the Coupa token comes from the environment")
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        with httpx.Client(base_url=self.base_url, headers=headers, timeout=self.timeout) as client:
            for resource, path in self.resources.items():
                yield from self._resource_pages(client, resource, path)

    def read_page(self, page: ApiPage) -> Batch:
        """Rows of one page (raises RejectedFile naming the page URL and object on bad data)."""
        return read_document(page.payload, page.source)

    def batches(self) -> Iterator[tuple[ApiPage, Batch]]:
        for page in self.pages():
            yield page, self.read_page(page)

    def _resource_pages(self, client: httpx.Client, resource: str, path: str) -> Iterator[ApiPage]:
        offset = 0
        while True:
            params: dict[str, Any] = {"offset": offset, "limit": self.limit}
            if self.updated_after:
                params["updated_at[gt]"] = self.updated_after
            resp = self.retrier.get(client, path, params=params)
            source = f"{self.base_url}{path}?offset={offset}&limit={self.limit}"
            payload = decode_json(resp.content, source)
            if not isinstance(payload, list):
                raise RejectedFile(source, f"response is a JSON {type(payload).__name__}, "
                                           "expected an array")
            yield ApiPage(resource, source, resp.content, payload)
            if len(payload) < self.limit:
                return
            offset += len(payload)
