"""Master data CSVs: entities, bank accounts, customers, vendors, FX rates (SPEC §3).

Deliberately incomplete where scenarios need it: unmapped bank accounts and suppliers are left
out, which is what makes their transactions a ``mapping_error``.
"""

from __future__ import annotations

from pathlib import Path

from jobs.simulate.calendar import days_between


def write_reference(folder: Path, ent) -> dict[str, int]:
    files: dict[str, int] = {}

    def put(name: str, header: str, rows: list[str]) -> None:
        (folder / name).write_text(header + "\n" + "".join(r + "\n" for r in rows),
                                   encoding="utf-8", newline="")
        files[f"reference/{name}"] = len(rows)

    put("entities.csv", "company_code,name,currency",
        [f"{e.code},{e.name},{e.currency}" for e in ent.entities.values()])
    put("bank_accounts.csv", "account,company_code,gl_account,currency",
        [f"{a.account},{a.company_code},{a.gl},{a.currency}" for a in ent.accounts if a.mapped])
    put("customers.csv", "billing_customer_id,erp_customer,name,company_code",
        [f"{c.billing_id},{c.erp_id},{c.name},{c.company_code}"
         for cs in ent.customers.values() for c in cs])
    put("vendors.csv", "procurement_supplier_id,erp_vendor,name,company_code",
        [f"{v.supplier_id},{v.erp_id},{v.name},{v.company_code}"
         for vs in ent.vendors.values() for v in vs if v.mapped])
    rows = []
    first = min(min(series) for series in ent.fx.values())
    for day in days_between(first, ent.as_of):
        for (a, b), series in ent.fx.items():
            r = series[day]
            rows.append(f"{day},{a},{b},{r // 1_000_000}.{r % 1_000_000:06d}")
    put("fx_rates.csv", "date,from,to,rate", rows)
    return files
