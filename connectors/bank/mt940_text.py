"""MT940 as banks send it, cut into statements and fields before mt-940 reads them.

Real files wrap SWIFT envelopes around statements (``{1:...}{2:...}{4:`` ... ``-}``), put
bank headers between them, hard-wrap single-line fields (``:28C:0000`` / ``0``), split a
``:61:`` bank reference over lines, and write 2003-era Rabobank amounts with a dot. This module
finds the fields itself (so it can count ``:61:`` lines independently of the library) and
renders each statement in the regular form the library expects.

What cannot be read as it stands is never dropped silently: a field outside any statement is
returned as an orphan (the reader reports it), a balance tag written without its closing colon
(``:62FC221018EUR1,00``) is read as that balance with a note, and a field the reader decides to
ignore is marked so and left out of the rendering.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from connectors.bank.values import BadValue

#: No MT940 line is longer than 65 characters; a line this long is not a statement.
LINE_LIMIT = 10_000
TAG = re.compile(r":(\d{2}[A-Z]?|NS):")
_BLOCKS = re.compile(r"^(?:\{[1235]:(?:[^{}]|\{[^{}]*\})*\})+")
_DOTTED_BALANCE = re.compile(r"^([CD]\d{6}[A-Z]{3})(\d+)\.(\d{0,2})$")
_DOTTED_LINE = re.compile(r"^(\d{6}(?:\d{4})?R?[CD][A-Z]?)(\d+)\.(\d{2})")
SINGLE_LINE = frozenset({"20", "21", "25", "28", "28C", "60F", "60M", "60", "62F", "62M", "62",
                         "64", "65", "13D", "13", "34F", "90D", "90C"})


@dataclass(slots=True)
class Field:
    """One tagged field: the text after the tag, its continuation lines, where it starts."""

    tag: str
    lines: list[str]
    line_no: int
    note: str | None = None
    """How the field was read when not as written (a repair the reader must report)."""
    ignored: bool = False
    """Left out of the rendering (an informational field that cannot be read)."""

    @property
    def value(self) -> str:
        """A single-line field with hard wraps undone (``:28C:0000`` + ``0`` is ``00000``)."""
        return "".join(line.strip() for line in self.lines)


@dataclass
class Statement:
    """The fields from one ``:20:`` to the next, in order."""

    fields: list[Field] = field(default_factory=list)

    def first(self, *tags: str) -> Field | None:
        return next((f for f in self.fields if f.tag in tags), None)

    def all(self, *tags: str) -> list[Field]:
        return [f for f in self.fields if f.tag in tags]

    @property
    def line_no(self) -> int:
        return self.fields[0].line_no

    def transactions(self) -> list[tuple[Field, list[Field]]]:
        """Each ``:61:`` with the ``:86:`` (and ``:NS:``) fields that follow it. A field of any
        other tag ends a line's details: an ``:86:`` after the closing balance is the
        statement's own."""
        out: list[tuple[Field, list[Field]]] = []
        details: list[Field] | None = None
        for item in self.fields:
            if item.tag == "61":
                details = []
                out.append((item, details))
            elif item.tag in ("86", "NS"):
                if details is not None:
                    details.append(item)
            else:
                details = None
        return out


def statements(text: str) -> list[Statement]:
    """The statements of a text (see :func:`cut`); fields outside any statement are lost here."""
    return list(cut(text)[0])


#: A line starting as text does: no tag, no statement end, no SWIFT envelope, not indented.
_TEXT = re.compile(r"[^\s:{}\-]").match
#: A balance tag whose closing colon is missing, directly followed by a balance.
_BARE_BALANCE = re.compile(r":(6[0245][FM]?)([CD]\d{6}[A-Z]{3}\d[\d,.]*)\s*$")


def cut(text: str) -> tuple[Iterator[Statement], list[Field]]:
    """Cut the text into statements of fields, and the fields that belong to none.

    A ``-`` line followed by a tag (or the end) closes a statement; a tagged field after a
    closed statement and before the next ``:20:`` (or before the first) belongs to no
    statement: it is returned as an orphan, for the reader to report and count, never read
    into a statement it may not belong to. A ``-`` followed by text is content (ING writes
    mandate ids such as ``MND-`` / ``EV01`` across lines).

    Statements come one at a time, as they are cut, so that a file's fields are not all held
    at once; the list of orphans is complete when the last statement has been taken. A line
    too long for MT940 raises BadValue here, before any statement.
    """
    orphans: list[Field] = []
    return _statements(_lines(text), orphans), orphans


def _statements(lines: list[str], orphans: list[Field]) -> Iterator[Statement]:
    current: Statement | None = None
    last: Field | None = None
    closed = False
    for i, line in enumerate(lines):
        if _TEXT(line):  # text continuing the last field: most lines
            if last is not None:
                last.lines.append(line)
            continue
        if line[:1] != ":":  # blank, SWIFT envelope, "-", indented
            line = _content(line)
            if line is None:
                continue
            if line.strip() == "-" and _ends(lines, i):
                closed, last = True, None
                continue
        match = TAG.match(line)
        note = None
        if match is None:
            bare = _BARE_BALANCE.match(line)
            if bare is None or current is None or closed:
                if last is not None:
                    last.lines.append(line)
                continue
            tag, value = bare.group(1), bare.group(2)
            note = f"line {i + 1}: {line.strip()!r} lacks the colon after its tag: read as :{tag}:"
        else:
            tag, value = match.group(1), line[match.end():]
        if tag == "20":
            if current is not None:
                yield _complete(current)
            current, closed = Statement(), False
        last = Field(tag, [value], i + 1, note)
        if current is None or closed:
            orphans.append(last)
            continue
        current.fields.append(last)
    if current is not None:
        yield _complete(current)
    for orphan in orphans:
        if orphan.tag in SINGLE_LINE:
            del orphan.lines[1:]


def _complete(statement: Statement) -> Statement:
    last = statement.fields[-1]
    if last.tag in SINGLE_LINE:  # bank headers before the next :20: (ABNANL2A / 940)
        del last.lines[1:]
    return statement


def _ends(lines: list[str], i: int) -> bool:
    """Whether the ``-`` at ``lines[i]`` ends a statement: no content follows, or a tag."""
    for j in range(i + 1, len(lines)):
        content = _content(lines[j])
        if content is not None:
            return TAG.match(content) is not None
    return True


def _lines(text: str) -> list[str]:
    """The text's lines, DOS end-of-file marks removed; BadValue for one too long for MT940."""
    lines = text.splitlines()
    if lines and max(map(len, lines)) > LINE_LIMIT:
        line_no, raw = next((n, r) for n, r in enumerate(lines, 1) if len(r) > LINE_LIMIT)
        raise BadValue(f"line {line_no} is {len(raw)} characters long; MT940 lines have at "
                       "most 65")
    if "\x1a" in text:  # DOS end-of-file marks between statements
        lines = [line.replace("\x1a", "") for line in lines]
    return lines


def _content(line: str) -> str | None:
    """The line as the fields are cut from it; None for one without content (blank, SWIFT
    envelope blocks and their end)."""
    stripped = line.strip()
    if stripped.startswith("{"):
        rest = _BLOCKS.sub("", stripped)
        if rest.startswith("{4:"):
            rest = rest[3:]
        return rest if rest.strip() else None
    if not stripped or stripped.startswith("-}") or stripped == "}":
        return None
    return line


def render(statement: Statement, lines_61: list[str]) -> list[tuple[str, str]]:
    """The fields the library reads (reference, balances, statement lines, sums), regular, as
    (tag, value); ``lines_61`` holds :func:`line_61` of each ``:61:``, in order.

    ``:86:`` and ``:NS:`` are left out on purpose: their text is read by
    :mod:`connectors.bank.remittance`, and leaving them out keeps a statement-level ``:86:``
    from being glued to the last transaction.
    """
    dotted = any("." in f.value for f in statement.all("60F", "60M", "60", "62F", "62M", "62")
                 if not f.ignored)
    lines = iter(lines_61)
    out = []
    for item in statement.fields:
        if item.ignored or item.tag in ("86", "NS", "21", "25", "28", "28C", "13D", "13"):
            continue
        value = next(lines) if item.tag == "61" else item.value
        if dotted:
            value = _undot(item.tag, value)
        if item.tag == "61":
            value = _typed(value)
        out.append((item.tag, value))
    return out


def joined(fields: list[tuple[str, str]]) -> str:
    """Rendered fields as the text the library parses."""
    return "\n".join(f":{tag}:{value}" for tag, value in fields) + "\n"


#: Transaction type put into a ``:61:`` that has none: the library merges a line without a
#: type into the next one. Rows never show it (see ``connectors.bank.mt940``).
NO_TYPE = "NZZZ"
_UNTYPED = re.compile(r"^(\d{6}(?:\d{4}|\s{4})?R?[CD][A-Z]?\n?[\d,]+)(?![\d,])(?![A-Z][A-Z0-9 ]{3})",
                      re.IGNORECASE)


def _typed(value: str) -> str:
    untyped = _UNTYPED.match(value)
    return value if untyped is None else value[:untyped.end()] + NO_TYPE + value[untyped.end():]


def line_61(item: Field) -> str:
    """A ``:61:`` with its supplementary details on the second line.

    A bank reference wrapped over lines is joined back: every line up to the first one that
    starts with ``/`` belongs to the first line (ING hard-wraps at random widths).
    """
    if len(item.lines) == 1:
        return item.lines[0].strip()
    lines = [line.strip() for line in item.lines if line.strip()]
    if len(lines) <= 2:
        return "\n".join(lines)
    cut = next((i for i, line in enumerate(lines[1:], start=1) if line.startswith("/")), 1)
    return "".join(lines[:cut]) + "\n" + "".join(lines[cut:])


def _undot(tag: str, value: str) -> str:
    if tag == "61":
        return _DOTTED_LINE.sub(r"\1\2,\3", value, count=1)
    return _DOTTED_BALANCE.sub(r"\1\2,\3", value)
