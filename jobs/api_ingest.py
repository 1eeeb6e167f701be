"""API-mode sources: every fetched page becomes a snapshot, exactly like a file would.

A page's content hash makes re-fetching idempotent; transient HTTP failures (429 with
Retry-After, 5xx) are retried by the connector's Retrier and counted for job health; a source
that still fails is reported and the run goes on with the others.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from connectors.base import RejectedFile
from connectors.http import ApiError, Retrier
from jobs.arrow import to_arrow
from jobs.settings import ApiSource, Settings


@dataclass
class ApiOutcome:
    retries: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def client(system: str, cfg: ApiSource):
    retrier = Retrier(max_attempts=cfg.max_attempts, backoff_base=cfg.backoff_seconds)
    if system == "billing":
        from connectors.billing.stripe_api import StripeApiConnector

        return StripeApiConnector(base_url=cfg.base_url, page_size=min(cfg.page_size, 100),
                                  retrier=retrier)
    from connectors.procurement.coupa_api import CoupaApiConnector

    return CoupaApiConnector(base_url=cfg.base_url, limit=cfg.page_size, retrier=retrier)


def api_parsed(settings: Settings, systems: list[str] | None, known: set[str],
               extracted_at: dt.datetime, outcome: ApiOutcome) -> Iterator:
    """Parsed pages (``jobs.snapshot.Parsed``) of every enabled API source not seen before."""
    from jobs.snapshot import LINEAGE_TABLES, Parsed

    for system, cfg in settings.api.items():
        if not cfg.enabled or (systems is not None and system not in systems):
            continue
        api = client(system, cfg)
        try:
            for page in api.pages():
                digest = hashlib.blake2b(page.content, digest_size=16).hexdigest()
                if digest in known:
                    continue
                known.add(digest)
                parsed = Parsed(path=page.source, content_hash=digest,
                                snapshot_id="s_" + digest[:16], connector=api.name, system=system,
                                format=f"{system} api page")
                try:
                    batch = api.read_page(page)
                    lineage = {"snapshot_id": parsed.snapshot_id, "extracted_at": extracted_at,
                               "connector": api.name, "source_file": page.source}
                    parsed.record_count = batch.record_count()
                    parsed.tables = {t: to_arrow(t, rows, **(lineage if t in LINEAGE_TABLES else {}))
                                     for t, rows in batch.tables.items()}
                except RejectedFile as err:
                    parsed.error = str(err)
                yield parsed
        except (ApiError, RejectedFile) as err:
            outcome.errors.append(f"{system} API: {err}")
        finally:
            outcome.retries += api.retrier.retries
