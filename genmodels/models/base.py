"""What every generative model shares: input layouts, seeds, random
streams, optimisers, the training loop and checkpoints."""
import operator

import numpy as np

from .. import _seed, ops
from ..nn import Adam, Trainer
from ..nn.checkpoint import build_module, module_spec

__all__ = ["GenerativeModel"]

_OPTIMIZER_PREFIX = "optimizer."     # checkpoint arrays of the optimisers' state


def _shape3(input_shape):
    shape = tuple(operator.index(s) for s in input_shape)
    if len(shape) == 2:
        shape = (1,) + shape
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(f"'input_shape' must be (C, H, W) or (H, W) with positive sizes, got {input_shape}")
    return shape


class GenerativeModel:
    """Base of AE, VAE, GAN and CGAN.

    Images come in as (N, H, W), (N, C, H, W) or (N, D) with D = C*H*W, as
    any array-like; outputs are float32 in the layout of the data the model
    was last trained on (N, H, W for one channel by default).

    A checkpoint (`save`) holds the weights, the optimisers' state, the
    random streams' positions and the epoch count: a loaded model's next
    `fit` continues exactly as the uninterrupted run would have.
    """

    _networks = ()                 # attribute names of the nn.Modules
    _counters = ()                 # random-stream offsets kept in checkpoints

    def __init__(self, input_shape, seed):
        self.input_shape = _shape3(input_shape)
        self.seed = _seed.resolve_seed(seed)
        self._layout = "hw" if self.input_shape[0] == 1 else "chw"
        self._optimizers = {}
        self.history_ = None
        self.epochs_trained_ = 0

    # --- layouts ---------------------------------------------------------------
    @property
    def input_dim(self):
        return int(np.prod(self.input_shape))

    def _images(self, x, name="x", check_range=True):
        """Array-like images -> float32 (N, D), checked; remembers the layout."""
        try:
            x = np.asarray(x, dtype=np.float32)
        except (TypeError, ValueError) as err:
            raise TypeError(f"'{name}' must be an array of numbers: {err}") from None
        c, h, w = self.input_shape
        if x.ndim == 2 and x.shape[1] == self.input_dim:
            layout = "flat"
        elif x.ndim == 3 and x.shape[1:] == (h, w) and c == 1:
            layout = "hw"
        elif x.ndim == 4 and x.shape[1:] == self.input_shape:
            layout = "chw"
        else:
            raise ValueError(f"'{name}' has shape {x.shape}; this model takes (N, {h}, {w})"
                             f"{'' if c == 1 else ' (no: C > 1)'}, (N, {c}, {h}, {w}) or (N, {self.input_dim})")
        if len(x) == 0:
            raise ValueError(f"'{name}' is empty")
        if not ops.all_finite(np.ascontiguousarray(x)):
            raise ValueError(f"'{name}' contains NaN or Inf")
        if check_range and (x.min() < 0 or x.max() > 1):
            raise ValueError(f"'{name}' must hold pixel values in [0, 1], got values in [{x.min():.3g}, {x.max():.3g}]")
        return np.ascontiguousarray(x.reshape(len(x), -1)), layout

    def _to_layout(self, flat, layout=None):
        layout = layout or self._layout
        n = len(flat)
        if layout == "flat":
            return flat.reshape(n, -1)
        if layout == "hw":
            return flat.reshape((n,) + self.input_shape[1:])
        return flat.reshape((n,) + self.input_shape)

    def _count(self, n, name="n"):
        try:
            n = operator.index(n)
        except TypeError:
            raise TypeError(f"'{name}' must be an int, got {type(n).__name__}") from None
        if n < 1:
            raise ValueError(f"'{name}' must be >= 1, got {n}")
        return n

    def _latent(self, z, dim, name="z"):
        z = np.asarray(z, dtype=np.float32)
        if z.ndim == 1 and z.shape[0] == dim:
            z = z[None]
        if z.ndim != 2 or z.shape[1] != dim:
            raise ValueError(f"'{name}' must have shape (N, {dim}), got {z.shape}")
        if not ops.all_finite(np.ascontiguousarray(z)):
            raise ValueError(f"'{name}' contains NaN or Inf")
        return np.ascontiguousarray(z)

    def _draw_normal(self, shape, counter, seed=None):
        """Standard normal values from this model's stream `counter`; each
        draw advances the counter, so training is reproducible and resumable."""
        return self._draw(ops.normal, shape, counter, seed)

    def _draw_uniform(self, shape, counter):
        """Uniform values in [0, 1) from the stream `counter`, advancing it."""
        return self._draw(ops.uniform, shape, counter, None)

    def _draw(self, distribution, shape, counter, seed):
        n = int(np.prod(shape))
        stream = {"reparam": "reparam", "noise": "noise"}[counter]
        offset = getattr(self, f"_{counter}_offset")
        out = distribution(shape, seed=self.seed if seed is None else seed, stream=stream, offset=offset)
        setattr(self, f"_{counter}_offset", offset + n)
        return out

    # --- training ----------------------------------------------------------------
    def _optimized(self):
        """{optimiser name: what it updates (Modules or (param, grad) pairs)}."""
        raise NotImplementedError

    def _optimizer(self, name, lr, weight_decay, betas=(0.9, 0.999)):
        """The Adam optimiser `name`, created at the first fit and kept (with
        its moments) across fits and in checkpoints, so that a loaded model
        trains on as if it had never stopped; lr, weight decay and betas
        follow the call."""
        opt = self._optimizers.get(name)
        if opt is None:
            opt = self._optimizers[name] = Adam(self._optimized()[name], lr=lr, betas=betas,
                                                weight_decay=weight_decay)
        opt.lr, opt.weight_decay, opt.betas = lr, float(weight_decay), tuple(betas)
        return opt

    def _run(self, arrays, train_step, eval_step, *, epochs, batch_size, validation, verbose, callbacks):
        trainer = Trainer(self, train_step, eval_step=eval_step, epochs=epochs, batch_size=batch_size,
                          seed=self.seed, verbose=verbose, callbacks=callbacks,
                          first_epoch=self.epochs_trained_)
        self._set_training(True)
        try:
            history = trainer.fit(arrays, validation=validation)
        finally:
            self._set_training(False)
        self.epochs_trained_ += len(history.epoch)
        if self.history_ is None:
            self.history_ = history
        else:
            for k, v in history.history.items():
                self.history_.history.setdefault(k, []).extend(v)
            self.history_.epoch.extend(history.epoch)
            self.history_.interrupted = history.interrupted
        return history

    def _set_training(self, mode):
        for name in self._networks:
            getattr(self, name).train(mode)

    # --- state -------------------------------------------------------------------
    def state_arrays(self):
        out = {}
        for name in self._networks:
            out.update({f"{name}.{k}": v for k, v in getattr(self, name).state_arrays().items()})
        return out

    def load_state_arrays(self, arrays):
        for name in self._networks:
            prefix = f"{name}."
            getattr(self, name).load_state_arrays(
                {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)})

    def get_config(self):
        raise NotImplementedError

    def _checkpoint(self):
        config = {"params": self.get_config(),
                  "networks": {name: module_spec(getattr(self, name)) for name in self._networks},
                  "counters": {c: int(getattr(self, f"_{c}_offset")) for c in self._counters},
                  "layout": self._layout, "epochs_trained": self.epochs_trained_, "optimizers": {}}
        arrays = self.state_arrays()
        for name, opt in self._optimizers.items():
            state = opt.state_dict()
            config["optimizers"][name] = {"config": state["config"], "step": state["step"]}
            arrays.update({f"{_OPTIMIZER_PREFIX}{name}.{k}": v for k, v in state["arrays"].items()})
        return config, arrays

    @classmethod
    def _from_checkpoint(cls, config, arrays):
        networks = {name: build_module(spec) for name, spec in config["networks"].items()}
        model = cls(**config["params"], **networks)
        optimizer_arrays = {k: arrays[k] for k in arrays if k.startswith(_OPTIMIZER_PREFIX)}
        model.load_state_arrays({k: v for k, v in arrays.items() if k not in optimizer_arrays})
        model._restore_optimizers(config.get("optimizers", {}), optimizer_arrays)
        for c, value in config.get("counters", {}).items():
            setattr(model, f"_{c}_offset", int(value))
        model._layout = config.get("layout", model._layout)
        model.epochs_trained_ = int(config.get("epochs_trained", 0))
        return model

    def _restore_optimizers(self, saved, arrays):
        """Rebuild the optimisers of a checkpoint (their moments and step
        counts); files written before optimisers were saved have none."""
        if not isinstance(saved, dict):
            raise ValueError("'optimizers' must be an object")
        optimized = self._optimized()
        used = set()
        for name, spec in saved.items():
            if name not in optimized or not isinstance(spec, dict) or not isinstance(spec.get("config"), dict):
                raise ValueError(f"bad optimiser entry {name!r}; this model's optimisers: {sorted(optimized)}")
            step = spec.get("step")
            if not isinstance(step, int) or isinstance(step, bool) or step < 0:
                raise ValueError(f"optimiser {name!r} has a bad step count {step!r}")
            prefix = f"{_OPTIMIZER_PREFIX}{name}."
            own = {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}
            if not all(np.issubdtype(v.dtype, np.floating) and np.all(np.isfinite(v)) for v in own.values()):
                raise ValueError(f"optimiser {name!r} has non-finite or non-float state")
            opt = Adam(optimized[name], **spec["config"])
            opt.load_state_dict({"step": step, "arrays": own})
            if len(own) != sum(len(buffers) for buffers in opt.state.values()):
                raise ValueError(f"optimiser {name!r} has unexpected state arrays")
            self._optimizers[name] = opt
            used.update(prefix + k for k in own)
        if set(arrays) - used:
            raise ValueError(f"arrays {sorted(set(arrays) - used)} belong to no optimiser")

    def save(self, path):
        """Save to `path` (atomic; load with genmodels.load)."""
        from ..io import save
        return save(self, path)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"
