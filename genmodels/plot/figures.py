"""Figures for generative models."""
import math

import numpy as np

__all__ = ["images", "reconstructions", "history", "embedding", "manifold", "interpolation",
           "latent_activations", "compare"]


def _plt():
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("genmodels.plot needs matplotlib: pip install matplotlib") from None
    return plt


def _as_images(x, name="x"):
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 2:                        # (N, D): square single-channel images
        side = int(round(math.sqrt(x.shape[1])))
        if side * side != x.shape[1]:
            raise ValueError(f"'{name}' rows of {x.shape[1]} values are not square images")
        x = x.reshape(len(x), side, side)
    if x.ndim == 4:
        x = x[:, 0] if x.shape[1] == 1 else np.moveaxis(x, 1, -1)
    if x.ndim not in (3, 4) or len(x) == 0:
        raise ValueError(f"'{name}' must be images (N, H, W), (N, C, H, W) or (N, D), got shape {x.shape}")
    return x


def _tile(x, ncols, pad=1):
    n, h, w = x.shape[:3]
    nrows = math.ceil(n / ncols)
    canvas = np.ones((nrows * (h + pad) + pad, ncols * (w + pad) + pad) + x.shape[3:], np.float32)
    for i in range(n):
        r, c = divmod(i, ncols)
        canvas[pad + r * (h + pad):pad + r * (h + pad) + h, pad + c * (w + pad):pad + c * (w + pad) + w] = x[i]
    return canvas


def images(x, ncols=10, title=None, ax=None, cmap="gray"):
    """A grid of images."""
    plt = _plt()
    x = _as_images(x)
    ncols = max(1, min(int(ncols), len(x)))
    if ax is None:
        nrows = math.ceil(len(x) / ncols)
        fig, ax = plt.subplots(figsize=(ncols * 0.9, nrows * 0.9 + (0.4 if title else 0)))
    else:
        fig = ax.figure
    ax.imshow(np.clip(_tile(x, ncols), 0, 1), cmap=cmap, vmin=0, vmax=1)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return fig


def reconstructions(x, x_rec, n=10, title=None):
    """Originals (top row) above their reconstructions (bottom row)."""
    plt = _plt()
    x, x_rec = _as_images(x), _as_images(x_rec, "x_rec")
    if x.shape != x_rec.shape:
        raise ValueError(f"'x' and 'x_rec' differ in shape: {x.shape} and {x_rec.shape}")
    n = min(int(n), len(x))
    fig, axes = plt.subplots(2, 1, figsize=(n * 0.9, 2.2))
    images(x[:n], ncols=n, ax=axes[0], title=title or "input")
    images(x_rec[:n], ncols=n, ax=axes[1], title="reconstruction")
    return fig


def history(hist, keys=None, ax=None, title=None):
    """Curves of a training History (or its dict): every key, or `keys`,
    with validation ("val_...") curves dashed in the colour of their pair."""
    plt = _plt()
    data = getattr(hist, "history", hist)
    if not isinstance(data, dict) or not data:
        raise ValueError("'hist' must be a History or a non-empty dict of lists")
    keys = [k for k in data if not k.startswith("val_")] if keys is None else list(keys)
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 3.5))
    else:
        fig = ax.figure
    for key in keys:
        if key not in data:
            raise KeyError(f"'{key}' is not in the history; it has {sorted(data)}")
        line, = ax.plot(np.arange(1, len(data[key]) + 1), data[key], label=key)
        if f"val_{key}" in data:
            ax.plot(np.arange(1, len(data[f"val_{key}"]) + 1), data[f"val_{key}"], "--",
                    color=line.get_color(), label=f"val_{key}")
    ax.set_xlabel("epoch")
    ax.legend()
    if title:
        ax.set_title(title)
    return fig


def embedding(emb, labels=None, class_names=None, ax=None, title=None, s=2):
    """A 2-D embedding as a scatter plot coloured by class, with a legend."""
    plt = _plt()
    emb = np.asarray(emb, dtype=np.float64)
    if emb.ndim != 2 or emb.shape[1] < 2:
        raise ValueError(f"'emb' must be (N, 2), got shape {emb.shape}")
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 6))
    else:
        fig = ax.figure
    if labels is None:
        ax.scatter(emb[:, 0], emb[:, 1], s=s)
    else:
        labels = np.asarray(labels)
        if labels.shape != (len(emb),):
            raise ValueError(f"'labels' must have shape ({len(emb)},), got {labels.shape}")
        cmap = plt.get_cmap("tab10" if len(np.unique(labels)) <= 10 else "tab20")
        for i, c in enumerate(np.unique(labels)):
            name = class_names[int(c)] if class_names is not None else str(c)
            m = labels == c
            ax.scatter(emb[m, 0], emb[m, 1], s=s, color=cmap(i % cmap.N), label=name)
        ax.legend(markerscale=4, fontsize="small", loc="best")
    ax.set_xticks([]), ax.set_yticks([])
    if title:
        ax.set_title(title)
    return fig


def manifold(model, n=20, span=(0.05, 0.95), ax=None, title=None):
    """Decode an n x n grid of a 2-D latent space (through the Gaussian
    inverse CDF) and show it as one image."""
    from ..latent import grid
    if getattr(model, "latent_dim", None) != 2:
        raise ValueError("manifold: the model must have latent_dim=2")
    decoded = model.decode(grid(n, span)) if hasattr(model, "decode") else model.generate(grid(n, span))
    return images(decoded, ncols=n, ax=ax, title=title)


def interpolation(decoded, ax=None, title=None):
    """A strip of images decoded along a latent path (e.g. interpolate())."""
    x = _as_images(decoded, "decoded")
    return images(x, ncols=len(x), ax=ax, title=title)


def latent_activations(z, labels=None, ax=None, title=None):
    """Mean activation of each latent unit over the data set (bars) and, with
    labels, per class (lines)."""
    plt = _plt()
    z = np.asarray(z, dtype=np.float64)
    if z.ndim != 2:
        raise ValueError(f"'z' must be (N, latent_dim), got shape {z.shape}")
    if ax is None:
        fig, ax = plt.subplots(figsize=(max(4, z.shape[1] * 0.4), 3.5))
    else:
        fig = ax.figure
    units = np.arange(z.shape[1])
    ax.bar(units, z.mean(0), color="lightgray", label="all")
    if labels is not None:
        labels = np.asarray(labels)
        for c in np.unique(labels):
            ax.plot(units, z[labels == c].mean(0), marker=".", label=str(c))
    ax.set_xlabel("latent unit")
    ax.set_ylabel("mean activation")
    ax.legend(fontsize="small", ncol=2)
    if title:
        ax.set_title(title)
    return fig


def compare(samples, ncols=8, title=None):
    """Several models' samples side by side: samples is {name: images}."""
    plt = _plt()
    if not isinstance(samples, dict) or not samples:
        raise ValueError("'samples' must be a non-empty dict of {model name: images}")
    fig, axes = plt.subplots(1, len(samples), figsize=(len(samples) * ncols * 0.45, ncols * 0.5 + 0.6))
    axes = np.atleast_1d(axes)
    for ax, (name, x) in zip(axes, samples.items()):
        images(x, ncols=ncols, ax=ax, title=name)
    if title:
        fig.suptitle(title)
    return fig
