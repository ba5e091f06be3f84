"""Fetching data files from the canonical mirrors: time-outs, retries, a
progress bar on stderr, SHA-256 verification, atomic writes into the cache."""
import gzip
import hashlib
import os
import sys
import tempfile
import time
import urllib.error
import urllib.request

__all__ = ["DownloadError", "download_file", "atomic_write"]


class DownloadError(OSError):
    """No mirror delivered a file with the expected content."""


def atomic_write(path, data):
    """Write bytes to `path` through a temporary file in the same folder and
    a rename, so a crash never leaves a partial file under the final name."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".partial-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _progress(name, done, total, out=sys.stderr):
    if total:
        width = 30
        filled = int(width * done / total)
        out.write(f"\r  {name} [{'#' * filled}{'.' * (width - filled)}] {done / 1e6:5.1f}/{total / 1e6:.1f} MB")
    else:
        out.write(f"\r  {name} {done / 1e6:5.1f} MB")
    out.flush()


def _fetch(url, timeout, show_progress):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        total = int(response.headers.get("Content-Length") or 0)
        chunks, done = [], 0
        while True:
            chunk = response.read(1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
            done += len(chunk)
            if show_progress:
                _progress(url.rsplit("/", 1)[-1], done, total)
        if show_progress:
            sys.stderr.write("\n")
    return b"".join(chunks)


def download_file(datafile, mirrors, timeout=30.0, retries=3, show_progress=True):
    """The uncompressed bytes of `datafile` (a sources.DataFile), fetched as
    <mirror><name>.gz and checked against its SHA-256; tries every mirror,
    each up to `retries` times with growing pauses."""
    errors = []
    for base in mirrors:
        url = f"{base}{datafile.name}.gz"
        for attempt in range(retries):
            try:
                data = gzip.decompress(_fetch(url, timeout, show_progress))
            except (OSError, EOFError, ValueError) as err:
                errors.append(f"{url}: {err}")
                time.sleep(min(2 ** attempt, 8) * 0.5)
                continue
            digest = hashlib.sha256(data).hexdigest()
            if digest == datafile.sha256:
                return data
            errors.append(f"{url}: SHA-256 {digest} does not match the expected {datafile.sha256}")
            break   # a wrong file will not become right on retry
    raise DownloadError(f"could not download {datafile.name}:\n  " + "\n  ".join(errors))
