"""The scheduler (SPEC §2): each source's trigger from configuration starts a cycle.

APScheduler with a persistent SQLite job store in the home folder, so runs missed while the
worker was down are coalesced into one and caught up within the grace time; one cycle at a time,
because the warehouse has a single writer.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
from pathlib import Path

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from jobs.settings import Settings, Trigger

log = logging.getLogger("recon.worker")
QUEUE_GRACE_SECONDS = 300
_cycle_lock = threading.Lock()


def scheduled_cycle(home: str, config: str | None, sources: str, trigger: str,
                    source: str | None = None) -> None:
    """Job entry point (module-level so the persistent job store can reference it): snapshot
    one source's folder, then validate → match → publish over everything."""
    from jobs.pipeline import run_cycle

    settings = Settings.load(config=Path(config) if config else None, home=Path(home))
    with _cycle_lock:  # by choice: a late trigger waits rather than opening a second writer
        summary = run_cycle(settings, Path(sources), trigger=trigger,
                            systems=[source] if source else None)
    log.info("run %s (%s): %d matched, %d open exceptions, %.1fs", summary.run_id, trigger,
             summary.matched_records, sum(summary.exceptions_by_cause.values()),
             sum(summary.seconds.values()))


def _trigger(t: Trigger):
    if t.cron:
        return CronTrigger.from_crontab(t.cron, timezone=dt.UTC)
    return IntervalTrigger(minutes=t.interval_minutes, timezone=dt.UTC)


def build_scheduler(settings: Settings, sources: Path, config: Path | None) -> BlockingScheduler:
    store = SQLAlchemyJobStore(url=f"sqlite:///{(settings.home / 'scheduler.sqlite').resolve()}")
    scheduler = BlockingScheduler(jobstores={"default": store},
                                  executors={"default": ThreadPoolExecutor(1)}, timezone=dt.UTC)
    for source, trig in settings.schedules.items():
        scheduler.add_job(
            scheduled_cycle, _trigger(trig), id=f"cycle:{source}", name=f"{source} feed cycle",
            args=[str(settings.home.resolve()), str(config.resolve()) if config else None,
                  str(sources.resolve()), f"schedule:{source}", source],
            replace_existing=True, coalesce=True, max_instances=1,
            # a cycle queued behind another source's (one writer at a time) is late, not missed
            misfire_grace_time=max(QUEUE_GRACE_SECONDS, int(trig.grace_minutes * 60)))
    return scheduler


def run_worker(settings: Settings, sources: Path, config: Path | None) -> None:
    """Run until SIGTERM/SIGINT; the cycle in progress finishes before the worker exits."""
    settings.home.mkdir(parents=True, exist_ok=True)
    scheduler = build_scheduler(settings, sources, config)

    def stop(signum, frame):
        # By choice, shutdown runs on its own thread: inside a signal handler the main thread
        # may hold the scheduler's locks. The cycle in progress finishes before the process
        # exits (the executor's thread is waited for at interpreter exit).
        log.info("signal %s: finishing the current cycle, then stopping", signum)
        threading.Thread(target=scheduler.shutdown, kwargs={"wait": False}, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for job in scheduler.get_jobs() if scheduler.running else []:
        log.info("scheduled %s", job)
    scheduler.start()
