"""Run one library's side of a comparison in a fresh process of its own, so
that neither library's thread pool (or OpenMP runtime) disturbs the other's
timing. The child prints its results as one JSON line."""
import json
import subprocess
import sys


def run_isolated(script, argv, lib):
    """Run `script` with argv + ["--lib", lib]; its last stdout line, parsed
    as JSON, or None if that library is not installed."""
    result = subprocess.run([sys.executable, script, *argv, "--lib", lib], capture_output=True, text=True)
    if result.returncode != 0:
        if lib == "pytorch" and "No module named 'torch'" in result.stderr:
            print("PyTorch is not installed (pip install torch==2.13.0): genmodels only")
            return None
        raise RuntimeError(f"{lib} run failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])
