"""VAE quality and speed: genmodels vs PyTorch CPU, the same model.

    python benchmarks/quality_vae.py [--model mlp|conv] [--epochs 10] [--threads 2]

    mlp   784-512-256-20 encoder (mean and log-variance), mirrored decoder,
          Bernoulli likelihood on dynamically binarised MNIST, Adam 1e-3,
          batch 128.
    conv  genmodels' "conv" architecture (two 4x4 stride-2 convolutions of
          32 and 64 channels, mirrored by transposed ones), latent 20,
          Bernoulli likelihood on Fashion-MNIST's grey levels, Adam 1e-3 with
          weight decay 1e-5, batch 64 (the lab sheet's classic setting).

PyTorch's default initialisation on both sides; each library trains in a
fresh process of its own. Prints seconds per epoch, the test ELBO, the
importance-weighted log-likelihood (k=500 on 1,000 test images), in nats per
image, and the test reconstruction error (squared error per image of the
decoder means).
"""
import math
import time

import numpy as np

import genmodels as gm
from _isolated import compare, parser

LATENT = 20
SETTINGS = {"mlp": dict(batch_size=128, weight_decay=0.0, binarize="dynamic"),
            "conv": dict(batch_size=64, weight_decay=1e-5, binarize=None)}


def data(model):
    """Training images, and the fixed test images the scores are taken on."""
    if model == "mlp":
        ds = gm.datasets.load_mnist()
        return ds.x_train, gm.datasets.binarize(ds.x_test, seed=123)
    ds = gm.datasets.load_fashion_mnist()
    return ds.x_train, ds.x_test


def run_genmodels(model, epochs, threads):
    gm.set_num_threads(threads)
    x_train, x_test = data(model)
    cfg = SETTINGS[model]
    vae = gm.VAE(latent_dim=LATENT, architecture=model, hidden=(512, 256), seed=0)
    start = time.perf_counter()
    vae.fit(x_train, epochs=epochs, batch_size=cfg["batch_size"], lr=1e-3, weight_decay=cfg["weight_decay"],
            binarize=cfg["binarize"], verbose=0)
    per_epoch = (time.perf_counter() - start) / epochs
    rec = vae.reconstruct(x_test)
    return {"s_per_epoch": per_epoch, "elbo": vae.elbo(x_test),
            "iwae": vae.log_likelihood(x_test[:1000], k=500),
            "rec_error": float(((rec - x_test) ** 2).reshape(len(x_test), -1).sum(1).mean())}


def torch_networks(model):
    from torch import nn
    if model == "mlp":
        enc = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                            nn.Linear(256, 2 * LATENT))
        dec = nn.Sequential(nn.Linear(LATENT, 256), nn.ReLU(), nn.Linear(256, 512), nn.ReLU(),
                            nn.Linear(512, 784))
        return enc, dec
    enc = nn.Sequential(nn.Unflatten(1, (1, 28, 28)), nn.Conv2d(1, 32, 4, 2, 1), nn.ReLU(),
                        nn.Conv2d(32, 64, 4, 2, 1), nn.ReLU(), nn.Flatten(), nn.Linear(64 * 7 * 7, 2 * LATENT))
    dec = nn.Sequential(nn.Linear(LATENT, 64 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (64, 7, 7)),
                        nn.ConvTranspose2d(64, 32, 4, 2, 1), nn.ReLU(), nn.ConvTranspose2d(32, 1, 4, 2, 1),
                        nn.Flatten())
    return enc, dec


def torch_trainer(model, threads):
    """PyTorch's side: (enc, dec, terms, train_epoch(x)) where train_epoch
    trains one epoch over the float32 images x in shuffled batches."""
    import torch
    from torch import nn
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    cfg = SETTINGS[model]
    enc, dec = torch_networks(model)
    opt = torch.optim.Adam(list(enc.parameters()) + list(dec.parameters()), lr=1e-3,
                           weight_decay=cfg["weight_decay"])
    bce = nn.BCEWithLogitsLoss(reduction="none")

    def terms(x):
        h = enc(x)
        mu, logvar = h[:, :LATENT], h[:, LATENT:]
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        rec = bce(dec(z), x).sum(1)
        kl = 0.5 * (logvar.exp() + mu ** 2 - 1 - logvar).sum(1)
        return rec, kl

    def train_epoch(images):
        x_all = torch.from_numpy(images.reshape(-1, 784))
        batch = cfg["batch_size"]
        perm = torch.randperm(len(x_all))
        for i in range(0, len(x_all), batch):
            x = x_all[perm[i:i + batch]]
            if cfg["binarize"]:
                x = torch.bernoulli(x)
            rec, kl = terms(x)
            loss = (rec + kl).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()

    return enc, dec, terms, train_epoch


def genmodels_trainer(model, threads):
    """genmodels' side for speed_steps.py: train_epoch(x) trains one epoch."""
    gm.set_num_threads(threads)
    cfg = SETTINGS[model]
    vae = gm.VAE(latent_dim=LATENT, architecture=model, hidden=(512, 256), seed=0)
    return lambda x: vae.fit(x, epochs=1, batch_size=cfg["batch_size"], lr=1e-3,
                             weight_decay=cfg["weight_decay"], binarize=cfg["binarize"], verbose=0)


def run_torch(model, epochs, threads):
    import torch
    x_train, x_test = data(model)
    enc, dec, terms, train_epoch = torch_trainer(model, threads)
    bce = torch.nn.BCEWithLogitsLoss(reduction="none")
    start = time.perf_counter()
    for _ in range(epochs):
        train_epoch(x_train)
    per_epoch = (time.perf_counter() - start) / epochs
    xt = torch.from_numpy(x_test.reshape(-1, 784))
    with torch.no_grad():
        rec, kl = terms(xt)
        elbo = float(-(rec + kl).mean())
        means = torch.sigmoid(dec(enc(xt)[:, :LATENT]))
        rec_error = float(((means - xt) ** 2).sum(1).mean())
        lls = []
        for x in xt[:1000]:
            xk = x.expand(500, 784)
            h = enc(xk)
            mu, logvar = h[:, :LATENT], h[:, LATENT:]
            eps = torch.randn_like(mu)
            z = mu + torch.exp(0.5 * logvar) * eps
            log_px = -bce(dec(z), xk).sum(1)
            log_pz = -0.5 * (z ** 2 + math.log(2 * math.pi)).sum(1)
            log_q = -0.5 * (eps ** 2 + math.log(2 * math.pi)).sum(1) - 0.5 * logvar.sum(1)
            lls.append(float(torch.logsumexp(log_px + log_pz - log_q, 0) - math.log(500)))
    return {"s_per_epoch": per_epoch, "elbo": elbo, "iwae": float(np.mean(lls)), "rec_error": rec_error}


def main():
    args = parser(__doc__.splitlines()[0], tuple(SETTINGS), "mlp", 10).parse_args()
    rows = compare(__file__, args, {"genmodels": run_genmodels, "pytorch": run_torch})
    if rows is None:
        return
    print(f"{args.model} VAE, {args.epochs} epochs, {args.threads} threads")
    print(f"{'library':10} {'s/epoch':>8} {'test ELBO':>10} {'IWAE k=500':>11} {'rec error':>10}")
    for lib, r in rows:
        print(f"{lib:10} {r['s_per_epoch']:8.2f} {r['elbo']:10.2f} {r['iwae']:11.2f} {r['rec_error']:10.2f}")
    if len(rows) == 2:
        print(f"time ratio genmodels/pytorch: {rows[0][1]['s_per_epoch'] / rows[1][1]['s_per_epoch']:.2f}")


if __name__ == "__main__":
    main()
