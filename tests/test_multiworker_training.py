"""`advzoo train --strategy multi_worker` with 2 worker processes on
127.0.0.1: the weights of one process on the same global batch, files from
the chief only, resume after kill -9 of a worker (epoch and step
checkpoints), and clear errors for bad cluster set-ups."""

import json
import os
import signal
import time

import h5py
import numpy as np
import pytest
import yaml

from tests.cluster import logs, run_single, start_workers, wait_all
from tests.helpers import TINY

pytestmark = pytest.mark.skipif(
    not os.path.exists("/usr/share/datasets/fashion-mnist") and not os.environ.get("ADVZOO_DATA_DIR"),
    reason="needs Fashion-MNIST")


SGD = {"class_name": "SGD", "config": {"learning_rate": 0.05, "momentum": 0.5}}


def _recipe(tmp_path, optimizer=None, **train):
    recipe = {**TINY, "name": "tiny_mw", "train": {**TINY["train"], **train}}
    if optimizer:
        recipe["compile"] = {"optimizers": {"generator": optimizer, "discriminator": optimizer}}
    path = tmp_path / "tiny_mw.yaml"
    path.write_text(yaml.safe_dump(recipe))
    return path


def _weights(path):
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: out.__setitem__(name, obj[()])
                     if isinstance(obj, h5py.Dataset) else None)
    return out


def _train_args(recipe, run_dir, *extra):
    return ["-m", "advzoo.cli", "train", str(recipe), "--run-dir", str(run_dir),
            "--max-steps-per-epoch", "3", *extra]


def test_two_workers_train_like_one_process_and_only_the_chief_writes(tmp_path):
    # SGD: Adam's first steps move every weight by +-lr whatever the gradient's
    # size, so float reassociation in near-zero gradients would flip them
    recipe = _recipe(tmp_path, optimizer=SGD, epochs=2)
    run_single(_train_args(recipe, tmp_path / "single"), timeout=600)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    procs, _ = start_workers(_train_args(recipe, tmp_path / "multi", "--strategy", "multi_worker"),
                             log_dir=tmp_path, TMPDIR=str(scratch))
    assert wait_all(procs, timeout=600) == [0, 0], logs(tmp_path)
    one, two = _weights(tmp_path / "single" / "final.weights.h5"), \
        _weights(tmp_path / "multi" / "final.weights.h5")
    assert one.keys() == two.keys()
    floats = [k for k in one if one[k].dtype.kind == "f" and one[k].size > 1]
    assert floats
    for k in floats:  # different global batches each step, sampled latents, sync batch norm
        np.testing.assert_allclose(two[k], one[k], rtol=1e-3, atol=1e-4 * np.abs(one[k]).max(),
                                   err_msg=k)
    # the chief wrote the run; the other worker's scratch directory is gone
    assert json.loads((tmp_path / "multi" / "summary.json").read_text())["replicas"] == 2
    assert (tmp_path / "multi" / "samples" / "epoch_002.png").exists()
    assert list(scratch.iterdir()) == []


def _state(run_dir):
    path = run_dir / "checkpoint" / "state.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _kill_when(procs, run_dir, ready, timeout=600):
    """kill -9 worker 1 once the chief's checkpoint satisfies `ready`; returns that state."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        state = _state(run_dir)
        if state and ready(state):
            os.kill(procs[1].pid, signal.SIGKILL)
            return state
        assert procs[0].poll() is None, "the chief ended before the kill"
        time.sleep(0.2)
    raise AssertionError("no checkpoint to kill after")


@pytest.mark.parametrize("save_freq", [None, 2], ids=["epoch_backups", "step_backups"])
def test_kill_9_of_a_worker_then_restart_resumes_from_the_last_backup(tmp_path, save_freq):
    extra = ["--strategy", "multi_worker", "--auto-resume"]
    if save_freq:
        extra += ["--save-freq", str(save_freq)]
    recipe = _recipe(tmp_path, epochs=6)
    run_dir = tmp_path / "run"
    args = ["-m", "advzoo.cli", "train", str(recipe), "--run-dir", str(run_dir),
            "--max-steps-per-epoch", "5", *extra]
    procs, ports = start_workers(args, log_dir=tmp_path, ADVZOO_HEARTBEAT_TIMEOUT="10")
    ready = (lambda s: s["epoch"] >= 2 and s.get("step", 0) > 0) if save_freq else \
        (lambda s: s["epoch"] >= 2)
    killed_at = _kill_when(procs, run_dir, ready)
    # the surviving worker notices the dead peer and exits: it does not hang
    assert procs[0].wait(timeout=180) != 0
    before = _state(run_dir)
    assert (before["epoch"], before.get("step", 0)) >= (killed_at["epoch"], killed_at.get("step", 0))
    (tmp_path / "worker_0.log").rename(tmp_path / "first_0.log")
    procs, _ = start_workers(args, ports=ports, log_dir=tmp_path)
    assert wait_all(procs, timeout=600) == [0, 0], logs(tmp_path)
    resumed = (tmp_path / "worker_0.log").read_text()
    expected = f"from its checkpoint of epoch {before['epoch']}"
    if before.get("step"):
        expected += f" step {before['step']}"
    assert expected in resumed, resumed[-2000:]
    # lost at most one epoch (epoch backups) or save_freq steps (step backups):
    # the resumed run starts where the last backup before the kill was
    epochs = [int(r.split(",")[0]) for r in (run_dir / "log.csv").read_text().splitlines()[1:]]
    assert epochs == list(range(6))
    assert _state(run_dir)["epoch"] == 6 and (run_dir / "final.weights.h5").exists()
