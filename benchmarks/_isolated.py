"""Run each library's side of a comparison in a fresh process of its own,
so that neither library's thread pool (or OpenMP runtime) disturbs the
other's timing. The script calls itself with --lib NAME; that child trains
one library and prints its results as one JSON line."""
import argparse
import json
import subprocess
import sys


def parser(description, model_choices, default_model, default_epochs):
    """The command line every quality script takes."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--model", choices=model_choices, default=default_model)
    p.add_argument("--epochs", type=int, default=default_epochs)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--lib", choices=("genmodels", "pytorch"), help=argparse.SUPPRESS)
    return p


def compare(script, args, runners):
    """In a child (--lib given): run that library's runner(model, epochs,
    threads, **options the script added to the parser), print its JSON and
    return None. Otherwise: run each library in a child of its own and
    return [(library, results)] for those installed."""
    options = {k: v for k, v in vars(args).items() if k not in ("model", "epochs", "threads", "lib")}
    if args.lib:
        print(json.dumps(runners[args.lib](args.model, args.epochs, args.threads, **options)))
        return None
    argv = ["--model", args.model, "--epochs", str(args.epochs), "--threads", str(args.threads)]
    for name, value in options.items():
        flag = "--" + name.replace("_", "-")
        if isinstance(value, bool):        # store_true options
            argv += [flag] if value else []
        else:
            argv.append(f"{flag}={value}")
    rows = [(lib, _run_child(script, argv, lib)) for lib in runners]
    return [(lib, r) for lib, r in rows if r is not None]


def _run_child(script, argv, lib):
    result = subprocess.run([sys.executable, script, *argv, "--lib", lib], capture_output=True, text=True)
    if result.returncode != 0:
        if lib == "pytorch" and "No module named 'torch'" in result.stderr:
            print("PyTorch is not installed (pip install torch==2.13.0): genmodels only")
            return None
        raise RuntimeError(f"{lib} run failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])
