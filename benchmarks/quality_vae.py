"""MLP VAE quality and speed: genmodels vs PyTorch CPU, the same model.

    python benchmarks/quality_vae.py [--epochs 10] [--threads 2]

784-512-256-20 encoder (mean and log-variance), mirrored decoder, Bernoulli
likelihood on dynamically binarised MNIST, Adam 1e-3, batch 128, PyTorch's
default initialisation on both sides. Prints seconds per epoch, the test
ELBO and the importance-weighted log-likelihood (k=500 on 1,000 test
images), in nats.
"""
import argparse
import math
import time

import numpy as np

import genmodels as gm


def run_genmodels(ds, epochs, threads):
    gm.set_num_threads(threads)
    vae = gm.VAE(latent_dim=20, hidden=(512, 256), seed=0)
    start = time.perf_counter()
    vae.fit(ds.x_train, epochs=epochs, batch_size=128, lr=1e-3, binarize="dynamic", verbose=0)
    per_epoch = (time.perf_counter() - start) / epochs
    xt = gm.datasets.binarize(ds.x_test, seed=123)
    return per_epoch, vae.elbo(xt), vae.log_likelihood(xt[:1000], k=500)


def run_torch(ds, epochs, threads):
    import torch
    from torch import nn
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    enc = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 40))
    dec = nn.Sequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 512), nn.ReLU(), nn.Linear(512, 784))
    opt = torch.optim.Adam(list(enc.parameters()) + list(dec.parameters()), lr=1e-3)
    x_all = torch.from_numpy(ds.x_train.reshape(-1, 784))
    bce = nn.BCEWithLogitsLoss(reduction="none")

    def terms(x):
        h = enc(x)
        mu, logvar = h[:, :20], h[:, 20:]
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        rec = bce(dec(z), x).sum(1)
        kl = 0.5 * (logvar.exp() + mu ** 2 - 1 - logvar).sum(1)
        return rec, kl, mu, logvar, z

    start = time.perf_counter()
    for _ in range(epochs):
        perm = torch.randperm(len(x_all))
        for i in range(0, len(x_all), 128):
            x = torch.bernoulli(x_all[perm[i:i + 128]])
            rec, kl, *_ = terms(x)
            loss = (rec + kl).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    per_epoch = (time.perf_counter() - start) / epochs
    xt = torch.from_numpy(gm.datasets.binarize(ds.x_test, seed=123).reshape(-1, 784))
    with torch.no_grad():
        rec, kl, *_ = terms(xt)
        elbo = float(-(rec + kl).mean())
        lls = []
        for x in xt[:1000]:
            xk = x.expand(500, 784)
            h = enc(xk)
            mu, logvar = h[:, :20], h[:, 20:]
            eps = torch.randn_like(mu)
            z = mu + torch.exp(0.5 * logvar) * eps
            log_px = -bce(dec(z), xk).sum(1)
            log_pz = -0.5 * (z ** 2 + math.log(2 * math.pi)).sum(1)
            log_q = -0.5 * (eps ** 2 + math.log(2 * math.pi)).sum(1) - 0.5 * logvar.sum(1)
            lls.append(float(torch.logsumexp(log_px + log_pz - log_q, 0) - math.log(500)))
    return per_epoch, elbo, float(np.mean(lls))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    ds = gm.datasets.load_mnist()
    rows = [("genmodels", *run_genmodels(ds, args.epochs, args.threads))]
    try:
        rows.append(("pytorch", *run_torch(ds, args.epochs, args.threads)))
    except ImportError:
        print("PyTorch is not installed (pip install torch==2.13.0): genmodels only")
    print(f"MLP VAE, {args.epochs} epochs, {args.threads} threads")
    print(f"{'library':10} {'s/epoch':>8} {'test ELBO':>10} {'IWAE k=500':>11}")
    for name, t, elbo, ll in rows:
        print(f"{name:10} {t:8.2f} {elbo:10.2f} {ll:11.2f}")
    if len(rows) == 2:
        print(f"time ratio genmodels/pytorch: {rows[0][1] / rows[1][1]:.2f}")


if __name__ == "__main__":
    main()
