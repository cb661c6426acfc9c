"""kill -9 at any moment of `advzoo train --export` is harmless: the run
resumes from its last checkpoint, no epoch is lost or trained twice,
`log.csv` has one row per epoch, and the final weights and the exported
preset load."""

import csv
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
EPOCHS, STEPS = 8, 6  # 6,000 trousers / batch 1,000
RECIPE = {"name": "killed_dcgan", "family": "dcgan", "description": "kill -9 test",
          "model": {"latent_dim": 8, "width": 4, "seed": 0},
          "data": {"dataset": "fashion_mnist", "classes": [1]},
          "train": {"batch_size": 1000, "epochs": EPOCHS, "seed": 0},
          "evaluate": {"n_samples": 300, "seed": 0}}


def _command(tmp_path, where):
    run, export = where / "run", where / "export"
    resume = ["--resume"] if (run / "checkpoint" / "state.json").exists() else []
    return [sys.executable, "-m", "advzoo.cli", "train", str(tmp_path / "killed_dcgan.yaml"),
            "--run-dir", str(run), "--export", "--export-dir", str(export), *resume]


def _kill_and_resume(tmp_path, kills, seed):
    (tmp_path / "killed_dcgan.yaml").write_text(yaml.safe_dump(RECIPE))
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()  # one run to completion times the whole job ...
    subprocess.run(_command(tmp_path, tmp_path / "timing"), env=env, check=True,
                   capture_output=True, timeout=600, cwd=ROOT)
    duration = time.perf_counter() - start
    rng = random.Random(seed)
    killed = 0
    for _ in range(kills):  # ... then each attempt is killed at a random moment of it
        proc = subprocess.Popen(_command(tmp_path, tmp_path), env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, cwd=ROOT)
        try:
            proc.wait(timeout=rng.uniform(0.2, 0.7) * duration)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            killed += 1
        proc.wait()
    final = subprocess.run(_command(tmp_path, tmp_path), env=env, capture_output=True, text=True,
                           timeout=600, cwd=ROOT)
    assert final.returncode == 0, final.stderr[-3000:]
    print(f"{killed} of {kills} attempts killed; an uninterrupted run takes {duration:.1f} s")
    return killed


def _check_the_run(tmp_path):
    import advzoo
    from advzoo.training import build_model

    run = tmp_path / "run"
    with open(run / "log.csv") as f:
        epochs = [int(row["epoch"]) for row in csv.DictReader(f)]
    assert epochs == list(range(EPOCHS)), epochs  # one row per epoch, none twice
    assert json.loads((run / "summary.json").read_text())["epochs"] == EPOCHS
    model = build_model(json.loads((run / "recipe.json").read_text()))
    model.load_weights(run / "final.weights.h5")
    # every step trained exactly once: no epoch lost, none trained twice
    assert int(model.generator_optimizer.iterations) == EPOCHS * STEPS
    assert [p.name for p in (run / "checkpoint").iterdir()] != []
    leftovers = [p for p in run.rglob("*") if ".tmp" in p.name]
    assert not leftovers, leftovers
    exported = advzoo.load(tmp_path / "export" / "killed_dcgan")  # verified by its sha256
    assert int(exported.generator_optimizer.iterations) == EPOCHS * STEPS
    manifest = json.loads((tmp_path / "export" / "manifest.json").read_text())
    assert manifest["presets"]["killed_dcgan"]["epochs"] == EPOCHS


def test_a_crash_between_the_weights_and_the_state_file_trains_no_epoch_twice(tmp_path, monkeypatch):
    """The moment that used to cost an epoch: weights written, state.json not
    yet. Now state.json still names the previous epoch's file, which is kept."""
    import advzoo.callbacks as callbacks
    from advzoo.training import train

    recipe = {**RECIPE, "train": {**RECIPE["train"], "epochs": 3}, "evaluate": {}}
    original = callbacks._atomic_write_text
    calls = {"n": 0}

    def crash_on_second_commit(path, text):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # like a kill after epoch 2's weights were written
        original(path, text)

    monkeypatch.setattr(callbacks, "_atomic_write_text", crash_on_second_commit)
    with pytest.raises(KeyboardInterrupt):
        train(recipe, run_dir=tmp_path / "run", verbose=0)
    state = json.loads((tmp_path / "run" / "checkpoint" / "state.json").read_text())
    assert state["epoch"] == 1 and state["weights"] == "epoch_001.weights.h5"
    assert (tmp_path / "run" / "checkpoint" / "epoch_001.weights.h5").exists()
    with open(tmp_path / "run" / "log.csv") as f:
        assert [int(r["epoch"]) for r in csv.DictReader(f)] == [0, 1]  # epoch 2 was logged
    monkeypatch.setattr(callbacks, "_atomic_write_text", original)
    model, _, _ = train(recipe, run_dir=tmp_path / "run", resume=True, verbose=0)
    assert int(model.generator_optimizer.iterations) == 3 * STEPS  # epoch 2 trained once more, not twice
    with open(tmp_path / "run" / "log.csv") as f:
        assert [int(r["epoch"]) for r in csv.DictReader(f)] == [0, 1, 2]  # one row each
    assert sorted(p.name for p in (tmp_path / "run" / "checkpoint").iterdir()) == [
        "epoch_003.weights.h5", "state.json"]


@pytest.mark.slow
def test_kill_9_at_twenty_random_moments_loses_nothing(tmp_path):
    """About 10 minutes: each attempt is killed at a random moment of the
    job (start-up, an epoch, a checkpoint, log or grid write, the export)."""
    killed = _kill_and_resume(tmp_path, kills=20, seed=1)
    assert killed >= 10
    _check_the_run(tmp_path)
