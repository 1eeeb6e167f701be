"""Streams a camt document into small trees, so memory stays flat, and counts its raw ``<Ntry>``.

Two parsers, one tree shape. A document with a ``<!DOCTYPE`` goes through defusedxml's expat
parser, whose handlers refuse entity declarations and external references (billion laughs,
quadratic blowup, XXE); its element callbacks are pointed at the C tree builder. A document
without one (every bank file) cannot declare or reference an entity at all, since both live
in the DTD, so it goes through the C ``XMLParser`` (about twice as fast: no Python call per
element). Each entry is handed over once the next sibling has started, then detached from the
tree; a finished statement is detached too.

Independently of the tree, :class:`NtryCounter` counts the ``Ntry`` start tags in the bytes:
the reader proves that it read as many entries as the file holds.
"""

from __future__ import annotations

import codecs
import mmap
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from xml.parsers import expat

from defusedxml.ElementTree import DefusedXMLParser

CHUNK = 1 << 16
#: Bytes read without meeting a camt message element before we give up on the document.
SEEK_LIMIT = 4 << 20

MESSAGES = {
    "BkToCstmrStmt": "camt.053",
    "BkToCstmrDbtCdtNtfctn": "camt.054",
    "BkToCstmrAcctRpt": "camt.052",
}
STATEMENTS = frozenset({"Stmt", "Ntfctn", "Rpt"})


class _LocalNames(dict):
    """Full tag -> local name, computed once per distinct tag (``NAMES[tag]``)."""

    def __missing__(self, tag: str) -> str:
        name = self[tag] = tag.rpartition("}")[2].rpartition(":")[2]
        return name


NAMES = _LocalNames()


def local(tag: str) -> str:
    """Local name of a tag, whatever its namespace or prefix (``ns}Ntry`` and ``Ntry`` alike)."""
    return NAMES[tag]


class ByTag(dict):
    """Full tag -> value of its local name in ``by_local``, resolved once per distinct tag.

    Lookups then cost one dict access whatever the namespace, which matters at 50k entries/s.
    """

    def __init__(self, by_local: dict[str, object]):
        super().__init__()
        self.by_local = by_local

    def __missing__(self, tag: str) -> object:
        value = self[tag] = self.by_local.get(local(tag))
        return value


class NotCamt(ValueError):
    """The XML is well-formed so far but holds no camt message."""


class _Stop(Exception):
    """Ends the prolog scan at the root element."""


def has_doctype(path: Path) -> bool:
    """True when the document has a DTD (or its prolog cannot be read: the defused parser then
    reports why). Only a DTD can declare entities or reference external ones."""
    parser = expat.ParserCreate()
    seen: list[bool] = []

    def doctype(*_args: object) -> None:
        seen.append(True)
        raise _Stop

    def root(*_args: object) -> None:
        raise _Stop

    parser.StartDoctypeDeclHandler = doctype
    parser.StartElementHandler = root
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except _Stop:
        return bool(seen)
    except Exception:  # noqa: BLE001 (any prolog the scan cannot read goes the defused way)
        return True
    return True


_MESSAGE_TAG = re.compile(rb"<([A-Za-z_][\w.\-]*:)?(?:BkToCstmrStmt|BkToCstmrDbtCdtNtfctn|"
                          rb"BkToCstmrAcctRpt)[\s>]")
_ANY_NTRY = re.compile(rb"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<(?:[A-Za-z_][\w.\-]*:)?Ntry[\s/>]",
                       re.S)
_ANY_NTRY_TEXT = re.compile(r"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<(?:[A-Za-z_][\w.\-]*:)?Ntry[\s/>]",
                            re.S)


class NtryCounter:
    """Counts ``Ntry`` start tags in the raw bytes, chunk by chunk, without the XML parser.

    The fast count looks for the message's own prefix (``<Ntry`` or ``<ns2:Ntry``); when it
    disagrees with the entries read, :meth:`recount` settles it with a slower count that skips
    comments and CDATA and takes any prefix.
    """

    def __init__(self) -> None:
        self.count = 0
        self._pattern: re.Pattern[bytes] | None = None
        self._keep = 0
        self._carry = b""

    def feed(self, chunk: bytes) -> None:
        data = self._carry + chunk
        if self._pattern is None:  # the prefix is the message element's: wait for it
            found = _MESSAGE_TAG.search(data)
            if found is None and len(data) < CHUNK * 4:
                self._carry = data
                return
            literal = b"<" + ((found.group(1) or b"") if found else b"") + b"Ntry"
            self._pattern = re.compile(re.escape(literal) + rb"[\s/>]")
            self._keep = len(literal)  # shorter than a match: nothing is counted twice
        self.count += len(self._pattern.findall(data))
        self._carry = data[-self._keep:]

    def close(self) -> None:
        """Count what is still waiting for the message element (a document without one)."""
        if self._pattern is None:
            self._pattern, self._keep = re.compile(rb"<Ntry[\s/>]"), 5
            self.feed(b"")

    @staticmethod
    def recount(path: Path) -> int:
        """Exact count: comments and CDATA skipped, any prefix, UTF-16 too."""
        with path.open("rb") as fh:
            head = fh.read(4)
            if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in head:
                encoding = ("utf-16" if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
                            else "utf-16-be" if head[:1] == b"\x00" else "utf-16-le")
                fh.seek(0)
                text = fh.read().decode(encoding, errors="replace")
                return sum(1 for m in _ANY_NTRY_TEXT.finditer(text) if m.group()[1] != "!")
            if not head:
                return 0
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
                return sum(1 for m in _ANY_NTRY.finditer(data) if m.group()[1] != ord("!"))


class CamtStream:
    """Feeds a file to the parser chunk by chunk and hands out entries and statements."""

    def __init__(self, on_entry: Callable[[ET.Element, ET.Element], None],
                 on_statement: Callable[[ET.Element], None]):
        self.on_entry = on_entry
        self.on_statement = on_statement
        self.message: ET.Element | None = None
        self.ntry = NtryCounter()
        self.defused = False
        self._roots: list[ET.Element] = []
        self._next_child = 0
        self._next_in_statement = 0

    def run(self, path: Path) -> None:
        """Parse the whole file; parser errors propagate for the caller to translate."""
        self.defused = has_doctype(path)
        feed, close = self._defused() if self.defused else self._fast()
        read = 0
        with path.open("rb") as fh:
            while chunk := fh.read(CHUNK):
                feed(chunk)
                self.ntry.feed(chunk)
                read += len(chunk)
                self._harvest(final=False)
                if self.message is None and read > SEEK_LIMIT:
                    raise NotCamt(f"no camt message element in the first {SEEK_LIMIT} bytes")
        close()
        self.ntry.close()
        self._harvest(final=True)
        if self.message is None:
            raise NotCamt("no camt message element (BkToCstmrStmt, BkToCstmrDbtCdtNtfctn)")

    def _fast(self) -> tuple[Callable[[bytes], None], Callable[[], None]]:
        """The C parser and tree builder; start events only until the root element is seen."""
        parser = ET.XMLParser(target=ET.TreeBuilder())
        events: list[tuple[str, ET.Element]] = []
        parser._setevents(events, ("start",))  # noqa: SLF001 (what XMLPullParser does)

        def feed(chunk: bytes) -> None:
            parser.feed(chunk)
            if events:
                self._roots.append(events[0][1])
                parser._setevents(events, ())  # noqa: SLF001
                events.clear()

        return feed, parser.close

    def _defused(self) -> tuple[Callable[[bytes], None], Callable[[], None]]:
        builder = ET.TreeBuilder()
        defused = DefusedXMLParser(target=builder)
        parser = defused.parser
        parser.ordered_attributes = 0

        def first_start(tag: str, attrs: dict[str, str]) -> ET.Element:
            element = builder.start(tag, attrs)
            self._roots.append(element)
            parser.StartElementHandler = builder.start
            return element

        parser.StartElementHandler = first_start
        parser.EndElementHandler = builder.end
        return (lambda chunk: parser.Parse(chunk, False)), (lambda: parser.Parse(b"", True))

    def _find_message(self) -> ET.Element | None:
        if not self._roots:
            return None
        level = [self._roots[0]]
        for _ in range(3):  # Document, or an envelope holding a Document
            for element in level:
                if local(element.tag) in MESSAGES:
                    return element
            level = [child for element in level for child in element]
        return None

    def _harvest(self, final: bool) -> None:
        if self.message is None:
            self.message = self._find_message()
            if self.message is None:
                return
        message, i = self.message, self._next_child
        while i < len(message):
            child = message[i]
            complete = final or i < len(message) - 1
            if local(child.tag) not in STATEMENTS:
                if not complete:
                    break
                i += 1
                continue
            self._drain(child, complete)
            if not complete:
                break
            self.on_statement(child)
            del message[i]
            self._next_in_statement = 0
        self._next_child = i

    def _drain(self, statement: ET.Element, complete: bool) -> None:
        """Hand over the finished entries of a statement and detach them from the tree."""
        start = self._next_in_statement
        end = len(statement) if complete else len(statement) - 1
        if end <= start:
            return
        batch = statement[start:end]
        del statement[start:end]
        kept = []
        on_entry, names = self.on_entry, NAMES
        for child in batch:
            if names[child.tag] == "Ntry":
                on_entry(statement, child)
            else:
                kept.append(child)
        if kept:
            statement[start:start] = kept
        self._next_in_statement = start + len(kept)
