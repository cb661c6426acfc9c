"""Trains a tiny model for 3 steps with one update rule on one device and under
MirroredStrategy over 2 logical CPUs (same global batch, same init, SGD) and
prints the largest weight difference as JSON.

Run as a script in a fresh process: several MirroredStrategy instances with
synchronised batch norm in one TensorFlow process can assign collective keys
inconsistently (a TensorFlow runtime issue), so each check gets its own.
Usage: python -m tests.mirrored_check RULE_JSON KIND, KIND one of
`tests.distributed_cases.BUILDERS` (see that module).
"""

import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorflow as tf  # noqa: E402

tf.config.set_logical_device_configuration(
    tf.config.list_physical_devices("CPU")[0],
    [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()])

import numpy as np  # noqa: E402

from tests.distributed_cases import initial_weights, make_batch, train  # noqa: E402


def main(rule, kind="dcgan"):
    devices = [d.name for d in tf.config.list_logical_devices("CPU")[:2]]
    init = initial_weights(kind)
    batch = make_batch(kind)
    single = train(tf.distribute.get_strategy(), rule, init, batch, kind=kind)
    multi = train(tf.distribute.MirroredStrategy(devices), rule, init, batch, kind=kind)
    moved = float(max(np.abs(a - b).max() for a, b in zip(init, single.get_weights())))
    diffs = [float(np.abs(a - b).max() / (1e-5 + np.abs(a).max()))
             for a, b in zip(single.get_weights(), multi.get_weights())]
    print(json.dumps({"moved": moved, "max_relative_difference": max(diffs),
                      "replicas": multi.distribute_strategy.num_replicas_in_sync}))


if __name__ == "__main__":
    main(json.loads(sys.argv[1]), *sys.argv[2:])
