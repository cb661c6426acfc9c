"""Hardness-Manipulation training under MirroredStrategy (2 logical CPUs) vs
the same update computed by hand on one device, printed as JSON.

Mining and the inner PGD run per replica, on the replica's half of the
global batch (as in any data-parallel adversarial training), so the reference
is: for each half, the gradient of the embedder's loss on that half; update
= SGD step with the mean of the two. A loss that is not replica-scaled would
take a step twice too large. Deterministic settings (hardest-negative
mining, constant destination, no random start) make the halves reproducible.
Usage: python -m tests.mirrored_triplet_check
"""

import json
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorflow as tf  # noqa: E402

tf.config.set_logical_device_configuration(
    tf.config.list_physical_devices("CPU")[0],
    [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()])

import keras  # noqa: E402
import numpy as np  # noqa: E402

from advzoo.models.triplet import TripletEmbedder  # noqa: E402

LR = 0.5


def build():
    return TripletEmbedder(width=4, hidden=16, embedding_dim=8, defense="hm", miner="hardest",
                           source="hardest", destination=0.1, pgd_steps=3,
                           step_size=0.1, ics_weight=0.5)


def main():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(1)
    labels = np.repeat(rng.permutation(10)[:8], 2).astype("int32")   # 8 SPC-2 pairs
    images = rng.uniform(0, 1, (16, 28, 28, 1)).astype("float32")
    init = build().get_weights()

    reference = build()
    reference.set_weights(init)
    reference.compile(optimizers={"embedder": keras.optimizers.SGD(LR)})
    player = reference.players()[0]
    start = [v.numpy() for v in player.trainable_variables]
    grads, adv = [], []
    for half in (slice(0, 8), slice(8, 16)):
        data = reference.inner_maximization(reference.prepare_batch(
            (images[half], labels[half])))
        _, _, g = reference.gradients(player, data)
        grads.append([gi.numpy() for gi in g])
        adv.append(float(reference.previous_adversarial_loss.numpy()))
    expected = [v.numpy() - LR * (g1 + g2) / 2 for v, g1, g2 in
                zip(player.trainable_variables, *grads)]

    devices = [d.name for d in tf.config.list_logical_devices("CPU")[:2]]
    strategy = tf.distribute.MirroredStrategy(devices)
    with strategy.scope():
        multi = build()
        multi.set_weights(init)
        multi.compile(optimizers={"embedder": keras.optimizers.SGD(LR)})
    ds = tf.data.Dataset.from_tensor_slices((images, labels)).batch(16)
    multi.fit(ds, epochs=1, verbose=0, shuffle=False)
    got = [v.numpy() for v in multi.players()[0].trainable_variables]
    moved = float(max(np.abs(e - i).max() for e, i in zip(expected, start)))
    diffs = [float(np.abs(a - b).max() / (1e-5 + np.abs(a).max())) for a, b in zip(expected, got)]
    print(json.dumps({"moved": moved, "max_relative_difference": max(diffs),
                      "replicas": multi.distribute_strategy.num_replicas_in_sync,
                      "lga_state": float(multi.previous_adversarial_loss.numpy()),
                      "lga_expected": float(np.mean(adv))}))


if __name__ == "__main__":
    main()
