"""The command line, the figures and the reconstruction metric."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import genmodels as gm
from conftest import local_data

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402


def run_cli(args, tmp_path):
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(gm.__file__)))
    env = dict(os.environ, PYTHONPATH=package_parent, MPLBACKEND="Agg")
    return subprocess.run([sys.executable, "-m", "genmodels", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)


def mnist_or_skip():
    local_data(gm.datasets.load_mnist, subset=100)


def test_demo_writes_its_figures(tmp_path):
    mnist_or_skip()
    proc = run_cli(["demo", "--quick", "--out", "out"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    for name in ("reconstructions.png", "samples.png", "embedding.png", "manifold.png", "history.png", "vae.gm"):
        assert (tmp_path / "out" / name).stat().st_size > 1000, name
    assert "Figures written" in proc.stdout
    assert isinstance(gm.load(tmp_path / "out" / "vae.gm"), gm.VAE)


@pytest.mark.parametrize("model", ["vae", "cgan"])
def test_train_writes_checkpoint_history_metrics_and_figures(model, tmp_path):
    mnist_or_skip()
    proc = run_cli(["train", model, "--dataset", "mnist", "--epochs", "1", "--quick", "--latent-dim", "4",
                    "--architecture", "mlp", "--verbose", "0", "--out", "run"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "run"
    history = json.loads((out / "history.json").read_text())
    metrics = json.loads((out / "metrics.json").read_text())
    assert len(next(iter(history.values()))) == 1 and metrics["epochs"] == 1
    assert (out / f"{model}.gm").exists() and (out / "samples.png").exists()
    if model == "vae":
        assert metrics["test_elbo"] < 0


def test_train_resume_continues_the_run(tmp_path):
    mnist_or_skip()
    common = ["train", "vae", "--dataset", "mnist", "--quick", "--latent-dim", "4", "--verbose", "0"]
    for args in (["--epochs", "2", "--out", "straight"], ["--epochs", "1", "--out", "split"],
                 ["--epochs", "1", "--out", "split", "--resume"]):
        proc = run_cli(common + args, tmp_path)
        assert proc.returncode == 0, proc.stderr
    assert "resuming VAE(" in proc.stdout and "after 1 epochs" in proc.stdout
    straight, split = gm.load(tmp_path / "straight" / "vae.gm"), gm.load(tmp_path / "split" / "vae.gm")
    for k, v in straight.state_arrays().items():
        np.testing.assert_array_equal(split.state_arrays()[k], v, err_msg=k)
    history = json.loads((tmp_path / "split" / "history.json").read_text())
    assert history == json.loads((tmp_path / "straight" / "history.json").read_text())
    assert json.loads((tmp_path / "split" / "metrics.json").read_text())["epochs"] == 2
    proc = run_cli(common + ["--out", "nothing-here", "--resume"], tmp_path)
    assert proc.returncode == 2 and "no nothing-here" in proc.stderr


@pytest.mark.parametrize("args", [["train", "vae"], ["train", "flow", "--dataset", "mnist", "--out", "x"],
                                  ["demo", "--epochs", "0"], ["nope"]])
def test_bad_arguments_exit_with_usage(args, tmp_path):
    proc = run_cli(args, tmp_path)
    assert proc.returncode == 2
    assert "usage:" in proc.stderr


def test_every_plot_returns_a_figure(rng):
    x = rng.uniform(size=(12, 28, 28)).astype(np.float32)
    hist = gm.nn.History()
    for e in range(3):
        hist.add_epoch(e, {"loss": 3 - e, "val_loss": 3.5 - e, "kl": e})
    vae = gm.VAE(latent_dim=2, hidden=(16,), seed=0)
    figures = [gm.plot.images(x, ncols=4), gm.plot.reconstructions(x, x[::-1]), gm.plot.history(hist),
               gm.plot.embedding(rng.standard_normal((50, 2)), rng.integers(0, 3, 50), class_names=["a", "b", "c"]),
               gm.plot.manifold(vae, n=4), gm.plot.interpolation(x[:5]),
               gm.plot.latent_activations(rng.standard_normal((30, 4)), rng.integers(0, 2, 30)),
               gm.plot.images(x.reshape(12, 784)), gm.plot.compare({"VAE": x[:8], "GAN": x[4:]}, ncols=4)]
    assert all(isinstance(f, Figure) for f in figures)
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots()
    assert gm.plot.history(hist.history, keys=["kl"], ax=ax) is fig
    with pytest.raises(ValueError, match="latent_dim=2"):
        gm.plot.manifold(gm.VAE(latent_dim=3, hidden=(8,)))
    with pytest.raises(KeyError, match="'nope' is not in the history"):
        gm.plot.history(hist, keys=["nope"])
    with pytest.raises(ValueError, match="not square images"):
        gm.plot.images(np.zeros((2, 10)))
    plt.close("all")


def test_reconstruction_error_by_hand():
    x = np.array([[[0.0, 1.0], [1.0, 0.0]]])
    r = np.array([[[0.5, 1.0], [0.0, 0.0]]])
    assert gm.metrics.reconstruction_error(x, r) == pytest.approx(0.25 + 1.0)
    assert gm.metrics.reconstruction_error(x, r, reduction="per_pixel") == pytest.approx(1.25 / 4)
    bce = gm.metrics.reconstruction_error(x, np.full_like(x, 0.5), kind="bce")
    assert bce == pytest.approx(4 * np.log(2))
    np.testing.assert_allclose(gm.metrics.reconstruction_error(np.stack([x[0], x[0]]), np.stack([x[0], r[0]]),
                                                               reduction="none"), [0, 1.25])
    with pytest.raises(ValueError, match="differ in shape"):
        gm.metrics.reconstruction_error(x, r[:, :1])
    with pytest.raises(ValueError, match="'kind'"):
        gm.metrics.reconstruction_error(x, r, kind="l1")
