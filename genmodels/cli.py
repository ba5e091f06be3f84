"""The command line: python -m genmodels {demo,train} ...

    python -m genmodels demo [--out DIR] [--epochs N] [--quick]
    python -m genmodels train {ae,vae,gan,cgan} --dataset {mnist,fashion,bmnist}
                              [--epochs N] [--latent-dim D] [--architecture A] --out DIR [--resume]
"""
import argparse
import json
import os
import sys
import time

import numpy as np

MODELS = ("ae", "vae", "gan", "cgan")
DATASETS = ("mnist", "fashion", "bmnist")


def _load(name, quick):
    from . import datasets
    subset = 3000 if quick else None
    if name == "mnist":
        return datasets.load_mnist(subset=subset)
    if name == "fashion":
        return datasets.load_fashion_mnist(subset=subset)
    return datasets.load_binarized_mnist(subset=subset)


def _save_figure(fig, out, name):
    import matplotlib.pyplot as plt
    path = os.path.join(out, name)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path


def _agg():
    try:
        import matplotlib
    except ImportError:
        return False
    matplotlib.use("Agg")
    return True


def train(args):
    import genmodels as gm
    from . import plot
    ds = _load(args.dataset, args.quick)
    os.makedirs(args.out, exist_ok=True)
    arch = args.architecture or ("dcgan" if args.model in ("gan", "cgan") else "mlp")
    cls = {"ae": gm.AE, "vae": gm.VAE, "gan": gm.GAN, "cgan": gm.CGAN}[args.model]
    checkpoint = os.path.join(args.out, f"{args.model}.gm")
    history_file = os.path.join(args.out, "history.json")
    earlier = {}
    if args.resume:
        if not os.path.exists(checkpoint):
            print(f"--resume: there is no {checkpoint} to resume", file=sys.stderr)
            return 2
        model = gm.load(checkpoint)
        if type(model) is not cls:
            print(f"--resume: {checkpoint} holds a {type(model).__name__}, not a {cls.__name__}", file=sys.stderr)
            return 2
        if os.path.exists(history_file):
            with open(history_file) as f:
                earlier = json.load(f)
        print(f"resuming {model!r} after {model.epochs_trained_} epochs")
    else:
        model = cls(latent_dim=args.latent_dim, architecture=arch, seed=args.seed)
    start = time.perf_counter()
    if args.model == "cgan":
        hist = model.fit(ds.x_train, ds.y_train, epochs=args.epochs, verbose=args.verbose)
    elif args.model in ("ae", "vae"):
        hist = model.fit(ds.x_train, epochs=args.epochs, validation_data=ds.x_test, verbose=args.verbose)
    else:
        hist = model.fit(ds.x_train, epochs=args.epochs, verbose=args.verbose)
    seconds = time.perf_counter() - start
    files = {"checkpoint": model.save(checkpoint)}
    history = {k: list(earlier.get(k, [])) + v for k, v in hist.history.items()}
    with open(history_file, "w") as f:
        json.dump(history, f, indent=1)
    files["history"] = history_file
    metrics = {"train_seconds": seconds, "epochs": model.epochs_trained_, "dataset": ds.name}
    if args.model in ("ae", "vae"):
        rec = model.reconstruct(ds.x_test)
        metrics["test_reconstruction_mse_per_image"] = gm.metrics.reconstruction_error(ds.x_test, rec)
        if args.model == "vae":
            metrics["test_elbo"] = model.elbo(ds.x_test)
    with open(os.path.join(args.out, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=1)
    files["metrics"] = os.path.join(args.out, "metrics.json")
    if _agg():
        files["history_png"] = _save_figure(plot.history(history), args.out, "history.png")
        if args.model == "cgan":
            samples = model.sample(100, labels=np.repeat(np.arange(10), 10), seed=1)
        elif args.model == "ae":
            samples = model.reconstruct(ds.x_test[:100])
        else:
            samples = model.sample(100, seed=1)
        files["samples_png"] = _save_figure(plot.images(samples, ncols=10), args.out, "samples.png")
        if args.model in ("ae", "vae"):
            files["reconstructions_png"] = _save_figure(
                plot.reconstructions(ds.x_test[:10], model.reconstruct(ds.x_test[:10])), args.out,
                "reconstructions.png")
    for kind, path in files.items():
        print(f"{kind:20} {path}")
    return 0


def demo(args):
    """Train a VAE with a 2-D latent space on MNIST and draw what it learned."""
    import genmodels as gm
    from . import plot
    if not _agg():
        print("the demo draws figures with matplotlib: pip install matplotlib", file=sys.stderr)
        return 1
    ds = gm.datasets.load_mnist(subset=3000 if args.quick else None)
    out = args.out
    os.makedirs(out, exist_ok=True)
    epochs = 1 if args.quick and args.epochs is None else (args.epochs or 5)
    print(f"Training a VAE (latent_dim=2) on {len(ds.x_train)} MNIST images for {epochs} epochs "
          f"on {gm.get_num_threads()} threads ...")
    vae = gm.VAE(latent_dim=2, hidden=(512, 256), seed=0)
    start = time.perf_counter()
    hist = vae.fit(ds.x_train, epochs=epochs, validation_data=ds.x_test, verbose=1)
    print(f"trained in {time.perf_counter() - start:.1f} s; test ELBO {vae.elbo(ds.x_test):.1f} nats per image")
    written = [
        _save_figure(plot.reconstructions(ds.x_test[:12], vae.reconstruct(ds.x_test[:12]), n=12), out,
                     "reconstructions.png"),
        _save_figure(plot.images(vae.sample(60, seed=1), ncols=12, title="samples from N(0, I)"), out,
                     "samples.png"),
        _save_figure(plot.embedding(vae.transform(ds.x_test), ds.y_test, title="test set latent means"), out,
                     "embedding.png"),
        _save_figure(plot.manifold(vae, n=20, title="decoded latent grid"), out, "manifold.png"),
        _save_figure(plot.history(hist, title="loss per epoch (nats per image)"), out, "history.png"),
    ]
    vae.save(os.path.join(out, "vae.gm"))
    print("Figures written:\n  " + "\n  ".join(written) + f"\nModel: {os.path.join(out, 'vae.gm')}")
    return 0


def parser():
    p = argparse.ArgumentParser(prog="python -m genmodels", description="Train and study generative models.")
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("demo", help="train a VAE on MNIST and write figures")
    d.add_argument("--out", default="genmodels-demo", help="output folder (default: genmodels-demo)")
    d.add_argument("--epochs", type=int, default=None)
    d.add_argument("--quick", action="store_true", help="a small subset and one epoch")
    t = sub.add_parser("train", help="train a model and save it with its history, metrics and figures")
    t.add_argument("model", choices=MODELS)
    t.add_argument("--dataset", choices=DATASETS, required=True)
    t.add_argument("--epochs", type=int, default=5)
    t.add_argument("--latent-dim", type=int, default=20)
    t.add_argument("--architecture", choices=("mlp", "conv", "dcgan"), default=None)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--out", required=True)
    t.add_argument("--quick", action="store_true", help="a small subset of the data")
    t.add_argument("--verbose", type=int, choices=(0, 1, 2), default=1)
    t.add_argument("--resume", action="store_true",
                   help="train the checkpoint in --out for --epochs more (its own settings apply)")
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    if getattr(args, "epochs", None) is not None and args.epochs < 1:
        parser().error("--epochs must be >= 1")
    return demo(args) if args.command == "demo" else train(args)
