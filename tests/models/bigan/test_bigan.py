"""BiGAN: the three networks, the game, the inverse map, the ImageNet entry."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import advzoo
from advzoo.models.bigan import BiGAN
from advzoo.recipes import read_recipe
from advzoo.registry import recipe_paths
from tests.helpers import adam, assert_keras_roundtrip, fake_images
from tests.test_rules import _mirrored_check
from tests.harness import GANFamilyTestCase


def tiny(**kwargs):
    model = BiGAN(**{"latent_dim": 8, "width": 4, "seed": 1, **kwargs})
    model.compile(optimizers={"generator": adam(), "discriminator": adam()})
    return model


def test_each_player_lowers_its_own_loss():
    """A few steps of one player alone lower that player's loss on a fixed batch
    (losses point the right way and move the right variables)."""
    model = tiny()
    x = fake_images(32)
    z = np.random.default_rng(0).standard_normal((32, 8)).astype("float32")
    batch = model.prepare_batch((tf.constant(x), tf.constant(z)))
    players = {p.name: p for p in model.players()}
    for name in ("discriminator", "generator"):
        player = players[name]
        before = float(model.player_loss(player, batch, training=False)[0])
        for _ in range(15):
            model.take_step(player, batch)
        after = float(model.player_loss(player, batch, training=False)[0])
        assert after < before, name
    assert {v.path for v in players["generator"].trainable_variables} >= {
        v.path for v in model.encoder.trainable_variables}


def test_encode_decode_reconstruct_shapes_and_errors():
    model = tiny()
    x = fake_images(5)
    assert model.encode(x).shape == (5, 8)
    assert model.decode(np.zeros((3, 8))).shape == (3, 28, 28, 1)
    assert model.reconstruct(x).shape == x.shape
    with pytest.raises(ValueError, match=r"encode: expected images of shape \(batch, 28, 28, 1\)"):
        model.encode(fake_images(2, shape=(32, 32, 1)))
    with pytest.raises(TypeError, match="to_float"):
        model.encode(np.zeros((2, 28, 28, 1), np.uint8))
    with pytest.raises(ValueError, match=r"latents of shape \(batch, 8\)"):
        model.decode(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="architecture must be one of"):
        BiGAN(architecture="vgg")


def test_keras_roundtrip_with_optimizer_state(tmp_path):
    model = tiny()
    model.fit(tf.data.Dataset.from_tensor_slices(fake_images(32)).batch(16), epochs=1, verbose=0)
    x = fake_images(4, seed=3)
    restored = assert_keras_roundtrip(model, tmp_path / "bigan.keras", lambda m: m.encode(x))
    np.testing.assert_array_equal(model.reconstruct(x), restored.reconstruct(x))


def test_bigan_mirrored_matches_single_device():
    result = _mirrored_check("alternating", kind="bigan")
    assert result["replicas"] == 2 and result["moved"] > 1e-3
    assert result["max_relative_difference"] < 1e-3


def test_bigan_imagenet_builds_without_weights_and_refuses_to_pretend():
    with pytest.raises(advzoo.presets.NoPretrainedWeights, match="No pretrained weights"):
        advzoo.load("bigan_imagenet")
    info = advzoo.info("bigan_imagenet")
    assert info["recipe"]["data"]["dataset"] == "imagenet2012"


def test_bigan_imagenet_trains_two_steps_on_synthetic_64px_images():
    recipe = read_recipe(recipe_paths()["bigan_imagenet"])
    recipe["model"]["image_shape"] = [64, 64, 3]
    from advzoo.training import build_model

    keras.utils.set_random_seed(0)
    model = build_model(recipe)
    assert model.architecture == "imagenet" and model.encoder.output_shape == (None, 200)
    before = [w.copy() for w in model.encoder.get_weights()]
    images = fake_images(8, shape=(64, 64, 3))
    model.fit(tf.data.Dataset.from_tensor_slices(images).batch(4), epochs=1, verbose=0)
    assert int(model.generator_optimizer.iterations.numpy()) == 2
    assert any(np.abs(a - b).max() > 0 for a, b in zip(before, model.encoder.get_weights()))
    assert model.generate(2, seed=0).shape == (2, 64, 64, 3)


def test_missing_imagenet_gives_manual_download_instructions(tmp_path):
    from advzoo.models.bigan.bigan_presets import train_data

    recipe = read_recipe(recipe_paths()["bigan_imagenet"])
    recipe["data"]["manual_dir"] = str(tmp_path)
    with pytest.raises(FileNotFoundError, match="manual_dir"):
        train_data(recipe)


def test_bigan_hypermodel_builds_compiled_models():
    import keras_tuner as kt

    from advzoo.tuning import hypermodel_for

    hypermodel = hypermodel_for("bigan", n_eval_samples=100)
    assert hypermodel.objective.name == "classifier_fid"
    hp = kt.HyperParameters()
    hp.Fixed("width", 16)
    model = hypermodel.build(hp)
    assert isinstance(model, BiGAN) and model.compiled and model.width == 16
    assert {"generator_lr", "discriminator_lr", "discriminator_dropout"} <= set(hp.values)


class TestBiGANFamily(GANFamilyTestCase):
    family = "bigan"
    mirrored_kind = "bigan"
    presets = ("bigan_fashion_mnist", "bigan_imagenet")

    def make_model(self):
        return BiGAN(latent_dim=8, width=4, seed=1)

    def deterministic_model(self):
        return BiGAN(latent_dim=8, width=4, seed=1, discriminator_dropout=0.0)

    def outputs(self, model):
        return model.encode(fake_images(4, seed=3))
