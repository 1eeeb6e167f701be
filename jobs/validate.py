"""Validation: the Great Expectations suites in ``expectations/`` run on every new snapshot
(SPEC §2 step 3), before matching.

The only module that imports Great Expectations, and lazily: importing it costs seconds that
``recon --help`` and the dashboard should not pay. Each suite runs once per run on one pandas
batch holding all new snapshots' rows of its table (fetched from DuckDB through Arrow; GX's SQL
datasource fails on DuckDB, GX issue #11579). Row-level results name their failing rows through
``unexpected_index_list``; those become ``record_failure`` rows, a ``validation_result`` row per
snapshot and expectation, and a snapshot whose critical-failure share is too high is held back.
A failed expectation is a result, never an exception; a broken suite file is.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from jobs import validation_checks as checks
from jobs.currencies import exponent, iso_codes
from jobs.settings import Settings

SUITES_DIR = Path(__file__).resolve().parents[1] / "expectations"
GX_DIR = "gx"
DOCS_SITE = "recon"
DOCS_DIR = "data_docs"
DATASOURCE = "recon"
SAMPLE_IDS = 20
KEEP_RUNS = 50
"""GX keeps its result files and pages for this many runs; the warehouse keeps every figure."""
SEVERITIES = ("critical", "warning")
COLUMN_KWARGS = ("column", "column_A", "column_B")


class SuiteError(Exception):
    """A suite file is not usable; the message names the file and the problem."""


@dataclass(frozen=True)
class SuiteFile:
    """One ``expectations/<table>.json``: a GX suite plus recon's meta (table, severities)."""

    path: Path
    doc: dict[str, Any]

    @property
    def name(self) -> str:
        return self.doc["name"]

    @property
    def table(self) -> str:
        return self.doc["meta"]["table"]

    def columns(self) -> list[str]:
        """Frame columns the expectations name, in first-use order."""
        cols: list[str] = []
        for exp in self.doc["expectations"]:
            kw = exp["kwargs"]
            for c in [kw[k] for k in COLUMN_KWARGS if k in kw] + list(kw.get("column_list", [])):
                if c not in cols:
                    cols.append(c)
        return cols


def load_suites(directory: Path | None = None) -> list[SuiteFile]:
    """Read and check every suite file: known table, named expectations with a severity."""
    suites = []
    for path in sorted((directory or SUITES_DIR).glob("*.json")):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            raise SuiteError(f"{path}: not valid JSON: {err}") from None
        table = doc.get("meta", {}).get("table")
        if table not in checks.TABLE_SYSTEM:
            raise SuiteError(f"{path}: meta.table {table!r} is not one of {sorted(checks.TABLE_SYSTEM)}")
        names = [e.get("meta", {}).get("name") for e in doc.get("expectations", [])]
        for exp, name in zip(doc.get("expectations", []), names, strict=True):
            if not name or exp["meta"].get("severity") not in SEVERITIES:
                raise SuiteError(f"{path}: expectation {exp.get('type')} {exp.get('kwargs')} needs "
                                 f"meta.name and meta.severity (one of {SEVERITIES})")
        if len(set(names)) != len(names):
            raise SuiteError(f"{path}: expectation names repeat: {sorted(names)}")
        suites.append(SuiteFile(path, doc))
    return suites


@dataclass
class ValidationReport:
    run_id: str
    snapshots: list[str] = field(default_factory=list)
    results: int = 0
    passed: int = 0
    failed_records: Counter = field(default_factory=Counter)
    held_back: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    docs: Path | None = None

    @property
    def pass_rate(self) -> float | None:
        """Expectations passed ÷ evaluated over the run's snapshots (SPEC §7)."""
        return self.passed / self.results if self.results else None


def expectation_parameters(as_of: dt.date) -> dict[str, Any]:
    """Values of the suites' ``$PARAMETER`` placeholders for a run as of ``as_of``."""
    def ymd(d: dt.date) -> int:
        return d.year * 10000 + d.month * 100 + d.day
    return {"iso_4217_codes": sorted(iso_codes()),
            "as_of": ymd(as_of),
            "as_of_plus_7d": ymd(as_of + dt.timedelta(days=7)),
            "as_of_plus_366d": ymd(as_of + dt.timedelta(days=366))}


def validate(con: duckdb.DuckDBPyConnection, settings: Settings, run_id: str, as_of: dt.date,
             snapshot_ids: list[str] | None = None, suites_dir: Path | None = None,
             docs: bool = True) -> ValidationReport:
    """Run every suite on the given snapshots (default: status ok, not validated yet).

    Stores ``validation_result`` and ``record_failure`` rows, holds back snapshots whose share
    of records failing a critical expectation exceeds ``settings.validation.max_failed_share``
    and, with ``docs``, adds this run's pages to the Data Docs site under ``<home>/gx/``.
    """
    report = ValidationReport(run_id=run_id)
    checks.ensure_tables(con)
    ids = snapshot_ids if snapshot_ids is not None else [
        r[0] for r in con.execute(checks.PENDING_SQL).fetchall()]
    report.snapshots = list(ids)
    if not ids:
        return report
    suites = load_suites(suites_dir)
    _register_inputs(con, ids)
    context, params = None, expectation_parameters(as_of)
    outcomes, rows, failures = [], [], []
    clock = Counter()
    for suite in suites:
        started = time.perf_counter()
        frame = _frame(con, suite)
        clock["frames"] += time.perf_counter() - started
        if frame.num_rows == 0:
            continue
        started = time.perf_counter()
        context = context or _context(settings.home)
        o, f = _run_suite(context, suite, frame, params, run_id)
        clock["great_expectations"] += time.perf_counter() - started
        outcomes += o
        failures += f
        rows.append(checks.snapshot_rows(frame, suite.name))
    report.seconds.update(clock)
    started = time.perf_counter()
    for part in failures:
        report.failed_records[part.column("severity")[0].as_py()] += part.num_rows
    report.held_back = checks.store(con, run_id, outcomes, rows, failures,
                                    settings.validation.max_failed_share, SAMPLE_IDS)
    report.results, report.passed = con.execute(checks.COUNTS_SQL).fetchone()
    report.seconds["store"] = time.perf_counter() - started
    if docs and context is not None:
        started = time.perf_counter()
        _prune(settings.home, KEEP_RUNS)
        report.docs = _build_docs(context, run_id)
        report.seconds["docs"] = time.perf_counter() - started
    return report


def build_data_docs(home: Path) -> Path:
    """Rebuild the whole Data Docs site from the stored results; returns its index.html."""
    return _build_docs(_context(home), None)


def docs_index(home: Path) -> Path:
    """Where the Data Docs site's index lives (it may not be built yet)."""
    return home / GX_DIR / DOCS_DIR / "index.html"


# --- internals ----------------------------------------------------------------------------


def _register_inputs(con, ids: list[str]) -> None:
    con.register("_ids", pa.table({"snapshot_id": pa.array(ids, type=pa.string())}))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {checks.SNAPSHOTS} AS SELECT DISTINCT * FROM _ids")  # noqa: S608
    con.unregister("_ids")
    codes = sorted(iso_codes())
    units = [10 ** (4 - exponent(c)) for c in codes]
    con.register("_cur", pa.table({"code": codes, "unit": pa.array(units, type=pa.int64())}))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {checks.CURRENCIES} AS SELECT * FROM _cur")  # noqa: S608
    con.unregister("_cur")


def _frame(con, suite: SuiteFile) -> pa.Table:
    missing = [c for c in suite.columns() if c not in checks.frame_columns(con, suite.table)]
    if missing:
        raise SuiteError(f"{suite.path}: column(s) {missing} are neither in {suite.table} nor "
                         "derived for it in jobs/validation_checks.py")
    sql = checks.frame_sql(suite.table, suite.columns())
    return checks.for_pandas(con.execute(sql).fetch_arrow_table())


def _gx():
    import great_expectations  # noqa: PLC0415 (deliberately lazy: seconds to import)

    return great_expectations


def _context(home: Path):
    """The file-backed GX project under ``<home>/gx``, with recon's Data Docs site."""
    gx = _gx()
    context = gx.get_context(mode="file", project_root_dir=str(home))
    if DOCS_SITE not in context.get_site_names():
        from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: PLC0415

        for site in context.get_site_names():
            context.delete_data_docs_site(site)
        context.add_data_docs_site(DOCS_SITE, {
            "class_name": "SiteBuilder", "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                              "base_directory": f"{DOCS_DIR}/"}})
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        context.variables.save()
    return context


def _definition(context, suite: SuiteFile):
    gx = _gx()
    source = context.data_sources.all().get(DATASOURCE) or context.data_sources.add_pandas(DATASOURCE)
    names = {a.name for a in source.assets}
    asset = source.get_asset(suite.table) if suite.table in names \
        else source.add_dataframe_asset(suite.table)
    batch = asset.batch_definitions[0] if asset.batch_definitions \
        else asset.add_batch_definition_whole_dataframe("new_snapshots")
    doc = {**suite.doc, "expectations": [
        {**e, "severity": e["meta"]["severity"]} for e in suite.doc["expectations"]]}
    gx_suite = context.suites.add_or_update(gx.ExpectationSuite(**doc))
    return context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=suite.name, data=batch, suite=gx_suite))


def _run_suite(context, suite: SuiteFile, frame: pa.Table, params: dict, run_id: str):
    """Validate one frame; returns (outcome rows, record_failure tables)."""
    from great_expectations.core.run_identifier import RunIdentifier  # noqa: PLC0415

    definition = _definition(context, suite)
    result = definition.run(
        batch_parameters={"dataframe": frame.to_pandas()}, expectation_parameters=params,
        result_format={"result_format": "COMPLETE"},
        run_id=RunIdentifier(run_name=run_id, run_time=dt.datetime.now(dt.UTC)))
    outcomes, failures = [], []
    for r in result.results:
        cfg = r.expectation_config
        name, severity = cfg.meta["name"], cfg.meta["severity"]
        raised = _raised(r.exception_info)
        if raised:
            raise SuiteError(f"{suite.path}: expectation {name} could not be evaluated: {raised}")
        positions = r.result.get("unexpected_index_list")
        outcomes.append({"suite": suite.name, "expectation": name, "severity": severity,
                         "batch_success": bool(r.success), "row_level": positions is not None,
                         "mostly": float(cfg.kwargs.get("mostly") or 1.0)})
        if positions:
            failures.append(checks.failures(
                frame, [int(p) for p in positions], run_id=run_id, suite=suite.name,
                expectation=name, severity=severity,
                source_system=checks.TABLE_SYSTEM[suite.table]))
    return outcomes, failures


def _raised(info: dict | None) -> str | None:
    """The error message of an expectation that crashed (GX nests it per metric), else None."""
    for item in [info or {}, *(info or {}).values()]:
        if isinstance(item, dict) and item.get("raised_exception"):
            return item.get("exception_message") or "unknown error"
    return None


def _prune(home: Path, keep: int) -> None:
    """Drop GX result files and Data Docs pages of all but the newest ``keep`` runs."""
    root = home / GX_DIR
    for base in (root / "uncommitted" / "validations", root / DOCS_DIR / "validations"):
        for suite_dir in (p for p in base.glob("*") if p.is_dir()):
            runs = sorted((p for p in suite_dir.iterdir() if p.is_dir()),
                          key=lambda p: p.stat().st_mtime)
            for old in runs[:-keep]:
                shutil.rmtree(old)


def _build_docs(context, run_id: str | None) -> Path:
    """Render the Data Docs pages of one run and the suites (or of everything stored)."""
    keys = None
    if run_id is not None:
        keys = [k for k in context.validation_results_store.list_keys()
                if k.run_id.run_name == run_id] + list(context.expectations_store.list_keys())
    urls = context.build_data_docs(site_names=[DOCS_SITE], resource_identifiers=keys)
    return Path(urls[DOCS_SITE].removeprefix("file://"))
