"""Optimisers over (parameter, gradient) pairs, with PyTorch's update rules
(fused C kernels) and state that saves and loads.

The arrays are checked once, when the optimiser is made, and the
hyper-parameters when set; each step then calls the kernels directly (the
ops wrappers would check every array again on every step)."""
import numpy as np

from .. import _core
from .module import Module

__all__ = ["Optimizer", "SGD", "Adam", "AdamW"]


def _pairs(params):
    """[(param, grad)] from a Module, a list of Modules, or explicit pairs."""
    if isinstance(params, Module):
        params = [params]
    pairs = []
    for item in params:
        if isinstance(item, Module):
            pairs += list(zip(item.parameters(), item.gradients()))
        else:
            param, grad = item
            pairs.append((param, grad))
    for i, (p, g) in enumerate(pairs):
        if not (isinstance(p, np.ndarray) and p.dtype == np.float32 and p.flags.c_contiguous):
            raise TypeError(f"optimizer: parameter {i} must be a C-contiguous float32 array")
        if not isinstance(g, np.ndarray) or g.shape != p.shape:
            raise ValueError(f"optimizer: gradient {i} must be an array of shape {p.shape}")
        if g.dtype != np.float32 or not g.flags.c_contiguous:
            raise TypeError(f"optimizer: gradient {i} must be a C-contiguous float32 array")
    if not pairs:
        raise ValueError("optimizer: no parameters to optimise")
    return pairs


def _nonnegative_property(name):
    """A float attribute checked to be >= 0 whenever it is set."""
    def get(self):
        return getattr(self, "_" + name)

    def set(self, value):
        value = float(value)
        if not value >= 0:
            raise ValueError(f"{type(self).__name__}: '{name}' must be >= 0, got {value}")
        setattr(self, "_" + name, value)
    return property(get, set)


class Optimizer:
    """Base: holds (param, grad) pairs, hyper-parameters and per-parameter state."""

    _state_names = ()

    def __init__(self, params, lr):
        self.pairs = _pairs(params)
        self.lr = lr
        self.step_count = 0
        self.state = {name: [np.zeros_like(p) for p, _ in self.pairs] for name in self._state_names}

    lr = _nonnegative_property("lr")

    def zero_grad(self):
        for _, g in self.pairs:
            g.fill(0.0)

    def step(self):
        self.step_count += 1
        for i, (p, g) in enumerate(self.pairs):
            self._update(i, p, g)

    def _update(self, i, param, grad):
        raise NotImplementedError

    def get_config(self):
        return {"lr": self.lr}

    def state_dict(self):
        """{"config": hyper-parameters, "step": n, "arrays": {name: array}}."""
        arrays = {f"{name}.{i}": a.copy() for name, buffers in self.state.items() for i, a in enumerate(buffers)}
        return {"config": self.get_config(), "step": self.step_count, "arrays": arrays}

    def load_state_dict(self, state):
        for name, buffers in self.state.items():
            for i, buf in enumerate(buffers):
                key = f"{name}.{i}"
                if key not in state["arrays"]:
                    raise ValueError(f"{type(self).__name__}: state lacks '{key}'")
                source = np.asarray(state["arrays"][key])
                if source.shape != buf.shape:
                    raise ValueError(f"{type(self).__name__}: state '{key}' has shape {source.shape}, "
                                     f"expected {buf.shape}")
                buf[...] = source
        self.step_count = int(state["step"])
        for key, value in state.get("config", {}).items():
            setattr(self, key, value)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Stochastic gradient descent with momentum, dampening, Nesterov and L2
    weight decay (torch.optim.SGD)."""

    def __init__(self, params, lr=0.01, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        if momentum < 0 or weight_decay < 0:
            raise ValueError("SGD: 'momentum' and 'weight_decay' must be >= 0")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum needs momentum > 0 and dampening == 0")
        self._state_names = ("velocity",) if momentum else ()
        super().__init__(params, lr)
        self.momentum, self.dampening = float(momentum), float(dampening)
        self.weight_decay, self.nesterov = float(weight_decay), bool(nesterov)

    def get_config(self):
        return {"lr": self.lr, "momentum": self.momentum, "dampening": self.dampening,
                "weight_decay": self.weight_decay, "nesterov": self.nesterov}

    def _update(self, i, param, grad):
        velocity = self.state["velocity"][i] if self.momentum else None
        _core.sgd_step(param, grad, velocity, self.lr, self.momentum, self.dampening, self.weight_decay,
                       self.nesterov, self.step_count == 1)


class Adam(Optimizer):
    """Adam (torch.optim.Adam; weight decay as L2 in the gradient)."""

    _state_names = ("m", "v")
    _decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, lr)
        if not eps > 0:
            raise ValueError(f"{type(self).__name__}: need eps > 0, got {eps}")
        self.betas, self.eps, self.weight_decay = betas, float(eps), weight_decay

    @property
    def betas(self):
        return self._betas

    @betas.setter
    def betas(self, value):
        b1, b2 = (float(b) for b in value)
        if not (0 <= b1 < 1 and 0 <= b2 < 1):
            raise ValueError(f"{type(self).__name__}: 'betas' must be in [0, 1), got {tuple(value)}")
        self._betas = (b1, b2)

    weight_decay = _nonnegative_property("weight_decay")

    def get_config(self):
        return {"lr": self.lr, "betas": list(self.betas), "eps": self.eps, "weight_decay": self.weight_decay}

    def _update(self, i, param, grad):
        _core.adam_step(param, grad, self.state["m"][i], self.state["v"][i], self.step_count, self.lr,
                        self.betas[0], self.betas[1], self.eps, self.weight_decay, self._decoupled)



class AdamW(Adam):
    """AdamW: Adam with decoupled weight decay (torch.optim.AdamW)."""

    _decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(params, lr, betas, eps, weight_decay)
