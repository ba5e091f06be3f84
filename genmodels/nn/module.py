"""The base of every layer: explicit forward/backward, NumPy parameters."""
from contextlib import contextmanager

import numpy as np

__all__ = ["Module"]


@contextmanager
def fresh_gradients(*modules):
    """Zero the modules' parameter gradients for one training step, lazily:
    layers that can let their first backward write the gradients instead of
    adding to them (a pass over the gradients saved, and one of the
    GEMM's reads); on leaving, any gradient no backward wrote is zeroed, so
    that afterwards every gradient reads as if zeroed first."""
    for module in modules:
        module._defer_zero_grad()
    try:
        yield
    finally:
        for module in modules:
            module._settle_grads()


class Module:
    """A layer or a composition of layers.

    forward(x, training=None) computes the output and keeps what backward
    needs; backward(grad_out) returns the gradient w.r.t. the input and adds
    (+=) the parameter gradients into `gradients()`, unless
    requires_grad_(False) froze them (backward then only passes the gradient
    through, as for a GAN's discriminator during the generator's update).
    `training=None` uses the mode set by train()/eval(). Parameters and
    gradients are float32 NumPy arrays, updated in place by optimisers,
    readable by anyone.
    """

    training = True
    requires_grad = True

    # --- to be provided by layers -------------------------------------------
    def forward(self, x, training=None):
        raise NotImplementedError

    def backward(self, grad_out):
        raise NotImplementedError

    def backward_parameters(self, grad_out):
        """backward when the input needs no gradient (it is data): only the
        parameter gradients accumulate; layers that can skip computing the
        input gradient do. Returns None."""
        self.backward(grad_out)

    def _params(self):
        """{name: (parameter, gradient)} of this layer itself."""
        return {}

    def _buffers(self):
        """{name: array} of non-trained state (e.g. running statistics)."""
        return {}

    def _children(self):
        """{name: Module} of sub-layers."""
        return {}

    def get_config(self):
        """JSON-able constructor arguments (for repr and checkpoints)."""
        return {}

    # --- shared behaviour ----------------------------------------------------
    def __call__(self, x, training=None):
        return self.forward(x, training)

    def _is_training(self, training):
        return self.training if training is None else bool(training)

    def named_parameters(self):
        """{"0.weight": array, ...} over this module and its children."""
        out = {name: p for name, (p, _) in self._params().items()}
        for prefix, child in self._children().items():
            out.update({f"{prefix}.{k}": v for k, v in child.named_parameters().items()})
        return out

    def named_gradients(self):
        out = {name: g for name, (_, g) in self._params().items()}
        for prefix, child in self._children().items():
            out.update({f"{prefix}.{k}": v for k, v in child.named_gradients().items()})
        return out

    def named_buffers(self):
        out = dict(self._buffers())
        for prefix, child in self._children().items():
            out.update({f"{prefix}.{k}": v for k, v in child.named_buffers().items()})
        return out

    def parameters(self):
        return list(self.named_parameters().values())

    def gradients(self):
        return list(self.named_gradients().values())

    def zero_grad(self):
        for g in self.gradients():
            g.fill(0.0)

    def _defer_zero_grad(self):
        """See fresh_gradients(); layers that can defer override this (and
        _settle_grads), the others zero their gradients now."""
        for child in self._children().values():
            child._defer_zero_grad()
        for _, g in self._params().values():
            g.fill(0.0)

    def _settle_grads(self):
        for child in self._children().values():
            child._settle_grads()

    def train(self, mode=True):
        self.training = bool(mode)
        for child in self._children().values():
            child.train(mode)
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Whether backward accumulates parameter gradients, for this module
        and its children; returns self."""
        self.requires_grad = bool(requires_grad)
        for child in self._children().values():
            child.requires_grad_(requires_grad)
        return self

    def state_arrays(self):
        """Every parameter and buffer by name (copies), for checkpoints."""
        return {k: v.copy() for k, v in {**self.named_parameters(), **self.named_buffers()}.items()}

    def load_state_arrays(self, arrays):
        """Copy arrays saved by state_arrays() back in place, checking names
        and shapes."""
        own = {**self.named_parameters(), **self.named_buffers()}
        missing, unexpected = set(own) - set(arrays), set(arrays) - set(own)
        if missing or unexpected:
            raise ValueError(f"state does not match {type(self).__name__}: missing {sorted(missing)}, "
                             f"unexpected {sorted(unexpected)}")
        for name, target in own.items():
            source = np.asarray(arrays[name])
            if source.shape != target.shape:
                raise ValueError(f"state '{name}' has shape {source.shape}, expected {target.shape}")
            target[...] = source

    def num_parameters(self):
        return int(sum(p.size for p in self.parameters()))

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"
