"""What ``recon inspect`` reports for one file: format, records and total, or the rejection."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from connectors.base import RejectedFile
from connectors.registry import default_connectors, detect


def inspect_file(path: Path) -> dict[str, Any]:
    report: dict[str, Any] = {"file": str(path), "ok": False}
    try:
        connector = detect(path, default_connectors())
        report["connector"] = connector.name
        batch = connector.read(path)
    except RejectedFile as err:
        report["error"] = str(err)
        return report
    except Exception as err:  # by choice: inspect never shows a traceback
        report["error"] = f"{path}: unexpected error while reading ({type(err).__name__}: {err})"
        return report
    total = batch.total_amount()
    report.update(ok=True, format=batch.format, system=str(batch.system),
                  records=batch.record_count(), total_amount=None if total is None else str(total),
                  tables={k: (v.num_rows if hasattr(v, "num_rows") else len(v))
                          for k, v in batch.tables.items()},
                  control=batch.control)
    return report
