"""Stripe API list objects as JSON files, paged like the API: at most 10 000 objects a page.

Objects arrive as ready-made JSON text; a page is written when the next object proves there is
more (``has_more``), so at most one page per list is ever held.
"""

from __future__ import annotations

from pathlib import Path

PAGE = 10_000


class StripeList:
    def __init__(self, folder: Path, account: str, kind: str, page_size: int = PAGE):
        self.folder, self.account, self.kind, self.page_size = folder, account, kind, page_size
        self.files: dict[str, int] = {}
        self._buf: list[str] = []
        self._page = 0

    def add(self, obj: str) -> None:
        if len(self._buf) == self.page_size:
            self._write(has_more=True)
        self._buf.append(obj)

    def close(self) -> None:
        self._write(has_more=False)

    def _write(self, has_more: bool) -> None:
        self._page += 1
        name = f"stripe_{self.account}_{self.kind}_{self._page:03d}.json"
        with (self.folder / name).open("w", encoding="utf-8", newline="") as fh:
            fh.write(f'{{"object":"list","url":"/v1/{self.kind}","has_more":'
                     f'{"true" if has_more else "false"},"data":[\n')
            fh.write(",\n".join(self._buf))
            fh.write("\n]}\n")
        self.files[f"billing/{name}"] = len(self._buf)
        self._buf = []
