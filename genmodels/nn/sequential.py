"""A chain of layers."""
from .module import Module

__all__ = ["Sequential"]


class Sequential(Module):
    """Layers applied in order; backward runs them in reverse."""

    def __init__(self, *layers):
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(f"Sequential: layer {i} is a {type(layer).__name__}, not a genmodels.nn.Module")
        self.layers = list(layers)

    def _children(self):
        return {str(i): layer for i, layer in enumerate(self.layers)}

    def __len__(self):
        return len(self.layers)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(*self.layers[index])
        return self.layers[index]

    def __iter__(self):
        return iter(self.layers)

    def forward(self, x, training=None):
        for layer in self.layers:
            x = layer.forward(x, training)
        return x

    def backward_parameters(self, grad_out):
        # below the first layer with parameters no gradient is needed at all
        first = next((i for i, layer in enumerate(self.layers) if layer.parameters()), len(self.layers))
        for layer in reversed(self.layers[first + 1:]):
            grad_out = layer.backward(grad_out)
        if first < len(self.layers):
            self.layers[first].backward_parameters(grad_out)

    def backward(self, grad_out):
        for layer in reversed(self.layers):
            grad_out = layer.backward(grad_out)
        return grad_out

    def __repr__(self):
        lines = [f"  ({i}): {layer!r}" for i, layer in enumerate(self.layers)]
        return "Sequential(\n" + "\n".join(lines) + "\n)"
