"""Which connector reads which file: recognised by content, whatever the file is called."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from connectors.base import Connector, RejectedFile, read_head

# Order matters only where two formats could claim the same bytes: the more specific first.
CONNECTORS: tuple[str, ...] = (
    "connectors.bank.camt:CamtConnector",
    "connectors.bank.mt940:Mt940Connector",
    "connectors.bank.bai2:Bai2Connector",
    "connectors.billing.stripe_files:StripeListConnector",
    "connectors.procurement.coupa_files:CoupaConnector",
    "connectors.reference.master_data:ReferenceConnector",
    "connectors.erp.line_items:ErpLineItemConnector",
)


def _load(spec: str, options: dict[str, Any]) -> Connector:
    module, cls = spec.split(":")
    factory = getattr(importlib.import_module(module), cls)
    return factory(**options.get(cls, {}))


def default_connectors(options: dict[str, dict[str, Any]] | None = None) -> list[Connector]:
    """Instantiate every registered connector; ``options`` maps class name to keyword args."""
    return [_load(spec, options or {}) for spec in CONNECTORS]


def detect(path: Path, connectors: list[Connector]) -> Connector:
    """The connector that recognises this file's content, or RejectedFile naming the problem."""
    head = read_head(path)
    for connector in connectors:
        if connector.sniff(head, path):
            return connector
    raise RejectedFile(path, "unrecognised format: not camt.053/054, MT940, BAI2, Stripe list JSON, "
                             "Coupa-style procurement JSON, reference CSV or ERP line-item CSV")
