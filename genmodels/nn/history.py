"""What a training run records."""

__all__ = ["History"]


class History:
    """Per-epoch values in `history` (a dict of lists, e.g. "loss",
    "val_loss"), the epoch numbers in `epoch`, per-step values in `steps`
    when asked for, and whether the run was interrupted."""

    def __init__(self):
        self.history = {}
        self.epoch = []
        self.steps = {}
        self.interrupted = False

    def add_epoch(self, epoch, logs):
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(float(value))

    def add_step(self, logs):
        for key, value in logs.items():
            self.steps.setdefault(key, []).append(float(value))

    def __getitem__(self, key):
        return self.history[key]

    def __contains__(self, key):
        return key in self.history

    def keys(self):
        return self.history.keys()

    def __repr__(self):
        last = {k: round(v[-1], 4) for k, v in self.history.items() if v}
        return f"History(epochs={len(self.epoch)}, last={last}{', interrupted' if self.interrupted else ''})"
