"""Progress output for training: tqdm when installed, a small bar otherwise."""
import sys
import time

__all__ = ["make_progress"]


def _format(logs):
    return " ".join(f"{k}={v:.4g}" for k, v in logs.items())


class _Bar:
    """A one-line progress bar on stderr."""

    def __init__(self, total, desc, stream):
        self.total, self.desc, self.stream = total, desc, stream
        self.done, self.start, self.shown = 0, time.perf_counter(), -1.0

    def update(self, n, examples, logs):
        self.done += n
        now = time.perf_counter()
        if now - self.shown < 0.1 and self.done < self.total:   # redraw at most 10 times a second
            return
        self.shown = now
        rate = examples / max(now - self.start, 1e-9)
        width = 24
        filled = int(width * self.done / max(self.total, 1))
        self.stream.write(f"\r{self.desc} [{'=' * filled}{'.' * (width - filled)}] "
                          f"{self.done}/{self.total} {_format(logs)} ({rate:,.0f} ex/s)")
        self.stream.flush()

    def close(self, logs):
        self.stream.write(f"\r{self.desc} {_format(logs)} ({time.perf_counter() - self.start:.1f}s)"
                          + " " * 20 + "\n")
        self.stream.flush()


class _Tqdm:
    def __init__(self, total, desc):
        from tqdm.auto import tqdm
        self.bar = tqdm(total=total, desc=desc, leave=True, unit="batch")
        self.start, self.examples = time.perf_counter(), 0

    def _postfix(self, logs):
        rate = self.examples / max(time.perf_counter() - self.start, 1e-9)
        return f"{_format(logs)} {rate:,.0f} ex/s"

    def update(self, n, examples, logs):
        self.examples = examples
        self.bar.set_postfix_str(self._postfix(logs), refresh=False)
        self.bar.update(n)

    def close(self, logs):
        self.bar.set_postfix_str(self._postfix(logs))
        self.bar.close()


class _Lines:
    """verbose=2: one line per epoch."""

    def __init__(self, desc, stream):
        self.desc, self.stream, self.start, self.examples = desc, stream, time.perf_counter(), 0

    def update(self, n, examples, logs):
        self.examples = examples

    def close(self, logs):
        seconds = time.perf_counter() - self.start
        print(f"{self.desc} {_format(logs)} ({seconds:.1f}s, {self.examples / max(seconds, 1e-9):,.0f} ex/s)",
              file=self.stream)


class _Silent:
    def update(self, n, examples, logs):
        pass

    def close(self, logs):
        pass


def make_progress(verbose, total, desc, stream=None):
    """A progress reporter for one epoch of `total` batches."""
    stream = stream or sys.stderr
    if verbose == 0:
        return _Silent()
    if verbose == 2:
        return _Lines(desc, stream)
    try:
        return _Tqdm(total, desc)
    except ImportError:
        return _Bar(total, desc, stream)
