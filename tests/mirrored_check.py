"""Trains a tiny DCGAN for 3 steps with one update rule on one device and under
MirroredStrategy over 2 logical CPUs (same global batch, same init, SGD) and
prints the largest weight difference as JSON.

Run as a script in a fresh process: several MirroredStrategy instances with
synchronised batch norm in one TensorFlow process can assign collective keys
inconsistently (a TensorFlow runtime issue), so each check gets its own.
Usage: python -m tests.mirrored_check RULE_JSON
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

import keras  # noqa: E402
import numpy as np  # noqa: E402

from advzoo.games import get_update_rule  # noqa: E402
from tests.helpers import fake_images, tiny_dcgan  # noqa: E402


def train(strategy, rule, init, batch, steps=3):
    with strategy.scope():
        model = tiny_dcgan(compile=False, width=4)
        model.set_weights(init)
        # SGD, not Adam: Adam is invariant to a wrongly scaled loss, SGD is not.
        model.compile(optimizers={"generator": keras.optimizers.SGD(0.1, momentum=0.5),
                                  "discriminator": keras.optimizers.SGD(0.1, momentum=0.5)},
                      game=get_update_rule(rule))
    ds = tf.data.Dataset.from_tensor_slices(batch).batch(len(batch[0]))
    model.fit(ds.repeat(steps), epochs=1, verbose=0)
    return model


def main(rule):
    keras.utils.set_random_seed(0)  # a fixed, generic init (no ReLU input sits on 0)
    devices = [d.name for d in tf.config.list_logical_devices("CPU")[:2]]
    init = tiny_dcgan(compile=False, width=4).get_weights()
    batch = (fake_images(16, seed=2),
             np.random.default_rng(3).standard_normal((16, 8)).astype("float32"))
    single = train(tf.distribute.get_strategy(), rule, init, batch)
    multi = train(tf.distribute.MirroredStrategy(devices), rule, init, batch)
    moved = float(max(np.abs(a - b).max() for a, b in zip(init, single.get_weights())))
    diffs = [float(np.abs(a - b).max() / (1e-5 + np.abs(a).max()))
             for a, b in zip(single.get_weights(), multi.get_weights())]
    print(json.dumps({"moved": moved, "max_relative_difference": max(diffs),
                      "replicas": multi.distribute_strategy.num_replicas_in_sync}))


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
