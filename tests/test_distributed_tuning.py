"""keras-tuner's distributed tuning through `advzoo tune --distributed`: a
chief oracle and 2 workers on 127.0.0.1 run 4 tiny trials; every trial is
recorded once and completed, the chief reports the best hyperparameters,
and a worker killed with -9 mid-trial gets its trial back when restarted."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

import advzoo
from tests.cluster import ROOT, free_ports, worker_env

pytestmark = pytest.mark.skipif("fashion_mnist_classifier" not in advzoo.list_models(pretrained=True),
                                reason="needs the shipped evaluator preset")


def _start(tuner_id, port, directory, log_dir):
    env = worker_env(KERASTUNER_TUNER_ID=tuner_id, KERASTUNER_ORACLE_IP="127.0.0.1",
                     KERASTUNER_ORACLE_PORT=str(port))
    log = open(log_dir / f"{tuner_id}.log", "ab")
    return subprocess.Popen(
        [sys.executable, "-m", "advzoo.cli", "tune", "zoo_configs/dcgan_fashion_mnist.yaml",
         "--distributed", "--max-trials", "4", "--epochs", "1", "--steps-per-epoch", "20",
         "--n-eval-samples", "100", "--directory", str(directory)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def _oracle(project):
    try:
        return json.loads((project / "oracle.json").read_text())
    except (OSError, ValueError):
        return {}


def test_chief_and_two_workers_record_every_trial_once_and_rerun_a_killed_workers_trial(tmp_path):
    port = free_ports(1)[0]
    directory = tmp_path / "tune"
    project = directory / "dcgan_fashion_mnist"
    chief = _start("chief", port, directory, tmp_path)
    time.sleep(5)  # the oracle first, so that it does not wipe what workers write
    workers = {t: _start(t, port, directory, tmp_path) for t in ("tuner0", "tuner1")}
    deadline = time.time() + 600
    while time.time() < deadline:  # kill tuner1 once it runs a trial
        running = _oracle(project).get("ongoing_trials", {})
        if "tuner1" in running:
            killed_trial = running["tuner1"]
            os.kill(workers["tuner1"].pid, signal.SIGKILL)
            break
        assert chief.poll() is None, (tmp_path / "chief.log").read_text()[-3000:]
        time.sleep(0.2)
    else:
        raise AssertionError("tuner1 never ran a trial")
    workers["tuner1"].wait()
    workers["tuner1"] = _start("tuner1", port, directory, tmp_path)  # the same id: its trial back
    for name, proc in {"chief": chief, **workers}.items():
        assert proc.wait(timeout=900) == 0, (tmp_path / f"{name}.log").read_text()[-3000:]
    trials = [json.loads(p.read_text()) for p in sorted(project.glob("trial_*/trial.json"))]
    assert len(trials) == 4 and len({t["trial_id"] for t in trials}) == 4
    assert all(t["status"] == "COMPLETED" and t["score"] is not None for t in trials)
    assert killed_trial in {t["trial_id"] for t in trials}
    chief_log = (tmp_path / "chief.log").read_text()
    best = json.loads(chief_log.split("best hyperparameters:")[1].strip().splitlines()[0])
    best_trial = min(trials, key=lambda t: t["score"])
    assert best == best_trial["hyperparameters"]["values"]
    assert "no trials left" in (tmp_path / "tuner0.log").read_text()
