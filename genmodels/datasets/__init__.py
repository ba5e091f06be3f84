"""genmodels.datasets: MNIST, Fashion-MNIST and binarized MNIST, read from the
standard IDX files found locally or downloaded and verified.

    ds = gm.datasets.load_mnist()
    ds.x_train, ds.y_train, ds.x_test, ds.y_test, ds.class_names
"""
from .download import DownloadError
from .idx import IDXError, parse_idx, read_idx, write_idx
from .loaders import (Dataset, DatasetNotFoundError, binarize, load_binarized_mnist,
                      load_fashion_mnist, load_mnist)

__all__ = ["load_mnist", "load_fashion_mnist", "load_binarized_mnist", "binarize", "Dataset",
           "DatasetNotFoundError", "DownloadError", "IDXError", "read_idx", "write_idx", "parse_idx"]
