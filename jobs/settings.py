"""Configuration: one TOML file, environment overrides, validated on load.

Precedence, highest first: explicit overrides (command-line flags), environment variables
(``RECON_<SECTION>__<KEY>``, e.g. ``RECON_MATCHING__DATE_WINDOW_DAYS=3``; ``RECON_HOME`` for the
home folder), the TOML file, then the defaults below. A wrong value fails with a message that
names the key and the problem.
"""

from __future__ import annotations

import os
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from connectors.canonical import Cause, Workflow

# Rule kinds in their default order of confidence. Amount and FX tolerances apply inside each
# rule (a reference match within tolerance is recorded as rule "amount_tolerance").
RULES = (
    "payout_net_of_fees",
    "exact_reference",
    "reference_in_text",
    "batch_payment",
    "three_way_po",
    "intercompany_pair",
    "fuzzy_name",
)


class ConfigError(Exception):
    """A configuration value is wrong; the message names the key and the problem."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Paths(_Section):
    home: Path = Path(".recon")
    sources: Path | None = Field(None, description="source folder; default <home>/sources")


class Trigger(_Section):
    """A connector's schedule: a cron expression or an interval in minutes."""

    cron: str | None = None
    interval_minutes: float | None = Field(None, gt=0)
    grace_minutes: float = Field(30, ge=0)

    @model_validator(mode="after")
    def _one_kind(self) -> Trigger:
        if (self.cron is None) == (self.interval_minutes is None):
            raise ValueError("give exactly one of cron or interval_minutes")
        if self.cron is not None and len(self.cron.split()) != 5:
            raise ValueError(f"cron must have 5 fields, got {self.cron!r}")
        return self


class Matching(_Section):
    rule_order: list[str] = list(RULES)
    amount_tolerance_abs: Decimal = Field(Decimal("0.01"), ge=0)
    amount_tolerance_rel: Decimal = Field(Decimal("0"), ge=0, le=Decimal("0.5"))
    fx_rate_band: Decimal = Field(Decimal("0.02"), ge=0, le=Decimal("0.5"))
    intercompany_pair_band: Decimal = Field(Decimal("0.25"), ge=0, le=Decimal("1"))
    date_window_days: int = Field(5, ge=0, le=365)
    fuzzy_name_min_score: float = Field(85, ge=0, le=100)
    max_batch_size: int = Field(12, ge=2, le=200)
    po_quantity_tolerance: Decimal = Field(Decimal("0"), ge=0)
    po_price_tolerance_rel: Decimal = Field(Decimal("0.01"), ge=0, le=Decimal("0.5"))

    @field_validator("rule_order")
    @classmethod
    def _known_rules(cls, v: list[str]) -> list[str]:
        unknown = [r for r in v if r not in RULES]
        if unknown:
            raise ValueError(f"unknown rule(s) {unknown}; known: {list(RULES)}")
        if len(set(v)) != len(v):
            raise ValueError("a rule is listed twice")
        return v


def _per_workflow(default: int) -> dict[str, int]:
    return {w.value: default for w in Workflow}


class Validation(_Section):
    max_failed_share: float = Field(0.5, gt=0, le=1, description="above: hold the snapshot back")
    volume_window: int = Field(7, ge=2)


class AppConfig(_Section):
    host: str = "127.0.0.1"
    port: int = Field(8501, ge=1, le=65535)


class ApiSource(_Section):
    """A source read over HTTP instead of (or besides) its landing folder. The key or token
    comes from the environment (STRIPE_API_KEY, COUPA_API_TOKEN), never from this file."""

    enabled: bool = False
    base_url: str
    page_size: int = Field(100, ge=1, le=1000)
    max_attempts: int = Field(5, ge=1, le=20)
    backoff_seconds: float = Field(0.5, ge=0)


class SparkConfig(_Section):
    """Where matching runs when ``engine = "spark"`` (SPEC §13; needs the ``scale`` extra)."""

    master: str = "local[*]"
    parquet_dir: Path | None = Field(None, description="inputs and results; default <home>/spark")
    catalog: str | None = Field(None, description="read inputs from <catalog>.<table> tables")
    shuffle_partitions: int | None = Field(None, ge=1, description="default: cores if local")
    conf: dict[str, str] = Field(default_factory=dict, description="extra Spark settings")


class WarehouseConfig(_Section):
    """Resources of the working DuckDB database. Past the memory limit DuckDB spills to
    ``<home>/tmp`` instead of growing: the worker shares its machine with the dashboard."""

    memory_limit: str = Field("3GB", pattern=r"^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$",
                              description="DuckDB memory_limit, e.g. '3GB'")
    threads: int | None = Field(None, ge=1, description="default: every core")


class Retention(_Section):
    published_runs: int = Field(10, ge=1, description="newest published runs kept")
    close_periods: int | None = Field(None, ge=1, description="close-period results kept "
                                      "(the last run of each month); None keeps all, for audit")
    superseded_versions_days: int | None = Field(
        None, ge=1, description="delete record versions replaced by a newer snapshot this many "
        "days ago; None keeps every version (any past snapshot can be replayed)")


DEFAULT_QUEUES = {
    Cause.SOURCE_SYSTEM_DEFECT: "it-integration",
    Cause.DUPLICATE_SUBMISSION: "accounts-receivable",
    Cause.MAPPING_ERROR: "master-data",
    Cause.PO_CHANGE_NOT_SYNCED: "procurement",
    Cause.INTERCOMPANY_IMBALANCE: "group-accounting",
    Cause.AMOUNT_VARIANCE: "accounts-receivable",
    Cause.TIMING_DIFFERENCE: "treasury",
    Cause.MISSING_COUNTERPART: "treasury",
}
DEFAULT_SLA = {
    Cause.SOURCE_SYSTEM_DEFECT: 2,
    Cause.DUPLICATE_SUBMISSION: 5,
    Cause.MAPPING_ERROR: 5,
    Cause.PO_CHANGE_NOT_SYNCED: 10,
    Cause.INTERCOMPANY_IMBALANCE: 10,
    Cause.AMOUNT_VARIANCE: 7,
    Cause.TIMING_DIFFERENCE: 10,
    Cause.MISSING_COUNTERPART: 5,
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="RECON_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    engine: Literal["duckdb", "spark"] = "duckdb"
    paths: Paths = Paths()
    schedules: dict[str, Trigger] = {
        "bank": Trigger(interval_minutes=15),
        "erp": Trigger(interval_minutes=15),
        "billing": Trigger(interval_minutes=30),
        "procurement": Trigger(cron="0 * * * *"),
        "reference": Trigger(cron="0 2 * * *"),
    }
    matching: Matching = Matching()
    settlement_days: dict[str, int] = Field(
        default_factory=lambda: {"bank_to_ledger": 5, "billing_to_ledger": 7,
                                 "procure_to_pay": 30, "intercompany": 10}
    )
    queues: dict[str, str] = Field(default_factory=lambda: {c.value: q for c, q in DEFAULT_QUEUES.items()})
    sla_days: dict[str, int] = Field(default_factory=lambda: {c.value: d for c, d in DEFAULT_SLA.items()})
    validation: Validation = Validation()
    app: AppConfig = AppConfig()
    retention: Retention = Retention()
    warehouse: WarehouseConfig = WarehouseConfig()
    api: dict[str, ApiSource] = Field(default_factory=dict)
    spark: SparkConfig = SparkConfig()

    @field_validator("settlement_days")
    @classmethod
    def _workflows(cls, v: dict[str, int]) -> dict[str, int]:
        _check_keys(v, {w.value for w in Workflow}, "workflow")
        if any(d < 0 for d in v.values()):
            raise ValueError("settlement windows are days >= 0")
        return {**_per_workflow(5), **v}

    @field_validator("queues", "sla_days")
    @classmethod
    def _causes(cls, v: dict[str, Any]) -> dict[str, Any]:
        _check_keys(v, {c.value for c in Cause}, "cause")
        return v

    @field_validator("api")
    @classmethod
    def _api_sources(cls, v: dict[str, ApiSource]) -> dict[str, ApiSource]:
        _check_keys(v, {"billing", "procurement"}, "API source")
        return v

    @field_validator("schedules")
    @classmethod
    def _sources(cls, v: dict[str, Trigger]) -> dict[str, Trigger]:
        _check_keys(v, {"bank", "erp", "billing", "procurement", "reference"}, "source")
        return v

    # --- derived paths -----------------------------------------------------------------
    @property
    def home(self) -> Path:
        return self.paths.home

    @property
    def sources(self) -> Path:
        return self.paths.sources or self.home / "sources"

    @property
    def spark_dir(self) -> Path:
        return self.spark.parquet_dir or self.home / "spark"

    def queue_for(self, cause: str) -> str:
        return self.queues.get(cause, "unassigned")

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings,
                                   dotenv_settings, file_secret_settings):
        return (init_settings, env_settings, _TomlSource(settings_cls))

    @classmethod
    def load(cls, config: Path | None = None, home: Path | None = None, **overrides: Any) -> Settings:
        """Read configuration; raise ConfigError naming the key and the problem."""
        path = _config_path(config)
        _TomlSource.path = path
        init: dict[str, Any] = dict(overrides)
        home = home or (Path(os.environ["RECON_HOME"]) if os.environ.get("RECON_HOME") else None)
        try:
            file_paths = _read_toml(path).get("paths", {}) if path else {}
            if home is not None:
                init["paths"] = {**file_paths, "home": home}
            return cls(**init)
        except ValidationError as err:
            raise ConfigError(_describe(err, path)) from None
        finally:
            _TomlSource.path = None


def _check_keys(v: dict, allowed: set[str], what: str) -> None:
    unknown = sorted(set(v) - allowed)
    if unknown:
        raise ValueError(f"unknown {what}(s) {unknown}; expected some of {sorted(allowed)}")


class _TomlSource(PydanticBaseSettingsSource):
    path: Path | None = None

    def get_field_value(self, field, field_name):  # pragma: no cover - unused by __call__
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        return _read_toml(self.path) if self.path else {}


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML: {err}") from None


def _config_path(explicit: Path | None) -> Path | None:
    if explicit is not None:
        return explicit
    if os.environ.get("RECON_CONFIG"):
        return Path(os.environ["RECON_CONFIG"])
    local = Path("recon.toml")
    return local if local.exists() else None


def _describe(err: ValidationError, path: Path | None) -> str:
    where = str(path) if path else "configuration"
    lines = []
    for e in err.errors():
        key = ".".join(str(p) for p in e["loc"]) or "(root)"
        got = e.get("input")
        shown = "" if isinstance(got, dict) else f" (got {got!r})"
        lines.append(f"{where}: {key}: {e['msg']}{shown}")
    return "\n".join(lines)


