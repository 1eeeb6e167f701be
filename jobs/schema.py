"""DuckDB DDL derived from the SQLModel canonical model, so the schema is defined once."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, Integer, Numeric, String
from sqlalchemy.sql.schema import Column, Table
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

import connectors.canonical  # noqa: F401  (registers every table on SQLModel.metadata)


def duck_type(column: Column) -> str:
    """The DuckDB type for one SQLAlchemy column type."""
    t = column.type
    if isinstance(t, Numeric) and not isinstance(t, Float):
        return f"DECIMAL({t.precision or 18},{t.scale or 4})"
    if isinstance(t, Float):
        return "DOUBLE"
    if isinstance(t, Boolean):
        return "BOOLEAN"
    if isinstance(t, DateTime):
        return "TIMESTAMPTZ" if t.timezone else "TIMESTAMP"
    if isinstance(t, Date):
        return "DATE"
    if isinstance(t, Integer):
        return "BIGINT"
    if isinstance(t, JSON):
        return "JSON"
    if isinstance(t, String | AutoString):
        return "VARCHAR"
    raise TypeError(f"no DuckDB type for {column.table.name}.{column.name}: {t!r}")


def table(name: str) -> Table:
    return SQLModel.metadata.tables[name]


def columns(name: str) -> dict[str, str]:
    """Column name → DuckDB type, in model order."""
    return {c.name: duck_type(c) for c in table(name).columns}


def create_table_sql(name: str, target: str | None = None, primary_key: bool = True) -> str:
    """CREATE TABLE for a canonical table (optionally under another name, without keys)."""
    t = table(name)
    cols = [f'"{c.name}" {duck_type(c)}{"" if c.nullable or c.primary_key else " NOT NULL"}'
            for c in t.columns]
    pk = [c.name for c in t.primary_key.columns]
    if primary_key and pk:
        cols.append("PRIMARY KEY (" + ", ".join(f'"{c}"' for c in pk) + ")")
    return f'CREATE TABLE IF NOT EXISTS "{target or name}" (\n  ' + ",\n  ".join(cols) + "\n)"


def all_tables() -> list[str]:
    return sorted(SQLModel.metadata.tables)


def _models(cls: type = SQLModel):
    for sub in cls.__subclasses__():
        yield sub
        yield from _models(sub)


def defaults(name: str) -> dict[str, object]:
    """Column defaults declared on the model (e.g. status='booked'), for rows that omit them."""
    from pydantic_core import PydanticUndefined

    for model in _models():
        if getattr(model, "__tablename__", None) == name and getattr(model, "__table__", None) is not None:
            return {k: f.default for k, f in model.model_fields.items()
                    if f.default is not PydanticUndefined and f.default is not None}
    return {}
