"""The tiny models, batches and 3-step training shared by the distributed
equivalence checks: `tests/mirrored_check.py` (2 logical CPUs in one
process) and `tests/multiworker_check.py` (2 worker processes).

Kinds: dcgan, dann, dann_im, dann_bn, dann_mt, dann_pairs, dann_width,
dann_width_wider, bigan, aae, wgan, and the penalties and samplers:
wgan_gp (two-sided gradient penalty), wgan_gp_one_sided, dcgan_r1 (an R1
penalty on the discriminator), dcgan_sampled and aae_sampled (latents and
prior samples drawn by the model, not passed in), and classifier (the
classifier family: Keras's own compiled train_step). (`dann`: a tiny
DomainAdversarialNet on a domain-adaptation batch; `dann_im`: the same with
target entropy and diversity terms; `dann_bn`: with batch norm; `dann_mt`:
with a mean teacher, the optimizers averaging the weights; `dann_pairs`:
attribute batches with counterparts and `pair_weight` (research/forgetting);
`dann_width`: attribute batches and `width_weight`; `dann_width_wider`: the
same with `width_side="wider"`.)
"""

import keras
import numpy as np
import tensorflow as tf

from advzoo.games import get_update_rule
from tests.helpers import fake_images, tiny_dcgan


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


def tiny_wgan(**kwargs):
    from advzoo.models.wgan import WGAN

    kwargs = {"gradient_penalty": 0.0, "clip_value": 0.05, **kwargs}
    return WGAN(latent_dim=8, width=4, seed=1, n_critic=2, **kwargs)


def tiny_classifier():
    from advzoo.models.classifier import FeatureClassifier

    # no dropout: its masks are drawn per replica, as Keras's Dropout does
    return FeatureClassifier(image_shape=(28, 28, 1), width=4, feature_dim=8, dropout=0.0)


def tiny_dcgan_r1():
    """A tiny DCGAN whose discriminator also pays an R1 penalty (Mescheder et
    al. 2018) on the real batch."""
    from advzoo.games.penalties import r1_penalty
    from advzoo.models.dcgan import DCGAN

    class R1DCGAN(DCGAN):
        def discriminator_loss(self, data, training=True):
            loss, extras = super().discriminator_loss(data, training)
            return loss + 5.0 * self.replica_mean(r1_penalty(self.discriminator, data[0],
                                                             training)), extras

    return R1DCGAN(latent_dim=8, width=4, seed=1)


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
            "bigan": tiny_bigan, "aae": tiny_aae,
            # the gradient penalty's interpolates: one global draw, sliced per replica
            "wgan_gp": lambda: tiny_wgan(gradient_penalty=10.0, clip_value=None),
            "wgan_gp_one_sided": lambda: tiny_wgan(gradient_penalty=10.0, clip_value=None,
                                                   one_sided=True),
            "dcgan_r1": tiny_dcgan_r1,
            # latents / prior samples drawn inside the step, not passed in
            "dcgan_sampled": lambda: tiny_dcgan(compile=False, width=4),
            "aae_sampled": tiny_aae,
            # the classifier family: compile(loss=...) and Keras's own train_step
            "classifier": tiny_classifier}


def train(strategy, rule, init, batch, steps=3, kind="dcgan"):
    with strategy.scope():
        model = BUILDERS[kind]()
        model.set_weights(init)
        # SGD, not Adam: Adam is invariant to a wrongly scaled loss, SGD is not.
        ema = {"use_ema": True, "ema_momentum": 0.5} if kind == "dann_mt" else {}
        lr = 0.01 if kind.startswith("wgan") else 0.1  # an unbounded critic: a smaller step
        if kind == "classifier":
            model.compile(optimizer=keras.optimizers.SGD(lr, momentum=0.5),
                          loss="sparse_categorical_crossentropy")
        else:
            model.compile(optimizers={p.name: keras.optimizers.SGD(lr, momentum=0.5, **ema)
                                      for p in model.players()},
                          game=get_update_rule(rule))
    ds = tf.data.Dataset.from_tensor_slices(batch).batch(16)
    options = tf.data.Options()  # each worker keeps its share of every global batch
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    ds = ds.with_options(options)
    model.fit(ds.repeat(steps), epochs=1, verbose=0)
    return model


def make_batch(kind):
    """The 16-example batch of `kind` (3 steps of training repeat it)."""
    if kind == "classifier":
        batch = (fake_images(16, seed=2), np.arange(16) % 10)
    elif kind in ("dcgan_sampled", "aae_sampled"):  # the model draws z itself
        batch = fake_images(16, seed=2)
        if kind == "aae_sampled":
            batch = (batch, np.where(np.arange(16) % 2, np.arange(16) % 10, -1))
    elif kind in ("dcgan", "bigan", "wgan", "wgan_gp", "wgan_gp_one_sided", "dcgan_r1"):
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
    return batch


def initial_weights(kind):
    keras.utils.set_random_seed(0)  # a fixed, generic init (no ReLU input sits on 0)
    return BUILDERS[kind]().get_weights()
