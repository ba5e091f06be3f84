"""GAN and conditional GAN quality and speed: genmodels vs PyTorch CPU.

    python benchmarks/quality_gan.py --model dcgan-cgan [--epochs 5] [--threads 2] [--loss hinge] [--pack 2]
                                     [--spectral-norm] [--seed 0]

Models (MNIST, 60,000 training images, Adam 2e-4 with beta1 0.5, batch 128,
PyTorch's default initialisation on both sides for the MLPs, the DCGAN
paper's (weights from N(0, 0.02)) for the DCGANs, the non-saturating loss
or with --loss hinge the hinge loss; --pack m makes the discriminator judge
m images at a time, PacGAN-style; --spectral-norm normalises the
discriminator's weights, without batch norm in the DCGAN's, as in SN-GAN):

    mlp-gan      the MLP GAN of genmodels' "mlp" architecture (latent 100)
    dcgan        the "dcgan" architecture (latent 100)
    mlp-cgan     MLP conditional GAN, one-hot labels on both networks
    dcgan-cgan   DCGAN conditional GAN, labels as constant planes for D

Each library trains in a fresh process of its own (so that neither's thread
pool disturbs the other). Printed: seconds per epoch, the discriminator's
mean output on real and generated batches in the last epoch, FID of 2,000
samples against the test set, the class histogram of 10,000 samples (read by
genmodels' shipped MNIST classifier), and for conditional models the
fraction of 10,000 samples (1,000 per class) that the classifier assigns to
their requested class. --seed sets both libraries' training seed; the
spread over seeds shows how much of a difference is chance.
"""
import time

import numpy as np

import genmodels as gm
from _isolated import compare, parser

MODELS = ("mlp-gan", "dcgan", "mlp-cgan", "dcgan-cgan")
LATENT = 100
N_SAMPLES = 10000      # for the class histogram: a 5% share is then known to 0.2 points
N_FID = 2000           # FID depends on the sample size: kept as in earlier results
PER_CLASS = 1000       # conditional samples per class


def scores(samples, cond_samples):
    """Sample-quality figures of a trained model, from flat images in [0, 1]."""
    ds = gm.datasets.load_mnist()
    x = samples.reshape(-1, 28, 28)
    out = {"fid": float(gm.metrics.fid(x[:N_FID], ds.x_test)),
           "histogram": [round(float(v), 3) for v in gm.metrics.class_histogram(x)]}
    if cond_samples is not None:
        images, labels = cond_samples
        out["cond_accuracy"] = float(gm.metrics.classifier_accuracy(images.reshape(-1, 28, 28), labels))
    return out


def run_genmodels(model, epochs, threads, loss="nonsaturating", pack=1, spectral_norm=False, seed=0):
    gm.set_num_threads(threads)
    ds = gm.datasets.load_mnist()
    arch, conditional = model.split("-")[0], model.endswith("-cgan")
    options = {"loss": loss, "pack": pack, "spectral_norm": spectral_norm, "seed": seed}
    if conditional:
        net = gm.CGAN(latent_dim=LATENT, n_classes=10, architecture=arch, **options)
    else:
        net = gm.GAN(latent_dim=LATENT, architecture=arch, **options)
    start = time.perf_counter()
    if conditional:
        hist = net.fit(ds.x_train, ds.y_train, epochs=epochs, batch_size=128, verbose=0)
    else:
        hist = net.fit(ds.x_train, epochs=epochs, batch_size=128, verbose=0)
    per_epoch = (time.perf_counter() - start) / epochs
    if conditional:
        samples = net.sample(N_SAMPLES, labels=np.arange(N_SAMPLES) % 10, seed=1)
        labels = np.repeat(np.arange(10), PER_CLASS)
        cond = (net.sample(len(labels), labels=labels, seed=2), labels)
    else:
        samples, cond = net.sample(N_SAMPLES, seed=1), None
    return {"s_per_epoch": per_epoch, "d_real": hist.history["d_real"][-1],
            "d_fake": hist.history["d_fake"][-1], **scores(samples, cond)}


def torch_networks(arch, extra, pack=1, spectral_norm=False):
    from torch import nn
    sn = nn.utils.parametrizations.spectral_norm if spectral_norm else (lambda layer: layer)
    if arch == "mlp":
        g = nn.Sequential(nn.Linear(LATENT + extra, 256), nn.BatchNorm1d(256), nn.LeakyReLU(0.2),
                          nn.Linear(256, 512), nn.BatchNorm1d(512), nn.LeakyReLU(0.2),
                          nn.Linear(512, 1024), nn.BatchNorm1d(1024), nn.LeakyReLU(0.2),
                          nn.Linear(1024, 784), nn.Sigmoid())
        d = nn.Sequential(sn(nn.Linear(pack * (784 + extra), 512)), nn.LeakyReLU(0.2), sn(nn.Linear(512, 256)),
                          nn.LeakyReLU(0.2), sn(nn.Linear(256, 1)))
        return g, d
    g = nn.Sequential(nn.Linear(LATENT + extra, 128 * 7 * 7), nn.BatchNorm1d(128 * 7 * 7), nn.ReLU(),
                      nn.Unflatten(1, (128, 7, 7)),
                      nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.ReLU(),
                      nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Sigmoid(), nn.Flatten())
    down1, down2 = nn.Conv2d(pack * (1 + extra), 64, 4, 2, 1), nn.Conv2d(64, 128, 4, 2, 1)
    score = nn.Linear(128 * 7 * 7, 1)
    norm = [] if spectral_norm else [nn.BatchNorm2d(128)]
    for layer in [*g, down1, down2, *norm, score]:      # the DCGAN paper's initialisation, as genmodels'
        if isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d, nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            norm_layer = isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d))
            nn.init.normal_(layer.weight, 1.0 if norm_layer else 0.0, 0.02)
            nn.init.zeros_(layer.bias)
    d = nn.Sequential(sn(down1), nn.LeakyReLU(0.2), sn(down2), *norm, nn.LeakyReLU(0.2), nn.Flatten(), sn(score))
    return g, d


def torch_trainer(model, threads, loss="nonsaturating", pack=1, spectral_norm=False, seed=0):
    """PyTorch's side: (g, g_input, train_epoch(x, y)) where train_epoch
    trains one epoch over images x (N, 784) with labels y and returns D's
    mean outputs on real and on generated batches (for the hinge loss the
    mean sigmoid of D's score, as genmodels reports it)."""
    import torch
    import torch.nn.functional as F
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    arch, conditional = model.split("-")[0], model.endswith("-cgan")
    extra = 10 if conditional else 0
    g, d = torch_networks(arch, extra, pack, spectral_norm)
    g_opt = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    d_opt = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))

    def g_input(z, y):
        return torch.cat([z, F.one_hot(y, 10).float()], 1) if conditional else z

    def d_input(x, y):
        """D's input: images (with labels) side by side in packs of `pack`."""
        if conditional:
            onehot = F.one_hot(y, 10).float()
            if arch == "mlp":
                x = torch.cat([x, onehot], 1)
            else:
                x = torch.cat([x.view(-1, 1, 28, 28), onehot[:, :, None, None].expand(-1, 10, 28, 28)], 1)
        x = x.reshape(len(x) // pack, -1)
        return x if arch == "mlp" else x.view(len(x), -1, 28, 28)

    def train_epoch(images, labels):
        x_all, y_all = torch.from_numpy(images.reshape(-1, 784)), torch.from_numpy(labels)
        perm = torch.randperm(len(x_all))
        real_means, fake_means = [], []
        for i in range(0, len(x_all), 128):
            idx = perm[i:i + 128]
            idx = idx[torch.arange(-(-len(idx) // pack) * pack) % len(idx)]    # whole packs, as genmodels
            x, y = x_all[idx], y_all[idx]
            n = len(x)
            fake = g(g_input(torch.randn(n, LATENT), y)).detach()
            real_logits, fake_logits = d(d_input(x, y)), d(d_input(fake, y))
            if loss == "hinge":
                d_loss = F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()
            else:
                d_loss = (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
                          + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))
            d_opt.zero_grad()
            d_loss.backward()
            d_opt.step()
            real_means.append(torch.sigmoid(real_logits.detach()).mean().item())
            fake_means.append(torch.sigmoid(fake_logits.detach()).mean().item())
            logits = d(d_input(g(g_input(torch.randn(n, LATENT), y)), y))
            if loss == "hinge":
                g_loss = -logits.mean()
            else:
                g_loss = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
            g_opt.zero_grad()
            g_loss.backward()
            g_opt.step()
        return float(np.mean(real_means)), float(np.mean(fake_means))

    return g, g_input, train_epoch


def genmodels_trainer(model, threads):
    """genmodels' side for speed_steps.py: train_epoch(x, y) trains one epoch."""
    gm.set_num_threads(threads)
    arch, conditional = model.split("-")[0], model.endswith("-cgan")
    if conditional:
        net = gm.CGAN(latent_dim=LATENT, n_classes=10, architecture=arch, seed=0)
        return lambda x, y: net.fit(x, y, epochs=1, batch_size=128, verbose=0)
    net = gm.GAN(latent_dim=LATENT, architecture=arch, seed=0)
    return lambda x, y: net.fit(x, epochs=1, batch_size=128, verbose=0)


def run_torch(model, epochs, threads, loss="nonsaturating", pack=1, spectral_norm=False, seed=0):
    import torch
    ds = gm.datasets.load_mnist()
    conditional = model.endswith("-cgan")
    g, g_input, train_epoch = torch_trainer(model, threads, loss, pack, spectral_norm, seed)
    start = time.perf_counter()
    for _ in range(epochs):
        real_mean, fake_mean = train_epoch(ds.x_train, ds.y_train)
    per_epoch = (time.perf_counter() - start) / epochs
    g.eval()
    with torch.no_grad():
        labels = torch.arange(N_SAMPLES) % 10
        samples = g(g_input(torch.randn(N_SAMPLES, LATENT), labels)).numpy()
        cond = None
        if conditional:
            cond_labels = torch.arange(10).repeat_interleave(PER_CLASS)
            cond = (g(g_input(torch.randn(len(cond_labels), LATENT), cond_labels)).numpy(), cond_labels.numpy())
    return {"s_per_epoch": per_epoch, "d_real": real_mean, "d_fake": fake_mean, **scores(samples, cond)}


def main():
    cli = parser(__doc__.splitlines()[0], MODELS, "dcgan-cgan", 5)
    cli.add_argument("--loss", choices=("nonsaturating", "hinge"), default="nonsaturating")
    cli.add_argument("--pack", type=int, default=1, help="images per discriminator input (PacGAN)")
    cli.add_argument("--spectral-norm", action="store_true", help="spectrally normalised discriminator")
    cli.add_argument("--seed", type=int, default=0, help="training seed of both libraries")
    args = cli.parse_args()
    rows = compare(__file__, args, {"genmodels": run_genmodels, "pytorch": run_torch})
    if rows is None:
        return
    print(f"{args.model}, {args.loss} loss, pack {args.pack}{', spectral norm' if args.spectral_norm else ''}, "
          f"{args.epochs} epochs, {args.threads} threads, seed {args.seed}")
    print(f"{'library':10} {'s/epoch':>8} {'D(real)':>8} {'D(fake)':>8} {'FID':>7} {'cond acc':>9} "
          f"{'min class':>9}  class histogram")
    for lib, r in rows:
        acc = f"{r['cond_accuracy']:9.3f}" if "cond_accuracy" in r else f"{'-':>9}"
        print(f"{lib:10} {r['s_per_epoch']:8.2f} {r['d_real']:8.3f} {r['d_fake']:8.3f} {r['fid']:7.2f} {acc} "
              f"{min(r['histogram']):9.3f}  {r['histogram']}")
    if len(rows) == 2:
        print(f"time ratio genmodels/pytorch: {rows[0][1]['s_per_epoch'] / rows[1][1]['s_per_epoch']:.2f}")


if __name__ == "__main__":
    main()
