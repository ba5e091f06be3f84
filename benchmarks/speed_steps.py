"""Training-step time, genmodels vs PyTorch CPU, in alternating bursts.

    python benchmarks/speed_steps.py --model mlp-vae [--bursts 16] [--steps 40] [--threads 2]

Models: mlp-vae and conv-vae (as quality_vae.py), mlp-gan, dcgan, mlp-cgan
and dcgan-cgan (as quality_gan.py): the same networks, optimisers and batch
sizes. Each library trains in a live process of its own; the two take turns
training `steps` batches (a burst), so both meet the machine in the same
state. Timings of virtual machines drift by tens of percent from minute to
minute, which a pair of back-to-back runs cannot tell from a real difference;
the median over many alternating bursts can. Prints milliseconds per step
(median and best burst) and genmodels / PyTorch ratios: of the medians, and
the median of the per-pair ratios.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

MODELS = ("mlp-vae", "conv-vae", "mlp-gan", "dcgan", "mlp-cgan", "dcgan-cgan")


def trainer(lib, model, threads, steps):
    """burst() training `steps` batches of the model in library `lib`."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    if model.endswith("-vae"):
        import quality_vae as q
        arch = model[:-len("-vae")]
        x_train, _ = q.data(arch)
        chunk = x_train[:q.SETTINGS[arch]["batch_size"] * steps]
        train = q.genmodels_trainer(arch, threads) if lib == "genmodels" else q.torch_trainer(arch, threads)[3]
        return lambda: train(chunk)
    import quality_gan as q
    import genmodels as gm
    ds = gm.datasets.load_mnist()
    x, y = ds.x_train[:128 * steps], ds.y_train[:128 * steps]
    train = q.genmodels_trainer(model, threads) if lib == "genmodels" else q.torch_trainer(model, threads)[2]
    return lambda: train(x, y)


def worker(lib, model, threads, steps):
    """Answer each line on stdin with the ms per step of one burst."""
    burst = trainer(lib, model, threads, steps)
    burst()   # warm-up: first-call costs, buffers, caches
    print("ready", flush=True)
    for _ in sys.stdin:
        start = time.perf_counter()
        burst()
        print(1000 * (time.perf_counter() - start) / steps, flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=MODELS, default="mlp-vae")
    parser.add_argument("--bursts", type=int, default=16)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--worker", choices=("genmodels", "pytorch"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.model, args.threads, args.steps)
        return
    libs = ("genmodels", "pytorch")
    procs = {lib: subprocess.Popen([sys.executable, __file__, "--worker", lib, "--model", args.model,
                                    "--threads", str(args.threads), "--steps", str(args.steps)],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
             for lib in libs}
    for lib, proc in procs.items():
        if proc.stdout.readline().strip() != "ready":
            raise RuntimeError(f"the {lib} worker failed to start")
    times = {lib: [] for lib in libs}
    for b in range(args.bursts):
        for lib in (libs if b % 2 == 0 else libs[::-1]):   # alternate who goes first
            proc = procs[lib]
            proc.stdin.write("go\n")
            proc.stdin.flush()
            times[lib].append(float(proc.stdout.readline()))
    for proc in procs.values():
        proc.stdin.close()
        proc.wait()
    gm_ms, pt_ms = times["genmodels"], times["pytorch"]
    pairs = [g / p for g, p in zip(gm_ms, pt_ms)]
    print(f"{args.model}, {args.bursts} bursts of {args.steps} steps, {args.threads} threads")
    print(f"{'library':10} {'median ms/step':>15} {'best':>7}")
    for lib in libs:
        print(f"{lib:10} {statistics.median(times[lib]):15.2f} {min(times[lib]):7.2f}")
    print(f"ratio genmodels/pytorch: {statistics.median(gm_ms) / statistics.median(pt_ms):.3f} of the medians, "
          f"{statistics.median(pairs):.3f} median of pairs")


if __name__ == "__main__":
    main()
