"""The timed loop of ``python -m ledger.bench``: N asyncio tasks call one operation until a
deadline; throughput and latency are taken over a window that starts after a warm-up.

An operation is an async callable taking the task's ``random.Random``. It raises to report
a failure; failures are counted by exception type, never hidden, and left out of the
latency figures. ``inline`` operations never await (a blocking driver call made on the event
loop thread): the runner yields to the loop between two of them so the tasks take turns.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import random
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

Operation = Callable[[random.Random], Awaitable[object]]


@dataclass
class Measurement:
    concurrency: int
    seconds: float
    ops: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    completed: int = 0  # every finished call, warm-up included
    cpu_s: float = 0.0  # this process's CPU time over the whole run, warm-up included
    # The same split by thread, for the named threads besides the event loop's (Linux).
    thread_cpu_s: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))

    @property
    def cpu_us_per_op(self) -> float:
        """Client-side (Python) CPU per call: the part of the cost this process pays."""
        return 1e6 * self.cpu_s / self.completed if self.completed else 0.0

    def merge(self, other: Measurement) -> None:
        self.seconds += other.seconds
        self.ops += other.ops
        self.latencies += other.latencies
        self.errors.update(other.errors)
        self.completed += other.completed
        self.cpu_s += other.cpu_s
        for name, spent in other.thread_cpu_s.items():
            self.thread_cpu_s[name] += spent

    def thread_cpu_us_per_op(self) -> dict[str, float]:
        """CPU per call spent by each named worker thread (its share of ``cpu_us_per_op``)."""
        calls = max(self.completed, 1)
        return {name: round(1e6 * s / calls, 1) for name, s in sorted(self.thread_cpu_s.items())}

    @property
    def ops_per_s(self) -> float:
        return self.ops / self.seconds if self.seconds > 0 else 0.0

    def percentile_ms(self, fraction: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
        return ordered[index] * 1000.0


async def measure(
    operation: Operation,
    *,
    concurrency: int,
    seconds: float,
    warmup: float,
    seed: int = 7,
    inline: bool = False,
) -> Measurement:
    """Run ``operation`` from ``concurrency`` tasks for ``warmup + seconds``; count only
    the operations that finish inside the last ``seconds``."""
    result = Measurement(concurrency, seconds)
    threads_start = thread_cpu_s()
    cpu_start = time.process_time()
    start = time.perf_counter()
    window_start = start + warmup
    deadline = window_start + seconds

    async def worker(index: int) -> None:
        rng = random.Random(seed * 1000 + index)
        clock = time.perf_counter
        while True:
            began = clock()
            if began >= deadline:
                return
            try:
                await operation(rng)
            except Exception as error:  # counted and reported, never hidden
                result.completed += 1
                if window_start <= clock() <= deadline:
                    result.errors[type(error).__name__] += 1
            else:
                result.completed += 1
                ended = clock()
                if window_start <= ended <= deadline:
                    result.ops += 1
                    result.latencies.append(ended - began)
            if inline:
                await asyncio.sleep(0)

    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    result.cpu_s = time.process_time() - cpu_start
    for name, spent in thread_cpu_s().items():
        result.thread_cpu_s[name] += spent - threads_start.get(name, 0.0)
    return result


def thread_cpu_s() -> dict[str, float]:
    """CPU seconds used so far by each live thread other than this one, by its Python name
    (Linux's per-thread counters; empty elsewhere). Threads sharing a name are summed."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    spent: defaultdict[str, float] = defaultdict(float)
    for thread in threading.enumerate():
        if thread is threading.current_thread() or thread.native_id is None:
            continue
        try:
            with open(f"/proc/self/task/{thread.native_id}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        spent[thread.name] += (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
    return dict(spent)


class JsonReport:
    """Prints one JSON line per result (the keys both benchmarks share) and keeps them for
    the ratios; progress and summaries for a human go to ``err``, never into the JSON."""

    def __init__(self, out: TextIO, err: TextIO) -> None:
        self.out, self.err = out, err
        self.results: list[dict[str, Any]] = []

    def note(self, text: str) -> None:
        print(text, file=self.err, flush=True)

    def emit(self, line: dict[str, Any]) -> None:
        print(json.dumps(line), file=self.out, flush=True)

    def machine(self, options: Any, **extra: Any) -> None:
        """The first line of a run: where it ran and with which timing options."""
        self.emit(
            {
                "info": "machine",
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "platform": platform.platform(),
                "seconds": options.seconds,
                "warmup": options.warmup,
                "rounds": options.rounds,
                **extra,
            }
        )

    def result(self, impl: str, database: str, workload: str, m: Measurement, **extra: Any) -> None:
        line = {
            "impl": impl,
            "database": database,
            "workload": workload,
            "concurrency": m.concurrency,
            "ops_per_s": round(m.ops_per_s, 1),
            "p50_ms": round(m.percentile_ms(0.50), 3),
            "p99_ms": round(m.percentile_ms(0.99), 3),
            "ops": m.ops,
            "errors": dict(m.errors),
            "seconds": m.seconds,
            "client_cpu_us_per_op": round(m.cpu_us_per_op, 1),
            "thread_cpu_us_per_op": m.thread_cpu_us_per_op(),
            "load1": round(os.getloadavg()[0], 2),
            **extra,
        }
        self.results.append(line)
        self.emit(line)
        if m.errors:
            self.note(f"ERRORS {impl} {database} {workload} c={m.concurrency}: {dict(m.errors)}")
