"""What the two benchmark smoke tests share: run a bench's ``main`` in-process, read its
JSON lines, and the keys every result line must carry (issue 7)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

REQUIRED = {"impl", "database", "workload", "concurrency", "ops_per_s", "p50_ms", "p99_ms"}

Main = Callable[..., int]


def run_bench(main: Main, *args: str) -> tuple[int, list[dict], str]:
    """(exit code, parsed JSON lines of stdout, stderr) of ``main(args)``."""
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), out=out, err=err)
    return code, [json.loads(line) for line in out.getvalue().splitlines()], err.getvalue()
