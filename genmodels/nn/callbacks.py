"""Hooks into the training loop."""
import math

__all__ = ["Callback", "EarlyStopping", "ModelCheckpoint", "LambdaCallback"]


class Callback:
    """Override any of these; `trainer` gives access to the model and the
    history, and setting `trainer.stop_training = True` ends the run after
    the current epoch."""

    def on_train_begin(self, trainer):
        pass

    def on_epoch_begin(self, trainer, epoch):
        pass

    def on_batch_end(self, trainer, step, logs):
        pass

    def on_epoch_end(self, trainer, epoch, logs):
        pass

    def on_train_end(self, trainer):
        pass


class LambdaCallback(Callback):
    """A callback from plain functions, e.g. LambdaCallback(on_epoch_end=f)."""

    def __init__(self, **hooks):
        for name, fn in hooks.items():
            if not hasattr(Callback, name):
                raise ValueError(f"LambdaCallback: unknown hook {name!r}")
            setattr(self, name, fn)


class EarlyStopping(Callback):
    """Stop when `monitor` has not improved by `min_delta` for `patience`
    epochs; with restore_best_weights, end with the best epoch's weights."""

    def __init__(self, monitor="val_loss", patience=3, min_delta=0.0, mode="min", restore_best_weights=True):
        if mode not in ("min", "max"):
            raise ValueError(f"EarlyStopping: 'mode' must be 'min' or 'max', got {mode!r}")
        self.monitor, self.patience, self.min_delta = monitor, int(patience), float(min_delta)
        self.sign = 1.0 if mode == "min" else -1.0
        self.restore_best_weights = restore_best_weights

    def on_train_begin(self, trainer):
        self.best, self.wait, self.best_state, self.best_epoch = math.inf, 0, None, None

    def on_epoch_end(self, trainer, epoch, logs):
        if self.monitor not in logs:
            raise KeyError(f"EarlyStopping: '{self.monitor}' is not logged; available: {sorted(logs)}")
        value = self.sign * logs[self.monitor]
        if value < self.best - self.min_delta:
            self.best, self.wait, self.best_epoch = value, 0, epoch
            if self.restore_best_weights:
                self.best_state = trainer.model.state_arrays()
        else:
            self.wait += 1
            if self.wait >= self.patience:
                trainer.stop_training = True

    def on_train_end(self, trainer):
        if self.restore_best_weights and self.best_state is not None:
            trainer.model.load_state_arrays(self.best_state)


class ModelCheckpoint(Callback):
    """Save the model every `every` epochs (or only on improvement of
    `monitor` with save_best_only) to `path`, which may contain {epoch}."""

    def __init__(self, path, every=1, save_best_only=False, monitor="val_loss", mode="min"):
        self.path, self.every, self.save_best_only = str(path), int(every), save_best_only
        self.monitor, self.sign = monitor, (1.0 if mode == "min" else -1.0)
        self.best = math.inf

    def on_epoch_end(self, trainer, epoch, logs):
        from ..io import save
        if self.save_best_only:
            value = self.sign * logs.get(self.monitor, math.inf)
            if value >= self.best:
                return
            self.best = value
        elif (epoch + 1) % self.every:
            return
        save(trainer.model, self.path.format(epoch=epoch + 1))
