"""The training loop every model reuses.

A model supplies `train_step(batch, epoch=, step=) -> {term: value}` (which
must call `check_finite` before it updates any weight) and optionally an
`eval_step(batch) -> {term: value}`; the Trainer does the rest: seeded
shuffling, mini-batches gathered into reused buffers, epochs, validation,
history, progress, callbacks, a clean stop on Ctrl-C and a clear error on a
NaN or Inf loss, with the weights of the last finite step kept.
"""
import math
import operator
import signal
import sys
import threading

import numpy as np

from .. import ops
from .callbacks import Callback
from .history import History
from .progress import make_progress

__all__ = ["Trainer", "NonFiniteLossError", "check_finite", "iterate_batches"]


class NonFiniteLossError(FloatingPointError):
    """A loss term or gradient became NaN or Inf; the update was not applied."""

    def __init__(self, message, term=None):
        super().__init__(message)
        self.term = term


def check_finite(terms, gradients=()):
    """Raise NonFiniteLossError if any loss term or gradient array is not
    finite. Call it after computing gradients and before updating weights."""
    for name, value in terms.items():
        if not math.isfinite(value):
            raise NonFiniteLossError(f"loss term '{name}' is {value}", term=name)
    for g in gradients:
        if not ops.all_finite(g):
            raise NonFiniteLossError("a gradient contains NaN or Inf", term="gradient")


def _check_arrays(arrays, name):
    if not isinstance(arrays, (tuple, list)):
        arrays = (arrays,)
    arrays = tuple(np.asarray(a) for a in arrays)
    n = len(arrays[0])
    for a in arrays[1:]:
        if len(a) != n:
            raise ValueError(f"{name}: arrays of different lengths ({n} and {len(a)})")
    return arrays


def iterate_batches(arrays, batch_size, order=None):
    """Yield tuples of batch views, gathered into buffers allocated once."""
    arrays = _check_arrays(arrays, "iterate_batches")
    n = len(arrays[0])
    buffers = [np.empty((min(batch_size, n),) + a.shape[1:], a.dtype) for a in arrays]
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        if order is None:
            yield tuple(a[start:stop] for a in arrays)
            continue
        idx = order[start:stop]
        yield tuple(np.take(a, idx, axis=0, out=buf[:stop - start]) for a, buf in zip(arrays, buffers))


class _InterruptFlag:
    """Turns the first Ctrl-C during training into a request to stop after
    the current batch (a second one interrupts at once)."""

    def __init__(self):
        self.raised = False
        self._previous = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame):
        if self.raised:
            raise KeyboardInterrupt
        self.raised = True

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
        return False


class Trainer:
    """Runs `train_step` over shuffled mini-batches for some epochs."""

    def __init__(self, model, train_step, *, eval_step=None, epochs=1, batch_size=128, seed=0,
                 shuffle=True, verbose=1, callbacks=(), log_steps=False, first_epoch=0):
        self.model, self.train_step, self.eval_step = model, train_step, eval_step
        self.epochs = operator.index(epochs)
        self.batch_size = operator.index(batch_size)
        if self.epochs < 0:
            raise ValueError(f"fit: 'epochs' must be >= 0, got {epochs}")
        if self.batch_size < 1:
            raise ValueError(f"fit: 'batch_size' must be >= 1, got {batch_size}")
        if verbose not in (0, 1, 2):
            raise ValueError(f"fit: 'verbose' must be 0, 1 or 2, got {verbose!r}")
        self.callbacks = list(callbacks or ())
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"fit: callbacks must be genmodels.nn.Callback objects, got {type(cb).__name__}")
        self.seed, self.shuffle, self.verbose = seed, shuffle, verbose
        self.log_steps, self.first_epoch = log_steps, first_epoch
        self.history = History()
        self.stop_training = False

    def _callback(self, hook, *args):
        for cb in self.callbacks:
            getattr(cb, hook)(self, *args)

    def evaluate(self, arrays):
        """Example-weighted means of eval_step's terms over `arrays`."""
        arrays = _check_arrays(arrays, "evaluate")
        sums, count = {}, 0
        for batch in iterate_batches(arrays, self.batch_size):
            terms = self.eval_step(batch)
            for k, v in terms.items():
                sums[k] = sums.get(k, 0.0) + float(v) * len(batch[0])
            count += len(batch[0])
        return {k: v / max(count, 1) for k, v in sums.items()}

    def fit(self, arrays, validation=None):
        arrays = _check_arrays(arrays, "fit")
        n = len(arrays[0])
        if n == 0:
            raise ValueError("fit: no training examples")
        if validation is not None and self.eval_step is None:
            raise ValueError("fit: validation data needs an eval_step")
        n_batches = -(-n // self.batch_size)
        self._callback("on_train_begin")
        with _InterruptFlag() as interrupt, ops.recycled_memory():
            try:
                for epoch in range(self.first_epoch, self.first_epoch + self.epochs):
                    if self._run_epoch(epoch, arrays, n, n_batches, validation, interrupt):
                        break
            except KeyboardInterrupt:
                self.history.interrupted = True
            finally:
                self._callback("on_train_end")
        if self.history.interrupted and self.verbose:
            print("Training interrupted: the weights are those after the last completed batch.",
                  file=sys.stderr)
        return self.history

    def _run_epoch(self, epoch, arrays, n, n_batches, validation, interrupt):
        """One epoch; returns True when training should stop."""
        self._callback("on_epoch_begin", epoch)
        order = (ops.permutation(n, seed=self.seed, stream="shuffle", offset=epoch * n)
                 if self.shuffle else None)
        desc = f"Epoch {epoch + 1}/{self.first_epoch + self.epochs}"
        progress = make_progress(self.verbose, n_batches, desc)
        sums, seen = {}, 0
        for step, batch in enumerate(iterate_batches(arrays, self.batch_size, order)):
            try:
                terms = self.train_step(batch, epoch=epoch, step=step)
            except NonFiniteLossError as err:
                progress.close({})
                raise NonFiniteLossError(
                    f"training stopped at epoch {epoch + 1}, step {step + 1}: {err}; the model keeps "
                    "the weights of the last finite step (try a lower learning rate)", term=err.term) from None
            bad = next((k for k, v in terms.items() if not math.isfinite(v)), None)
            if bad is not None:     # a train_step that skipped check_finite: its update is already applied
                progress.close({})
                raise NonFiniteLossError(
                    f"training stopped at epoch {epoch + 1}, step {step + 1}: loss term '{bad}' is "
                    f"{terms[bad]} (train_step did not call check_finite before updating, so this step's "
                    "update was applied)", term=bad)
            size = len(batch[0])
            for k, v in terms.items():
                sums[k] = sums.get(k, 0.0) + float(v) * size
            seen += size
            if self.log_steps:
                self.history.add_step(terms)
            progress.update(1, seen, {k: v / seen for k, v in sums.items()})
            self._callback("on_batch_end", step, terms)
            if interrupt.raised:
                self.history.interrupted = True
                break
        logs = {k: v / max(seen, 1) for k, v in sums.items()}
        if validation is not None and not self.history.interrupted:
            logs.update({f"val_{k}": v for k, v in self.evaluate(validation).items()})
        progress.close(logs)
        self.history.add_epoch(epoch, logs)
        self._callback("on_epoch_end", epoch, logs)
        return self.stop_training or self.history.interrupted
