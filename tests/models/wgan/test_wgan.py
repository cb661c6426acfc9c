import keras
import numpy as np
import pytest
import tensorflow as tf

from advzoo.games.penalties import ClipConstraint, gradient_penalty, r1_penalty
from advzoo.models.wgan import WGAN
from tests.helpers import assert_keras_roundtrip, fake_images
from tests.harness import GANFamilyTestCase


def _linear_critic(slope):
    """D(x) = slope * sum(x): its input gradient has norm |slope| * sqrt(dim)."""
    inputs = keras.Input((2, 2, 1))
    out = keras.layers.Dense(1, use_bias=False, kernel_initializer=keras.initializers.Constant(slope))(
        keras.layers.Flatten()(inputs))
    return keras.Model(inputs, out)


def test_gradient_penalty_matches_closed_form():
    real, fake = tf.ones((4, 2, 2, 1)), tf.zeros((4, 2, 2, 1))
    # ||grad|| = 0.25 * 2 = 0.5 -> (0.5 - 1)^2 = 0.25 (two-sided), 0 (one-sided)
    np.testing.assert_allclose(gradient_penalty(_linear_critic(0.25), real, fake), 0.25, rtol=1e-5)
    np.testing.assert_allclose(gradient_penalty(_linear_critic(0.25), real, fake, one_sided=True), 0.0)
    # ||grad|| = 1.5 * 2 = 3 -> 4 either way
    np.testing.assert_allclose(gradient_penalty(_linear_critic(1.5), real, fake, one_sided=True), 4.0, rtol=1e-5)
    np.testing.assert_allclose(r1_penalty(_linear_critic(1.5), real), 9.0, rtol=1e-5)


def test_clipping_keeps_every_critic_weight_in_range():
    model = WGAN(latent_dim=8, width=4, n_critic=2, clip_value=0.01, gradient_penalty=0.0, seed=0)
    model.compile(optimizers={"generator": keras.optimizers.RMSprop(1e-2),
                              "discriminator": keras.optimizers.RMSprop(1e-2)})
    model.fit(fake_images(32), batch_size=16, epochs=2, verbose=0)
    for w in model.discriminator.trainable_weights:
        assert np.abs(w.numpy()).max() <= 0.01 + 1e-7
    assert isinstance(model.discriminator.layers[1].kernel_constraint, ClipConstraint)


def test_critic_learns_to_separate_and_estimate_grows():
    model = WGAN(latent_dim=8, width=8, n_critic=5, gradient_penalty=10.0, seed=0)
    model.compile(optimizers={"generator": keras.optimizers.SGD(0.0),
                              "discriminator": keras.optimizers.Adam(1e-3, beta_1=0.5, beta_2=0.9)})
    real = np.full((64, 28, 28, 1), 0.8, "float32")
    history = model.fit(real, batch_size=32, epochs=6, verbose=0).history
    assert history["wasserstein_estimate"][-1] > history["wasserstein_estimate"][0] + 0.1


def test_split_batches_gives_each_critic_step_its_own_chunk():
    model = WGAN(latent_dim=8, width=4, n_critic=5, seed=0)
    model.compile(optimizers={"generator": "adam", "discriminator": "adam"},
                  game={"name": "alternating", "config": {"split_batches": True}})
    model.fit(fake_images(20), batch_size=10, epochs=1, verbose=0)
    assert int(model.discriminator_optimizer.iterations) == 10
    with pytest.raises(ValueError, match="divisible by 5"):
        model.fit(fake_images(8), batch_size=8, epochs=1, verbose=0)


def test_wgan_keras_roundtrip(tmp_path):
    model = WGAN(latent_dim=8, width=4, n_critic=2, clip_value=0.05, gradient_penalty=1.0, seed=0)
    model.compile(optimizers={"generator": "rmsprop", "discriminator": "rmsprop"})
    model.fit(fake_images(16), batch_size=8, epochs=1, verbose=0)
    restored = assert_keras_roundtrip(model, tmp_path / "w.keras", lambda m: m.generate(3, seed=0))
    assert restored.discriminator.layers[1].kernel_constraint.clip_value == 0.05


def test_batch_norm_critic_is_clipped_roundtrips_and_refuses_gradient_penalty(tmp_path):
    model = WGAN(latent_dim=8, width=4, n_critic=2, clip_value=0.01, gradient_penalty=0.0,
                 critic_batch_norm=True, seed=0)
    model.compile(optimizers={"generator": keras.optimizers.RMSprop(1e-2),
                              "discriminator": keras.optimizers.RMSprop(1e-2)})
    bn = [layer for layer in model.discriminator.layers
          if isinstance(layer, keras.layers.BatchNormalization)]
    assert len(bn) == 1
    moving_before = bn[0].moving_mean.numpy().copy()
    model.fit(fake_images(32), batch_size=16, epochs=2, verbose=0)
    # clipping bounds the scale and offset too, as in the original WGAN code
    for w in model.discriminator.trainable_weights:
        assert np.abs(w.numpy()).max() <= 0.01 + 1e-7
    assert not np.allclose(bn[0].moving_mean.numpy(), moving_before)  # statistics are tracked
    restored = assert_keras_roundtrip(model, tmp_path / "bn.keras", lambda m: m.generate(3, seed=0))
    assert restored.critic_batch_norm
    with pytest.raises(ValueError, match="critic_batch_norm=True cannot be combined"):
        WGAN(latent_dim=8, width=4, critic_batch_norm=True, gradient_penalty=10.0)


class TestWGANFamily(GANFamilyTestCase):
    family = "wgan"
    mirrored_kind = "wgan"  # the clipped critic (see tests/mirrored_check.py)
    presets = ("wgan_fashion_mnist", "wgan_gp_fashion_mnist")

    def make_model(self):
        return WGAN(latent_dim=8, width=4, seed=1, n_critic=2)

    def deterministic_model(self):  # clipping: no random interpolates
        return WGAN(latent_dim=8, width=4, seed=1, n_critic=2, gradient_penalty=0.0,
                    clip_value=0.01)
