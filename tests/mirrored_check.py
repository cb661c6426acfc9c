"""Trains a tiny DCGAN for 3 steps with one update rule on one device and under
MirroredStrategy over 2 logical CPUs (same global batch, same init, SGD) and
prints the largest weight difference as JSON.

Run as a script in a fresh process: several MirroredStrategy instances with
synchronised batch norm in one TensorFlow process can assign collective keys
inconsistently (a TensorFlow runtime issue), so each check gets its own.
Usage: python -m tests.mirrored_check RULE_JSON KIND, KIND one of dcgan, dann, dann_im,
dann_bn, dann_mt, dann_pairs, dann_width, dann_width_wider, bigan, aae, wgan
(`dann`: a tiny DomainAdversarialNet on a domain-adaptation batch; `dann_im`:
the same with target entropy and diversity terms; `dann_bn`: with batch norm;
`dann_mt`: with a mean teacher, the optimizers averaging the weights;
`dann_pairs`: attribute batches with counterparts and `pair_weight` (research/forgetting);
`dann_width`: attribute batches and `width_weight`; `dann_width_wider`: the same
with `width_side="wider"`.)
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


def tiny_dann(**kwargs):
    from advzoo.models.dann import DomainAdversarialNet

    return DomainAdversarialNet(image_shape=(12, 12, 3), width=4, feature_dim=8, hidden=8,
                                lambda_=0.7, **kwargs)


def tiny_forget(**kwargs):
    from research.forgetting.forget_model import ForgettingStudyNet

    return ForgettingStudyNet(image_shape=(12, 12, 3), width=4, feature_dim=8, hidden=8,
                              lambda_=0.7, **kwargs)


def tiny_bigan():
    from advzoo.models.bigan import BiGAN

    return BiGAN(latent_dim=8, width=4, seed=1, discriminator_dropout=0.0)


def tiny_aae():
    from advzoo.models.aae import AdversarialAutoencoder

    return AdversarialAutoencoder(variant="semisupervised", latent_dim=4, width=4, seed=1)


def tiny_wgan():
    # the clipped critic: a gradient penalty draws its interpolates per replica,
    # so mirrored and single-device runs agree in distribution, not weight by weight
    from advzoo.models.wgan import WGAN

    return WGAN(latent_dim=8, width=4, seed=1, gradient_penalty=0.0, clip_value=0.05,
                n_critic=2)


BUILDERS = {"dcgan": lambda: tiny_dcgan(compile=False, width=4), "dann": tiny_dann,
            # WGAN: the clipping constraint applied by each replica's optimizer
            "wgan": tiny_wgan,
            # target entropy + diversity: the diversity term needs a cross-replica sum
            "dann_im": lambda: tiny_dann(target_entropy=0.5, target_diversity=1.0),
            # synchronised batch norm over a source + target batch
            "dann_bn": lambda: tiny_dann(batch_norm=True),
            # mean-teacher consistency (no augmentation: deterministic): the teacher
            # reads the optimizer's moving averages on every replica
            "dann_mt": lambda: tiny_dann(target_consistency=5.0, consistency_threshold=0.0),
            # counterfactual pairs: the pair term's batch statistics span the replicas
            # (research/forgetting: ForgettingStudyNet's options)
            "dann_pairs": lambda: tiny_forget(pair_weight=2.0, condition_on_label=True),
            # the class-width gap: class centres and widths span the replicas
            "dann_width": lambda: tiny_forget(width_weight=5.0, condition_on_label=True),
            "dann_width_wider": lambda: tiny_forget(width_weight=5.0, width_side="wider",
                                                    condition_on_label=True),
            "bigan": tiny_bigan, "aae": tiny_aae}


def train(strategy, rule, init, batch, steps=3, kind="dcgan"):
    with strategy.scope():
        model = BUILDERS[kind]()
        model.set_weights(init)
        # SGD, not Adam: Adam is invariant to a wrongly scaled loss, SGD is not.
        ema = {"use_ema": True, "ema_momentum": 0.5} if kind == "dann_mt" else {}
        lr = 0.01 if kind == "wgan" else 0.1  # an unbounded critic: a smaller step
        model.compile(optimizers={p.name: keras.optimizers.SGD(lr, momentum=0.5, **ema)
                                  for p in model.players()},
                      game=get_update_rule(rule))
    ds = tf.data.Dataset.from_tensor_slices(batch).batch(16)
    model.fit(ds.repeat(steps), epochs=1, verbose=0)
    return model


def main(rule, kind="dcgan"):
    keras.utils.set_random_seed(0)  # a fixed, generic init (no ReLU input sits on 0)
    devices = [d.name for d in tf.config.list_logical_devices("CPU")[:2]]
    init = BUILDERS[kind]().get_weights()
    if kind in ("dcgan", "bigan", "wgan"):
        batch = (fake_images(16, seed=2),
                 np.random.default_rng(3).standard_normal((16, 8)).astype("float32"))
    elif kind == "aae":  # explicit prior samples: every replica must see the same ones
        rng = np.random.default_rng(3)
        batch = (fake_images(16, seed=2), np.where(np.arange(16) % 2, rng.integers(0, 10, 16), -1),
                 rng.standard_normal((16, 4)).astype("float32"), rng.integers(0, 10, 16))
    elif kind == "dann_pairs":  # (images, labels, nuisance, weights, counterparts)
        rng, x = np.random.default_rng(3), fake_images(16, seed=2, shape=(12, 12, 3))
        batch = (x, rng.integers(0, 10, 16), np.arange(16) % 2, np.ones(16, "float32"),
                 np.clip(x * 0.5 + 0.3, -1, 1).astype("float32"))
    elif kind.startswith("dann_width"):  # (images, labels, nuisance): 3 classes, both sources
        rng = np.random.default_rng(3)
        batch = (fake_images(16, seed=2, shape=(12, 12, 3)), rng.integers(0, 3, 16),
                 np.arange(16) % 2)
    else:
        rng = np.random.default_rng(3)
        batch = ((fake_images(16, seed=2, shape=(12, 12, 3)), rng.integers(0, 10, 16)),
                 fake_images(16, seed=4, shape=(12, 12, 3)) * 0.5 + 0.3)
    single = train(tf.distribute.get_strategy(), rule, init, batch, kind=kind)
    multi = train(tf.distribute.MirroredStrategy(devices), rule, init, batch, kind=kind)
    moved = float(max(np.abs(a - b).max() for a, b in zip(init, single.get_weights())))
    diffs = [float(np.abs(a - b).max() / (1e-5 + np.abs(a).max()))
             for a, b in zip(single.get_weights(), multi.get_weights())]
    print(json.dumps({"moved": moved, "max_relative_difference": max(diffs),
                      "replicas": multi.distribute_strategy.num_replicas_in_sync}))


if __name__ == "__main__":
    main(json.loads(sys.argv[1]), *sys.argv[2:])
