"""Coupa-style JSON arrays (purchase orders, receipts, invoices), streamed one object a line."""

from __future__ import annotations

from pathlib import Path


class JsonArray:
    def __init__(self, folder: Path, name: str):
        self.path = f"procurement/{name}"
        self.files = {self.path: 0}
        self._fh = (folder / name).open("w", encoding="utf-8", newline="", buffering=1 << 20)
        self._fh.write("[")
        self._sep = "\n"

    def add(self, obj: str) -> None:
        self._fh.write(self._sep)
        self._fh.write(obj)
        self._sep = ",\n"
        self.files[self.path] += 1

    def close(self) -> None:
        self._fh.write("\n]\n")
        self._fh.close()
