"""Training callbacks: checkpoints that lose at most one epoch, a divergence
guard, sample grids and TensorBoard images."""

import json
import math
import os
import time
from pathlib import Path

import keras
import numpy as np

from advzoo.utils.files import atomic_write_text as _atomic_write_text
from advzoo.utils.images import make_grid, save_grid




class EpochCheckpoint(keras.callbacks.Callback):
    """Saves weights *and optimizer state* at the end of every epoch (and,
    with `save_freq`, every `save_freq` steps), as one unit.

    Each save goes to a new file (`epoch_XXX[_step_YYYYY].weights.h5`); then
    `state.json`, which names that file, is replaced atomically; only then
    are older weights files deleted. Whatever moment an interruption (even
    kill -9) hits, `state.json` names a complete weights file of the epoch
    (and step) it records, so a resumed run loses at most the epoch in
    progress (or the last `save_freq` steps) and never trains an epoch twice.
    A run resumed from a step checkpoint restarts that epoch's data from its
    first batch, with the weights and optimizer state of that step.

    Why not `keras.callbacks.BackupAndRestore`: it overwrites
    `latest.weights.h5` in place and writes its epoch/batch record after it,
    so a kill -9 inside a save leaves a torn file or a record that names the
    wrong epoch; it writes from every worker of a cluster into the same
    directory; and it keeps no training time for the manifest. It remains
    the right tool for a user's own `model.fit` loop, and works with
    advzoo's models (`tests/test_fault_tolerance.py`).

    Args:
        directory: where the weights files and `state.json` are kept.
        save_freq: also save every `save_freq` training steps (None: epoch
            ends only).
    """

    LEGACY_WEIGHTS = "model.weights.h5"  # checkpoints written before state.json named its file

    def __init__(self, directory, save_freq=None):
        super().__init__()
        if save_freq is not None and (isinstance(save_freq, bool) or not isinstance(save_freq, int)
                                      or save_freq < 1):
            raise ValueError(f"save_freq must be a positive number of steps or None (epoch "
                             f"ends only), got {save_freq!r}.")
        self.directory = Path(directory)
        self.save_freq = save_freq
        self.state_path = self.directory / "state.json"
        self.state = {"epoch": 0, "train_seconds": 0.0}
        self._epoch_start = None
        self._epoch = 0

    def _read_state(self):
        return json.loads(self.state_path.read_text())

    @property
    def weights_path(self):
        """The weights file the current `state.json` names."""
        name = self.LEGACY_WEIGHTS
        if self.state_path.exists():
            name = self._read_state().get("weights", self.LEGACY_WEIGHTS)
        return self.directory / name

    def exists(self):
        return self.state_path.exists() and self.weights_path.exists()

    def restore(self, model):
        """Loads the last checkpoint into `model`; returns the epoch to resume at
        (an epoch saved mid-way, `state["step"] > 0`, is trained again from
        its first batch, starting from the saved step's weights)."""
        from advzoo.presets import load_weights

        self.state = self._read_state()
        load_weights(model, self.weights_path, what=f"the checkpoint in {self.directory}")
        return int(self.state["epoch"])

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.time()
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq and (batch + 1) % self.save_freq == 0:
            self._save(self._epoch, batch + 1, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._save(epoch + 1, 0, logs)

    def _save(self, epoch, step, logs):
        if getattr(self.model, "stop_training", False) and getattr(self.model, "_advzoo_diverged", False):
            return  # never overwrite the last good checkpoint with diverged weights
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"epoch_{epoch:03d}" + (f"_step_{step:05d}" if step else "")
        tmp = self.directory / f"{name}.tmp.weights.h5"
        self.model.save_weights(tmp)
        os.replace(tmp, self.directory / f"{name}.weights.h5")  # complete, not yet the checkpoint
        now = time.time()
        self.state["epoch"], self.state["step"] = epoch, step
        self.state["weights"] = f"{name}.weights.h5"
        self.state["train_seconds"] = self.state.get("train_seconds", 0.0) + (now - self._epoch_start)
        self._epoch_start = now
        self.state["logs"] = {k: float(np.asarray(v).mean()) for k, v in (logs or {}).items()}
        _atomic_write_text(self.state_path, json.dumps(self.state, indent=1))  # the commit
        for old in self.directory.glob("*.weights.h5"):
            if old.name != self.state["weights"]:
                old.unlink(missing_ok=True)


class DivergenceGuard(keras.callbacks.Callback):
    """Stops training when a logged loss becomes NaN/inf or exceeds `max_value`,
    and restores the last good checkpoint (if one is given and exists).

    Args:
        checkpoint: optional `EpochCheckpoint` to restore from.
        max_value: absolute value above which a loss counts as diverged.
    """

    def __init__(self, checkpoint=None, max_value=1e6):
        super().__init__()
        self.checkpoint = checkpoint
        self.max_value = max_value
        self.diverged = None

    def on_train_batch_end(self, batch, logs=None):
        for key, value in (logs or {}).items():
            if not key.endswith("loss"):
                continue
            v = float(np.asarray(value))
            if not math.isfinite(v) or abs(v) > self.max_value:
                self.diverged = f"{key}={v} at batch {batch}"
                self.model._advzoo_diverged = True
                self.model.stop_training = True
                if self.checkpoint is not None and self.checkpoint.exists():
                    from advzoo.presets import load_weights

                    load_weights(self.model, self.checkpoint.weights_path)
                    print(f"\nDivergenceGuard: {self.diverged}; restored the checkpoint "
                          f"of epoch {json.loads(self.checkpoint.state_path.read_text())['epoch']}.")
                else:
                    print(f"\nDivergenceGuard: {self.diverged}; stopped (no checkpoint yet).")
                return


class SampleGrid(keras.callbacks.Callback):
    """Writes a PNG grid of samples every `every` epochs, from a fixed seed so
    that grids of successive epochs are comparable; optionally also logs the
    grid and the epoch's metrics to TensorBoard.

    Args:
        samples_fn: `samples_fn(model, n, seed) -> images in [-1, 1]`.
        directory: where `epoch_XXX.png` and `latest.png` go.
        n: number of images per grid.
        seed: sampling seed.
        every: epoch interval.
        tensorboard_dir: optional TensorBoard log directory.
    """

    def __init__(self, samples_fn, directory, n=100, seed=0, every=1, tensorboard_dir=None):
        super().__init__()
        self.samples_fn = samples_fn
        self.directory = Path(directory)
        self.n, self.seed, self.every = n, seed, every
        self.tensorboard_dir = tensorboard_dir
        self._writer = None

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every or getattr(self.model, "_advzoo_diverged", False):
            return
        images = self.samples_fn(self.model, self.n, self.seed)
        save_grid(images, self.directory / f"epoch_{epoch + 1:03d}.png", nrow=10)
        save_grid(images, self.directory / "latest.png", nrow=10)
        if self.tensorboard_dir:
            import tensorflow as tf

            if self._writer is None:
                self._writer = tf.summary.create_file_writer(str(self.tensorboard_dir))
            with self._writer.as_default():
                grid = make_grid(images, nrow=10)
                tf.summary.image("samples", grid[None], step=epoch + 1)
                for key, value in (logs or {}).items():
                    tf.summary.scalar(key, float(np.asarray(value)), step=epoch + 1)
            self._writer.flush()
