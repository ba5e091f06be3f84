"""The training loop: a classifier that learns on real data, determinism
across thread counts, history and validation, callbacks, the NaN guard and
Ctrl-C."""
import os

import numpy as np
import pytest

import genmodels as gm
from conftest import local_data
from genmodels import nn


def fashion_subset(n_train=3000, n_test=1000):
    ds = local_data(gm.datasets.load_fashion_mnist, flatten=True)
    return ds.x_train[:n_train], ds.y_train[:n_train], ds.x_test[:n_test], ds.y_test[:n_test]


class Classifier:
    """A small MLP with the train_step/eval_step protocol of nn.Trainer."""

    def __init__(self, seed=0, lr=1e-3):
        self.net = nn.Sequential(nn.Linear(784, 128, seed=seed), nn.ReLU(), nn.Linear(128, 10, seed=seed + 1))
        self.opt = nn.Adam(self.net, lr=lr)

    def state_arrays(self):
        return self.net.state_arrays()

    def load_state_arrays(self, arrays):
        self.net.load_state_arrays(arrays)

    def train_step(self, batch, epoch, step):
        x, y = batch
        self.net.zero_grad()
        loss, grad = nn.losses.cross_entropy(self.net(x, training=True), y)
        self.net.backward(grad)
        nn.check_finite({"loss": loss}, self.net.gradients())
        self.opt.step()
        return {"loss": loss}

    def eval_step(self, batch):
        x, y = batch
        logits = self.net(x, training=False)
        loss, _ = nn.losses.cross_entropy(logits, y)
        return {"loss": loss, "accuracy": float(np.mean(logits.argmax(1) == y))}

    def fit(self, x, y, **kwargs):
        validation = kwargs.pop("validation", None)
        trainer = nn.Trainer(self, self.train_step, eval_step=self.eval_step, **kwargs)
        return trainer.fit((x, y), validation=validation)


def test_mlp_classifier_learns_fashion_mnist():
    x, y, xt, yt = fashion_subset()
    model = Classifier()
    hist = model.fit(x, y, epochs=3, batch_size=64, seed=0, verbose=0, validation=(xt, yt))
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    assert hist.history["val_accuracy"][-1] > 0.75          # chance is 0.10
    assert set(hist.history) == {"loss", "val_loss", "val_accuracy"} and hist.epoch == [0, 1, 2]


def test_same_seed_same_weights_with_one_and_two_threads(with_threads):
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(600, 784)).astype(np.float32)
    y = (x[:, :10].argmax(1)).astype(np.int64)
    results = []
    for threads in (1, 2):
        model = Classifier(seed=3)
        with_threads(threads, model.fit, x, y, epochs=2, batch_size=50, seed=7, verbose=0)
        results.append(model.net.parameters())
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


def test_shuffling_depends_on_the_seed():
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(200, 784)).astype(np.float32)
    y = rng.integers(0, 10, 200)
    a, b = Classifier(seed=1), Classifier(seed=1)
    a.fit(x, y, epochs=1, batch_size=20, seed=1, verbose=0)
    b.fit(x, y, epochs=1, batch_size=20, seed=2, verbose=0)
    assert not np.array_equal(a.net.parameters()[0], b.net.parameters()[0])


def test_nan_loss_stops_with_a_clear_error_and_keeps_good_weights():
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(100, 784)).astype(np.float32)
    y = rng.integers(0, 10, 100)
    model = Classifier()
    x[60:, 5] = np.nan                     # batches from step 4 of epoch 1 on go bad
    before = None

    def remember(trainer, step, logs):
        nonlocal before
        before = model.net.state_arrays()
    with pytest.raises(nn.NonFiniteLossError, match=r"epoch 1, step \d+: loss term 'loss' is nan"):
        model.fit(x, y, epochs=1, batch_size=20, shuffle=False, verbose=0,
                  callbacks=[nn.LambdaCallback(on_batch_end=remember)])
    for name, value in model.net.state_arrays().items():
        np.testing.assert_array_equal(value, before[name])
        assert np.all(np.isfinite(value))


def test_interrupt_keeps_weights_and_history():
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(100, 784)).astype(np.float32)
    y = rng.integers(0, 10, 100)
    model = Classifier()

    def interrupt(trainer, epoch, logs):
        if epoch == 1:
            raise KeyboardInterrupt
    hist = model.fit(x, y, epochs=5, batch_size=20, verbose=0, callbacks=[nn.LambdaCallback(on_epoch_end=interrupt)])
    assert hist.interrupted and len(hist.epoch) == 2


def test_early_stopping_restores_the_best_weights():
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(100, 784)).astype(np.float32)
    y = rng.integers(0, 10, 100)
    model = Classifier(lr=0.05)        # random labels: validation loss soon rises
    stopper = nn.EarlyStopping(monitor="val_loss", patience=2)
    hist = model.fit(x, y, epochs=30, batch_size=20, verbose=0, validation=(x[:50], y[:50] + 0 * 0),
                     callbacks=[stopper])
    assert len(hist.epoch) < 30 or stopper.best_epoch is not None
    best = min(hist.history["val_loss"])
    t = nn.Trainer(model, model.train_step, eval_step=model.eval_step, verbose=0)
    assert abs(t.evaluate((x[:50], y[:50]))["loss"] - best) < 1e-4


def test_progress_output(capsys):
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(64, 784)).astype(np.float32)
    y = rng.integers(0, 10, 64)
    Classifier().fit(x, y, epochs=1, batch_size=32, verbose=2)
    err = capsys.readouterr().err
    assert "Epoch 1/1 loss=" in err and "ex/s)" in err
    Classifier().fit(x, y, epochs=1, batch_size=32, verbose=0)
    assert capsys.readouterr().err == ""


def test_per_step_history_and_bad_arguments():
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(40, 784)).astype(np.float32)
    y = rng.integers(0, 10, 40)
    hist = Classifier().fit(x, y, epochs=2, batch_size=10, verbose=0, log_steps=True)
    assert len(hist.steps["loss"]) == 8
    with pytest.raises(ValueError, match="'batch_size' must be >= 1"):
        Classifier().fit(x, y, batch_size=0)
    with pytest.raises(ValueError, match="different lengths"):
        Classifier().fit(x, y[:5], verbose=0)
    with pytest.raises(ValueError, match="'verbose' must be 0, 1 or 2"):
        Classifier().fit(x, y, verbose=5)


def test_mlp_learns_a_synthetic_separable_task():
    """Runs without any data set: three Gaussian clusters in 784-d."""
    rng = np.random.default_rng(1)
    centres = rng.standard_normal((3, 784)).astype(np.float32)
    y = rng.integers(0, 3, 600)
    x = centres[y] + 2.0 * rng.standard_normal((600, 784)).astype(np.float32)
    model = Classifier(seed=4)
    hist = model.fit(x[:500], y[:500], epochs=3, batch_size=50, seed=0, verbose=0,
                     validation=(x[500:], y[500:]))
    assert hist.history["loss"][-1] < 0.5 * hist.history["loss"][0]
    assert hist.history["val_accuracy"][-1] > 0.95


def test_ctrl_c_stops_after_the_current_batch():
    """A real SIGINT during a batch: the loop finishes that batch, keeps its
    update, records the partial epoch and returns."""
    import os
    import signal
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(100, 784)).astype(np.float32)
    y = rng.integers(0, 10, 100)
    model = Classifier()
    seen = []
    handler_before = signal.getsignal(signal.SIGINT)   # SIG_IGN in a background job

    def train_step(batch, epoch, step):
        if epoch == 1 and step == 2:
            os.kill(os.getpid(), signal.SIGINT)     # arrives in the middle of this step
        terms = model.train_step(batch, epoch, step)
        seen.append((epoch, step, model.net.state_arrays()))
        return terms
    trainer = nn.Trainer(model, train_step, epochs=5, batch_size=20, verbose=0)
    hist = trainer.fit((x, y))
    assert hist.interrupted and hist.epoch == [0, 1]
    assert seen[-1][:2] == (1, 2)                    # that batch completed, no later one ran
    for name, value in model.net.state_arrays().items():
        np.testing.assert_array_equal(value, seen[-1][2][name])
    assert signal.getsignal(signal.SIGINT) is handler_before   # handler restored


def test_model_checkpoint_every_n_epochs(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(40, 784)).astype(np.float32)
    y = rng.integers(0, 10, 40)
    model = Classifier()
    saver = nn.ModelCheckpoint(tmp_path / "net-{epoch}.gm", every=2)
    after = {}

    def remember(trainer, epoch, logs):
        after[epoch + 1] = [p.copy() for p in model.net.parameters()]
    record = nn.LambdaCallback(on_epoch_end=remember)
    trainer = nn.Trainer(model.net, model.train_step, epochs=5, batch_size=20, verbose=0, callbacks=[saver, record])
    trainer.fit((x, y))
    assert sorted(os.listdir(tmp_path)) == ["net-2.gm", "net-4.gm"]
    for epoch in (2, 4):
        loaded = gm.load(tmp_path / f"net-{epoch}.gm")
        for a, b in zip(loaded.parameters(), after[epoch]):
            np.testing.assert_array_equal(a, b)
    assert not np.array_equal(after[4][0], after[5][0])    # the file is the epoch-4 state, not the last one


def test_the_loop_itself_refuses_a_non_finite_term():
    x = np.ones((30, 2), np.float32)

    def train_step(batch, epoch, step):
        return {"loss": 1.0, "kl": float("inf") if step == 1 else 0.5}
    trainer = nn.Trainer(None, train_step, epochs=1, batch_size=10, verbose=0)
    with pytest.raises(nn.NonFiniteLossError, match=r"epoch 1, step 2: loss term 'kl' is inf") as info:
        trainer.fit(x)
    assert info.value.term == "kl"


@pytest.mark.parametrize("with_tqdm", [True, False])
def test_progress_bar_shows_loss_and_rate(with_tqdm, capsys, monkeypatch):
    import sys
    if not with_tqdm:
        monkeypatch.setitem(sys.modules, "tqdm", None)        # import fails: the built-in bar
        monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    else:
        pytest.importorskip("tqdm")
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(64, 784)).astype(np.float32)
    y = rng.integers(0, 10, 64)
    Classifier().fit(x, y, epochs=2, batch_size=32, verbose=1)
    err = capsys.readouterr().err
    assert "Epoch 1/2" in err and "Epoch 2/2" in err and "loss=" in err and "ex/s" in err
    if not with_tqdm:
        assert "[========================] 2/2" in err


def test_conv_network_is_bitwise_reproducible_across_thread_counts(with_threads):
    """Convolutions, batch norm and dropout masks in the loop: same seed,
    same weights, running statistics included, with 1 and 2 threads."""
    rng = np.random.default_rng(2)
    x = rng.uniform(size=(48, 1, 8, 8)).astype(np.float32)
    y = rng.integers(0, 3, 48)

    def train():
        net = nn.Sequential(nn.Conv2d(1, 4, 3, stride=2, padding=1, seed=0), nn.BatchNorm2d(4),
                            nn.LeakyReLU(0.2), nn.Dropout(0.3, seed=1), nn.Flatten(), nn.Linear(64, 3, seed=2))
        opt = nn.SGD(net, lr=0.1, momentum=0.9)

        def step(batch, epoch, step):
            net.zero_grad()
            loss, grad = nn.losses.cross_entropy(net(batch[0], training=True), batch[1])
            net.backward(grad)
            opt.step()
            return {"loss": loss}
        nn.Trainer(net, step, epochs=2, batch_size=16, seed=5, verbose=0).fit((x, y))
        return net.state_arrays()
    one, two = with_threads(1, train), with_threads(2, train)
    assert set(one) == set(two) and any("running_mean" in k for k in one)
    for k in one:
        np.testing.assert_array_equal(one[k], two[k], err_msg=k)
