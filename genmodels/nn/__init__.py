"""genmodels.nn: layers with explicit forward/backward over the C kernels,
losses, optimisers and the training loop that every model reuses."""
from . import checkpoint, losses  # noqa: F401  (checkpoint registers the layers with genmodels.io)
from .activations import LeakyReLU, ReLU, Sigmoid, Softplus, Tanh
from .callbacks import Callback, EarlyStopping, LambdaCallback, ModelCheckpoint
from .history import History
from .layers import BatchNorm1d, BatchNorm2d, Conv2d, ConvTranspose2d, Linear
from .minibatch import MinibatchStd
from .module import Module
from .optim import SGD, Adam, AdamW, Optimizer
from .sequential import Sequential
from .shape import ConcatLabels, Dropout, Flatten, Reshape, one_hot
from .spectral import SpectralNorm
from .training import NonFiniteLossError, Trainer, check_finite, iterate_batches

__all__ = ["Module", "Sequential", "Linear", "Conv2d", "ConvTranspose2d", "BatchNorm1d", "BatchNorm2d",
           "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softplus", "Dropout", "Flatten", "Reshape",
           "ConcatLabels", "MinibatchStd", "SpectralNorm", "one_hot", "losses", "Optimizer", "SGD", "Adam", "AdamW", "Trainer",
           "History", "Callback", "EarlyStopping", "ModelCheckpoint", "LambdaCallback",
           "NonFiniteLossError", "check_finite", "iterate_batches"]
