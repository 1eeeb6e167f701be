"""Shared HTTP paging with retries for API-mode connectors (Retry-After on 429, backoff on 5xx).

Used by the Stripe and Coupa clients. Waits are deterministic (no jitter) so a job log can say exactly what happened; each
retry is recorded on the ``Retrier`` so the scheduler can count retries for job health.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import httpx


@dataclass(frozen=True)
class ApiPage:
    """One fetched page: where it came from, its bytes (for the content hash) and its JSON."""

    endpoint: str
    source: str
    content: bytes
    payload: Any


class ApiError(Exception):
    """An API request that failed for good (refused, or still failing after the last retry)."""


@dataclass
class Retrier:
    """Retry policy plus a log of the retries it made."""

    max_attempts: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    retry_after_max: float = 120.0
    sleep: Callable[[float], None] = time.sleep
    retries: list[str] = field(default_factory=list)

    def backoff(self, attempt: int) -> float:
        """Exponential: base, 2*base, 4*base ... capped at backoff_max."""
        return min(self.backoff_base * 2 ** (attempt - 1), self.backoff_max)

    def get(self, client: httpx.Client, url: str, params: Any = None) -> httpx.Response:
        """GET ``url``; retry 429 (after Retry-After), 5xx and transport errors; raise ApiError."""
        attempt = 0
        while True:
            attempt += 1
            resp: httpx.Response | None = None
            try:
                resp = client.get(url, params=params)
            except httpx.TransportError as err:
                why = f"{type(err).__name__}: {err}"
            else:
                if resp.status_code < 400:
                    return resp
                if resp.status_code != 429 and resp.status_code < 500:
                    raise ApiError(f"GET {url}: HTTP {resp.status_code}: {resp.text[:300]}")
                why = f"HTTP {resp.status_code} {resp.reason_phrase}".rstrip()
            if attempt >= self.max_attempts:
                raise ApiError(f"GET {url}: {why}; gave up after {attempt} attempts")
            delay = self._delay(resp, attempt)
            self.retries.append(f"GET {url}: {why}; retry {attempt} after {delay:g}s")
            self.sleep(delay)

    def _delay(self, resp: httpx.Response | None, attempt: int) -> float:
        if resp is not None and resp.status_code == 429:
            wait = retry_after(resp.headers.get("Retry-After"))
            if wait is not None:
                return min(wait, self.retry_after_max)
        return self.backoff(attempt)


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max((when - dt.datetime.now(dt.UTC)).total_seconds(), 0.0)
