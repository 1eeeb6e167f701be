"""Best-of-N timing of a connector reading one file, for the readers' throughput benchmarks
(figures printed, never asserted)."""

from __future__ import annotations

import gc
import time
from pathlib import Path


def best_read_seconds(connector, path: Path, records: int, rounds: int = 3) -> tuple[float, float]:
    """The best wall and CPU seconds of ``rounds`` reads of ``path``, each checked to yield
    ``records`` records."""
    best_wall = best_cpu = float("inf")
    for _ in range(rounds):
        gc.collect()
        wall, cpu = time.perf_counter(), time.process_time()
        batch = connector.read(path)
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
        assert batch.record_count() == records
        del batch
    return best_wall, best_cpu
