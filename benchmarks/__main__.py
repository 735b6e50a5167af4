"""`make bench`: every benchmark, one table each, with the machine they ran on."""

from __future__ import annotations

import os
import platform
import sys
import time

from benchmarks import (
    bench_backtest,
    bench_export,
    bench_extract,
    bench_http,
    bench_model,
    bench_processes,
    bench_write,
)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if "model name" in line)
    except (OSError, StopIteration):
        pass
    return f"{platform.node()}: {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def main() -> int:
    only = set(sys.argv[1:])
    print(f"# Riftcast benchmarks — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"machine: {machine()}")
    for name, module in (
        ("processes", bench_processes),
        ("model", bench_model),
        ("backtest", bench_backtest),
        ("http", bench_http),
        ("write", bench_write),
        ("extract", bench_extract),
        ("export", bench_export),
    ):
        if only and name not in only:
            continue
        print(module.run(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
