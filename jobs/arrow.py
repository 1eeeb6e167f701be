"""Canonical rows → Arrow tables typed from the model, so bulk loads never go row by row."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pyarrow as pa

from jobs.schema import columns, defaults


def _arrow_type(duck: str) -> pa.DataType:
    if duck.startswith("DECIMAL("):
        precision, scale = (int(x) for x in duck[8:-1].split(","))
        return pa.decimal128(precision, scale)
    return {
        "VARCHAR": pa.string(), "BIGINT": pa.int64(), "DOUBLE": pa.float64(),
        "BOOLEAN": pa.bool_(), "DATE": pa.date32(), "TIMESTAMPTZ": pa.timestamp("us", tz="UTC"),
        "TIMESTAMP": pa.timestamp("us"), "JSON": pa.string(),
    }[duck]


def arrow_schema(table: str) -> pa.Schema:
    return pa.schema([pa.field(name, _arrow_type(t)) for name, t in columns(table).items()])


def _json(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, default=str, sort_keys=True, ensure_ascii=False)


def to_arrow(table: str, rows: list[dict[str, Any]] | pa.Table, **constants: Any) -> pa.Table:
    """Rows (dicts or Arrow) with the table's columns, plus constant lineage columns."""
    schema = arrow_schema(table)
    json_cols = [n for n, t in columns(table).items() if t == "JSON"]
    if isinstance(rows, pa.Table):
        n = rows.num_rows
        arrays = []
        for field in schema:
            if field.name in constants:
                arrays.append(pa.array([constants[field.name]] * n, type=field.type))
            elif field.name in rows.column_names:
                arrays.append(rows.column(field.name).cast(field.type))
            elif field.name in defaults(table):
                arrays.append(pa.array([defaults(table)[field.name]] * n, type=field.type))
            else:
                arrays.append(pa.nulls(n, type=field.type))
        return pa.Table.from_arrays(arrays, schema=schema)
    columns_data: dict[str, list] = {f.name: [] for f in schema}
    fallback = defaults(table)
    for row in rows:
        for name, values in columns_data.items():
            value = constants[name] if name in constants else row.get(name)
            values.append(fallback.get(name) if value is None else value)
    for name in json_cols:
        columns_data[name] = [_json(v) for v in columns_data[name]]
    for field in schema:
        if pa.types.is_decimal(field.type):
            columns_data[field.name] = [_decimal(v, field.type.scale) for v in columns_data[field.name]]
    return pa.Table.from_pydict(columns_data, schema=schema)


def _decimal(value: Any, scale: int) -> Decimal | None:
    if value is None:
        return None
    d = value if isinstance(value, Decimal) else Decimal(str(value))
    q = d.quantize(Decimal(1).scaleb(-scale))
    if q != d:
        raise ValueError(f"amount {value} has more than {scale} decimal places")
    return q
