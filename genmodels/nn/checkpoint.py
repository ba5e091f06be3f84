"""How layers, Sequential and optimisers go into checkpoints."""
from .. import io
from . import activations, layers, minibatch, optim, sequential, shape, spectral
from .module import Module

__all__ = []

_LAYERS = [layers.Linear, layers.Conv2d, layers.ConvTranspose2d, layers.BatchNorm1d, layers.BatchNorm2d,
           activations.ReLU, activations.LeakyReLU, activations.Sigmoid, activations.Tanh,
           activations.Softplus, shape.Flatten, shape.Reshape, shape.Dropout, shape.ConcatLabels,
           minibatch.MinibatchStd]


def module_spec(module):
    """{"class": name, "config": ...}, nested for Sequential."""
    if isinstance(module, sequential.Sequential):
        return {"class": "Sequential", "config": {"layers": [module_spec(m) for m in module.layers]}}
    if isinstance(module, spectral.SpectralNorm):
        return {"class": "SpectralNorm", "config": {"layer": module_spec(module.layer), **module.get_config()}}
    return {"class": type(module).__name__, "config": module.get_config()}


def build_module(spec):
    classes = {cls.__name__: cls for cls in _LAYERS}
    if not isinstance(spec, dict):
        raise ValueError("a layer description must be an object")
    name, config = spec.get("class"), spec.get("config") or {}
    if not isinstance(config, dict):
        raise ValueError(f"the description of layer {name!r} has no configuration object")
    if name == "Sequential":
        return sequential.Sequential(*[build_module(s) for s in config.get("layers", [])])
    if name == "SpectralNorm":
        options = {k: v for k, v in config.items() if k != "layer"}
        return spectral.SpectralNorm(build_module(config.get("layer")), **options)
    if name not in classes:
        raise ValueError(f"unknown layer {name!r}")
    if name == "Reshape":
        return shape.Reshape(*config["shape"])
    return classes[name](**config)


def _module_checkpoint(self):
    return module_spec(self), self.state_arrays()


@classmethod
def _module_from_checkpoint(cls, config, arrays):
    module = build_module(config)
    if type(module) is not cls:
        raise ValueError(f"the file describes a {type(module).__name__}, not a {cls.__name__}")
    module.load_state_arrays(arrays)
    return module


Module._checkpoint = _module_checkpoint
Module._from_checkpoint = _module_from_checkpoint
for _cls in _LAYERS + [sequential.Sequential, spectral.SpectralNorm]:
    io.register(_cls)


def _optimizer_checkpoint(self):
    state = self.state_dict()
    return {"config": state["config"], "step": state["step"]}, state["arrays"]


@classmethod
def _optimizer_from_checkpoint(cls, config, arrays, params=None):
    if params is None:
        raise TypeError(f"loading a {cls.__name__} needs params= (the model or layers it optimises)")
    opt = cls(params, **config["config"])
    opt.load_state_dict({"config": {}, "step": config["step"], "arrays": arrays})
    return opt


optim.Optimizer._checkpoint = _optimizer_checkpoint
optim.Optimizer._from_checkpoint = _optimizer_from_checkpoint
for _cls in (optim.SGD, optim.Adam, optim.AdamW):
    io.register(_cls)
