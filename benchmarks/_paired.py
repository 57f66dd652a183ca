"""Fair comparisons for every benchmark: A and B interleaved in one run, reported as paired ratios.

Machines that run benchmarks are shared and noisy: load drifts over seconds,
so timing all of A and then all of B moves the ratio with the drift. Here
A and B answer the same query back to back, round after round, with the
order flipped every round (A B, B A, A B, ...) so neither always runs first
on a warm cache. Each round gives one ratio B / A; the table reports the
median of those paired ratios and their interquartile range, the medians of
A and B, and the load average before and after.

Steady-state figures leave out what a user pays once: imports, reading
data, building indexes. :func:`whole_process` times complete child
processes, alternated the same way, and reads each child's peak resident
memory from the kernel (``wait4`` in a small launcher, see :data:`_LAUNCHER`),
so both costs are printed side by side.

Use::

    from benchmarks._paired import paired, whole_process, format_table

    res = paired("geogrid", lambda i: ours(q[i]), "scipy", lambda i: theirs(q[i]), rounds=200)
    print(format_table("routing, Huangpu", [res]))
"""

from __future__ import annotations

import gc
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

__all__ = ["Paired", "paired", "whole_process", "run_measured", "python_argv", "format_table",
           "load_average", "rss_mb", "peak_rss_mb", "ratio_text"]


def load_average() -> float:
    """The one-minute load average (``nan`` where the platform has none)."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def rss_mb() -> float:
    """Current resident memory of this process in MiB (Linux ``/proc``; ``nan`` elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError):
        return float("nan")


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class Paired:
    """A and B timed in alternation; ``a`` and ``b`` are seconds per round."""

    name_a: str
    name_b: str
    a: np.ndarray
    b: np.ndarray
    load_before: float
    load_after: float
    label: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratios(self) -> np.ndarray:
        """Per-round B / A: above 1 means A was faster in that round."""
        return self.b / self.a

    @property
    def ratio(self) -> float:
        """Median of the paired ratios B / A."""
        return float(np.median(self.ratios))

    @property
    def iqr(self) -> tuple[float, float]:
        q1, q3 = np.percentile(self.ratios, [25, 75])
        return float(q1), float(q3)

    def summary(self) -> dict[str, Any]:
        """JSON-able figures: medians in ms, p99 in ms, the ratio, its IQR, n and load."""
        q1, q3 = self.iqr
        return {"label": self.label, "a": self.name_a, "b": self.name_b,
                "a_p50_ms": float(np.median(self.a) * 1e3), "b_p50_ms": float(np.median(self.b) * 1e3),
                "a_p99_ms": float(np.percentile(self.a, 99) * 1e3),
                "b_p99_ms": float(np.percentile(self.b, 99) * 1e3),
                "ratio_b_over_a": self.ratio, "ratio_iqr": [q1, q3], "rounds": int(len(self.a)),
                "load_before": self.load_before, "load_after": self.load_after, **self.extra}


def paired(name_a: str, a: Callable[[int], Any], name_b: str, b: Callable[[int], Any], *,
           rounds: int, warmup: int = 2, label: str = "") -> Paired:
    """Time ``a(i)`` and ``b(i)`` for ``i`` in ``range(rounds)``, alternating, GC paused.

    Both callables get the round number so they answer the same query. The
    order flips every round. ``warmup`` untimed rounds run first.
    """
    if rounds < 1:
        raise ValueError(f"rounds must be at least 1, got {rounds}")
    for i in range(min(warmup, rounds)):
        a(i)
        b(i)
    ta = np.empty(rounds)
    tb = np.empty(rounds)
    clock = time.perf_counter
    enabled = gc.isenabled()
    load0 = load_average()
    gc.disable()
    try:
        for i in range(rounds):
            first, second, t1, t2 = (a, b, ta, tb) if i % 2 == 0 else (b, a, tb, ta)
            t0 = clock()
            first(i)
            t1[i] = clock() - t0
            t0 = clock()
            second(i)
            t2[i] = clock() - t0
    finally:
        if enabled:
            gc.enable()
    return Paired(name_a, name_b, ta, tb, load0, load_average(), label)


#: Runs ``argv[2:]`` as a grandchild and writes its wall time and peak RSS to ``argv[1]``.
#: Linux carries the peak RSS of the process that forks into the child (``maxrss`` survives
#: ``exec``), so forking a benchmark straight from a large parent would report the parent's
#: peak; a small launcher forks instead, and its own few MiB are the floor of the figure.
_LAUNCHER = """
import json, os, sys, time
t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as f:
    json.dump({"wall_s": time.perf_counter() - t0, "peak_kb": usage.ru_maxrss}, f)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_measured(argv: Sequence[str], *, cwd: str | None = None, env: dict[str, str] | None = None,
                 quiet: bool = True) -> dict[str, Any]:
    """Run ``argv`` as a whole process: ``{"wall_s", "peak_mb", "exit", "stderr"}``.

    With ``quiet`` its output is discarded (stderr kept for the error
    message); otherwise it goes to this process's stdout and stderr.
    """
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "usage.json")
        pipe = subprocess.PIPE if quiet else None
        proc = subprocess.run([sys.executable, "-c", _LAUNCHER, out, *argv], cwd=cwd, env=env,
                              stdout=subprocess.DEVNULL if quiet else None, stderr=pipe, check=False)
        usage = json.loads(open(out).read()) if os.path.exists(out) else {"wall_s": math.nan,
                                                                          "peak_kb": math.nan}
    return {"wall_s": usage["wall_s"], "peak_mb": usage["peak_kb"] / 1024, "exit": proc.returncode,
            "stderr": proc.stderr.decode(errors="replace") if proc.stderr else ""}


def _run_child(argv: Sequence[str], env: dict[str, str] | None, cwd: str | None) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one child process; raises if it fails."""
    r = run_measured(argv, cwd=cwd, env=env)
    if r["exit"] != 0:
        raise RuntimeError(f"{' '.join(argv)} exited with {r['exit']}: {r['stderr'][-2000:]}")
    return r["wall_s"], r["peak_mb"]


def whole_process(name_a: str, argv_a: Sequence[str], name_b: str, argv_b: Sequence[str], *,
                  rounds: int = 3, label: str = "", env: dict[str, str] | None = None,
                  cwd: str | None = None) -> Paired:
    """Whole child processes A and B, alternated; wall time per round and peak memory.

    ``extra`` holds the median peak RSS of each side (``a_peak_mb``, ``b_peak_mb``).
    """
    ta, tb, ma, mb = [], [], [], []
    load0 = load_average()
    for i in range(rounds):
        order = ((argv_a, ta, ma), (argv_b, tb, mb))
        for argv, times, mem in (order if i % 2 == 0 else order[::-1]):
            wall, peak = _run_child(argv, env, cwd)
            times.append(wall)
            mem.append(peak)
    res = Paired(name_a, name_b, np.asarray(ta), np.asarray(tb), load0, load_average(), label)
    res.extra = {"a_peak_mb": float(np.median(ma)), "b_peak_mb": float(np.median(mb))}
    return res


def python_argv(*args: str) -> list[str]:
    """``[sys.executable, *args]``: a child running this interpreter."""
    return [sys.executable, *args]


def ratio_text(ratio: float) -> str:
    """A ratio for a table: two decimals, or ``1/N`` when it is below 0.1 (so it never reads 0.00)."""
    if not math.isfinite(ratio) or ratio <= 0:
        return f"{ratio:.2f}"
    return f"{ratio:.2f}" if ratio >= 0.1 else f"1/{1 / ratio:,.0f}"


def format_table(title: str, rows: Sequence[Paired], *, unit: str = "ms") -> str:
    """A plain-text table: one line per comparison, medians, p99, paired ratio B/A with IQR, load."""
    scale = {"ms": 1e3, "us": 1e6, "s": 1.0}[unit]
    head = (f"   {'comparison':34s} {'A':28s} {'A p50':>9s} {'A p99':>9s} {'B':30s} {'B p50':>9s} "
            f"{'B/A median':>10s} {'IQR':>13s} {'n':>5s} {'load':>9s}")
    lines = [f"== {title} (times in {unit}; B/A is the median of paired ratios, >1: A faster)", head]
    for r in rows:
        q1, q3 = r.iqr
        lines.append(f"   {r.label[:34]:34s} {r.name_a[:28]:28s} {np.median(r.a) * scale:9.3f} "
                     f"{np.percentile(r.a, 99) * scale:9.3f} {r.name_b[:30]:30s} "
                     f"{np.median(r.b) * scale:9.3f} {ratio_text(r.ratio):>10s} "
                     f"{f'{ratio_text(q1)}-{ratio_text(q3)}':>13s} "
                     f"{len(r.a):5d} {f'{r.load_before:.1f}-{r.load_after:.1f}':>9s}")
        if "a_peak_mb" in r.extra:
            lines.append(f"   {'':34s} peak memory: A {r.extra['a_peak_mb']:.0f} MiB, "
                         f"B {r.extra['b_peak_mb']:.0f} MiB")
    return "\n".join(lines)
