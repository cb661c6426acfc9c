"""Trains the tiny models of `tests/distributed_cases.py` for 3 steps each,
either in one process (no `TF_CONFIG`) or as one worker of a
`MultiWorkerMirroredStrategy` cluster (`TF_CONFIG` set), on the same global
batch of 16, and saves the final weights (the chief only, in multi-worker mode).

Every case of a run shares one strategy and one process: the workers build
the same models in the same order, so their collective keys agree.

Usage (one process per worker, each with its TF_CONFIG):
    python -m tests.multiworker_check OUT_DIR '[["alternating", "dcgan"], ...]'
Writes OUT_DIR/case_<i>.npz (weights) and OUT_DIR/done.json.
"""

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from advzoo.distribute import get_strategy, is_chief, task_name  # noqa: E402
from tests.distributed_cases import initial_weights, make_batch, train  # noqa: E402


def main(out_dir, cases):
    keras.config.disable_traceback_filtering()  # a worker's log shows where it failed
    out = Path(out_dir)
    strategy = get_strategy("multi_worker" if os.environ.get("TF_CONFIG") else None)
    replicas = strategy.num_replicas_in_sync
    for i, (rule, kind) in enumerate(cases):
        init = initial_weights(kind)
        model = train(strategy, rule, init, make_batch(kind), kind=kind)
        if is_chief(strategy):
            np.savez(out / f"case_{i}.npz", *model.get_weights())
    if is_chief(strategy):
        (out / "done.json").write_text(json.dumps({"replicas": replicas, "cases": len(cases),
                                                   "task": task_name(strategy)}))
    print(f"{task_name(strategy)}: {len(cases)} cases on {replicas} replicas", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], json.loads(sys.argv[2]))
