"""Sample quality read by a classifier trained on the real data."""
import numpy as np

from .features import embed

__all__ = ["fid", "classifier_accuracy", "class_histogram"]


def _sqrtm_psd_product_trace(s1, s2):
    """trace(sqrt(s1 @ s2)) for symmetric PSD s1, s2, via the symmetric
    form sqrt(s1) s2 sqrt(s1), whose eigenvalues are real and >= 0."""
    w, v = np.linalg.eigh(s1)
    root = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    eig = np.linalg.eigvalsh(root @ s2 @ root)
    return float(np.sum(np.sqrt(np.clip(eig, 0, None))))


def fid(x_fake, x_real, features="mnist"):
    """Fréchet distance between Gaussian fits of classifier features of two
    image sets (the FID of Heusel et al., with a small MNIST or Fashion-MNIST
    classifier in place of Inception): |mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1 S2)^1/2).
    0 for identical distributions; compare values only under the same
    `features` and sample sizes (it is biased upwards for small sets)."""
    f1, _ = embed(x_fake, features, "x_fake")
    f2, _ = embed(x_real, features, "x_real")
    if len(f1) < 2 or len(f2) < 2:
        raise ValueError("fid needs at least 2 images in each set")
    mu1, mu2 = f1.mean(0), f2.mean(0)
    s1, s2 = np.cov(f1, rowvar=False), np.cov(f2, rowvar=False)
    value = float(np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * _sqrtm_psd_product_trace(s1, s2))
    return max(value, 0.0)


def classifier_accuracy(x, labels, features="mnist"):
    """Fraction of images the shipped classifier assigns to their intended
    class: how well a conditional model follows its labels."""
    _, logits = embed(x, features)
    labels = np.asarray(labels).reshape(-1)
    if labels.shape != (len(logits),):
        raise ValueError(f"'labels' must hold one class per image ({len(logits)}), got shape {labels.shape}")
    return float(np.mean(logits.argmax(1) == labels))


def class_histogram(x, features="mnist"):
    """Fraction of images classified into each of the 10 classes: a
    mode-collapsed generator puts most of its samples in few classes."""
    _, logits = embed(x, features)
    return np.bincount(logits.argmax(1), minlength=10) / len(logits)
