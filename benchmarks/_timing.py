"""Shared helpers for the benchmarks: best-of-N timing, interleaved, so a
noisy machine penalises both sides of a comparison alike."""
import time


def best_times(functions, repeats=7, warmup=1):
    """Run each function `warmup` times, then `repeats` rounds in which every
    function runs once (interleaved); return the best time of each."""
    for f in functions:
        for _ in range(warmup):
            f()
    best = [float("inf")] * len(functions)
    for _ in range(repeats):
        for i, f in enumerate(functions):
            t0 = time.perf_counter()
            f()
            best[i] = min(best[i], time.perf_counter() - t0)
    return best
