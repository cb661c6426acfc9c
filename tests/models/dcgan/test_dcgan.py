import keras
import numpy as np
import pytest

from tests.helpers import assert_keras_roundtrip, fake_images, optimizer_states, tiny_dcgan
from tests.harness import GANFamilyTestCase


def test_generate_shape_range_and_determinism():
    model = tiny_dcgan()
    a, b, c = model.generate(5, seed=3), model.generate(5, seed=3), model.generate(5, seed=4)
    assert a.shape == (5, 28, 28, 1) and a.dtype == np.float32
    assert a.min() >= -1 and a.max() <= 1
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    with pytest.raises(ValueError, match="positive"):
        model.generate(0)


def test_discriminator_learns_when_generator_is_frozen():
    model = tiny_dcgan(compile=False, width=8)
    model.compile(optimizers={"generator": keras.optimizers.SGD(0.0),
                              "discriminator": keras.optimizers.Adam(2e-3)})
    real = np.tile(fake_images(1), (64, 1, 1, 1)) * 0 + 0.8  # a constant bright image
    history = model.fit(real, batch_size=32, epochs=15, verbose=0).history
    assert history["discriminator_loss"][-1] < 0.5 * history["discriminator_loss"][0]
    assert history["real_accuracy"][-1] == 1.0 and history["fake_accuracy"][-1] == 1.0
    # ... and the generator's loss rises as the discriminator wins.
    assert history["generator_loss"][-1] > history["generator_loss"][0]


def test_generator_loss_falls_when_discriminator_is_frozen():
    model = tiny_dcgan(compile=False, width=8)
    model.compile(optimizers={"generator": keras.optimizers.Adam(5e-3),
                              "discriminator": keras.optimizers.SGD(0.0)})
    history = model.fit(fake_images(64), batch_size=32, epochs=10, verbose=0).history
    assert history["generator_loss"][-1] < history["generator_loss"][0]


def test_keras_roundtrip_restores_outputs_and_both_optimizers(tmp_path):
    model = tiny_dcgan()
    model.fit(fake_images(16), batch_size=8, epochs=1, verbose=0)
    restored = assert_keras_roundtrip(model, tmp_path / "m.keras", lambda m: m.generate(4, seed=0))
    assert int(restored.generator_optimizer.iterations) == 2
    # Training continues identically from the restored state.
    batch = (fake_images(8, seed=5), np.ones((8, 8), "float32"))
    model.train_on_batch(*batch)
    restored.train_on_batch(*batch)
    np.testing.assert_allclose(model.generate(2, seed=1), restored.generate(2, seed=1), atol=1e-6)


def test_weights_file_holds_optimizer_state(tmp_path):
    model = tiny_dcgan()
    model.fit(fake_images(16), batch_size=8, epochs=1, verbose=0)
    model.save_weights(tmp_path / "w.weights.h5")
    other = tiny_dcgan()
    other.load_weights(tmp_path / "w.weights.h5")
    for a, b in zip(optimizer_states(model).values(), optimizer_states(other).values()):
        np.testing.assert_array_equal(a, b)


def test_config_roundtrip_keeps_every_argument():
    model = tiny_dcgan(label_smoothing=0.1, discriminator_dropout=0.2, n_critic=2)
    config = model.get_config()
    for key, value in {"latent_dim": 8, "width": 4, "label_smoothing": 0.1,
                       "discriminator_dropout": 0.2, "n_critic": 2, "seed": 1}.items():
        assert config[key] == value
    assert type(model).from_config(config).get_config() == config


@pytest.mark.parametrize("images, error, match", [
    (fake_images(8, shape=(32, 32, 1)), ValueError, r"shape \(batch, 28, 28, 1\)"),
    (fake_images(8, shape=(28, 28, 3)), ValueError, "image_shape"),
    ((fake_images(8) * 127).astype("uint8"), TypeError, "to_float"),
])
def test_bad_images_in_fit_get_clear_errors(images, error, match):
    with pytest.raises(error, match=match):
        tiny_dcgan().fit(images, batch_size=8, epochs=1, verbose=0)


def test_bad_image_shape_at_construction():
    with pytest.raises(ValueError, match="multiples of 4"):
        tiny_dcgan(image_shape=(30, 30, 1))


class TestDCGANFamily(GANFamilyTestCase):
    family = "dcgan"
    mirrored_kind = "dcgan"
    presets = ("dcgan_fashion_mnist",)

    def make_model(self):
        return tiny_dcgan(compile=False)
