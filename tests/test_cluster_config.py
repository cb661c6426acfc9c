"""Bad cluster set-ups fail before training with a message that names what
was wrong and what would be right: TF_CONFIG, batch sizes, workers with
different recipes, unreachable peers, tuning without the oracle's address."""

import json
import time

import pytest

from advzoo.distribute import (ClusterConfigError, check_global_batch, fingerprint,
                               read_tf_config)
from advzoo.tuning import tuning_role
from tests.cluster import ROOT, free_ports, logs, start_workers, wait_all, worker_env
from tests.helpers import TINY

GOOD = {"cluster": {"worker": ["127.0.0.1:1", "127.0.0.1:2"]}, "task": {"type": "worker", "index": 1}}


@pytest.mark.parametrize("raw, expected", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "must be a JSON object"),
    (json.dumps({"task": {"type": "worker", "index": 0}}), 'no "cluster"'),
    (json.dumps({"cluster": {"worker": ["127.0.0.1:1"]}}), 'no "task"'),
    (json.dumps({"cluster": {"worker": ["127.0.0.1:1"]}, "task": {"type": "chief", "index": 0}}),
     "not a job of the cluster"),
    (json.dumps({**GOOD, "task": {"type": "worker", "index": 2}}), r"index must be 0\.\.1"),
    (json.dumps({**GOOD, "task": {"type": "worker", "index": "0"}}), "out of range"),
    (json.dumps({"cluster": {"worker": ["no-port"]}, "task": {"type": "worker", "index": 0}}),
     "host:port"),
])
def test_malformed_tf_config_is_refused_with_what_would_be_right(raw, expected):
    with pytest.raises(ClusterConfigError, match=expected):
        read_tf_config({"TF_CONFIG": raw})


def test_a_valid_tf_config_parses_and_none_is_one_process():
    assert read_tf_config({"TF_CONFIG": json.dumps(GOOD)}) == GOOD
    assert read_tf_config({}) is None


def test_a_global_batch_that_does_not_divide_by_the_replicas_is_refused():
    class TwoReplicas:
        num_replicas_in_sync = 2

    check_global_batch(TwoReplicas(), 64)
    with pytest.raises(ValueError, match=r"63, which does not divide by the 2 replicas.*62 or 64"):
        check_global_batch(TwoReplicas(), 63)


def test_recipe_fingerprints_differ_for_different_recipes():
    other = {**TINY, "train": {**TINY["train"], "batch_size": 16}}
    assert fingerprint(TINY) == fingerprint(json.loads(json.dumps(TINY)))
    assert fingerprint(TINY) != fingerprint(other)


def test_distributed_tuning_needs_the_oracle_address():
    with pytest.raises(ValueError, match="missing KERASTUNER_ORACLE_IP, KERASTUNER_ORACLE_PORT"):
        tuning_role(True, {"KERASTUNER_TUNER_ID": "tuner0"})
    with pytest.raises(ValueError, match="port number"):
        tuning_role(True, {"KERASTUNER_TUNER_ID": "tuner0", "KERASTUNER_ORACLE_IP": "127.0.0.1",
                           "KERASTUNER_ORACLE_PORT": "http"})
    with pytest.raises(ValueError, match="--distributed not given"):
        tuning_role(False, {"KERASTUNER_ORACLE_IP": "127.0.0.1"})
    env = {"KERASTUNER_TUNER_ID": "chief", "KERASTUNER_ORACLE_IP": "127.0.0.1",
           "KERASTUNER_ORACLE_PORT": "8000"}
    assert tuning_role(True, env) == "chief"
    assert tuning_role(True, {**env, "KERASTUNER_TUNER_ID": "tuner1"}) == "worker tuner1"
    assert tuning_role(False, {}) == "local"


def test_cli_reports_a_bad_tf_config_in_one_line(tmp_path):
    import subprocess
    import sys

    env = {**worker_env(), "TF_CONFIG": "{oops"}
    out = subprocess.run([sys.executable, "-m", "advzoo.cli", "train", "dcgan_fashion_mnist",
                          "--strategy", "multi_worker", "--run-dir", str(tmp_path)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode != 0
    assert out.stderr.strip().splitlines()[-1].startswith("advzoo train: TF_CONFIG is not valid JSON")


def _tiny_recipe(tmp_path, name, **train):
    import yaml

    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump({**TINY, "name": "tiny_cfg", "train": {**TINY["train"], **train}}))
    return path


def test_a_worker_whose_peer_never_starts_times_out_with_a_clear_message(tmp_path):
    ports = free_ports(2)
    args = ["-m", "advzoo.cli", "train", str(_tiny_recipe(tmp_path, "r")), "--strategy",
            "multi_worker", "--run-dir", str(tmp_path / "run"), "--max-steps-per-epoch", "1"]
    procs, _ = start_workers(args, n=1, ports=ports, log_dir=tmp_path, ADVZOO_PEER_TIMEOUT="8")
    start = time.time()
    assert wait_all(procs, timeout=240) != [0], logs(tmp_path)
    assert time.time() - start < 200
    text = (tmp_path / "worker_0.log").read_text()
    assert "could not reach its peers within 8 s" in text, text[-3000:]
    assert "ADVZOO_PEER_TIMEOUT" in text


def test_workers_started_with_different_recipes_stop_before_training(tmp_path):
    import subprocess
    import sys

    ports = free_ports(2)
    recipes = [_tiny_recipe(tmp_path, "a"), _tiny_recipe(tmp_path, "b", batch_size=16)]
    procs = []
    for i, recipe in enumerate(recipes):
        log = open(tmp_path / f"worker_{i}.log", "wb")
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "advzoo.cli", "train", str(recipe), "--strategy",
             "multi_worker", "--run-dir", str(tmp_path / "run"), "--max-steps-per-epoch", "1"],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=worker_env(ports, i)))
    assert wait_all(procs, timeout=300) == [1, 1], logs(tmp_path)
    for i in range(2):
        text = (tmp_path / f"worker_{i}.log").read_text()
        assert "started with different recipe" in text, text[-3000:]
    assert not (tmp_path / "run" / "checkpoint").exists()
