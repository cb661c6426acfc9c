"""Adversarial autoencoders: phases, variants, priors, evaluation helpers."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import advzoo
from advzoo.models.aae import AdversarialAutoencoder
from advzoo.models.aae.aae_presets import (cluster_accuracy, labelled_subset, mmd_to_prior,
                                           train_data)
from advzoo.recipes import read_recipe
from advzoo.registry import recipe_paths
from tests.helpers import assert_keras_roundtrip, fake_images
from tests.test_rules import _mirrored_check
from tests.harness import FamilyTestCase


def tiny(**kwargs):
    model = AdversarialAutoencoder(**{"latent_dim": 4, "width": 4, "seed": 0, **kwargs})
    model.compile(optimizers={p.name: keras.optimizers.Adam(2e-3) for p in model.players()})
    return model


def real_images(n=512):
    x, y = advzoo.data.load("fashion_mnist", "test")
    return advzoo.data.to_float(x[:n]), y[:n]


def test_regularisation_pulls_the_codes_towards_the_prior():
    """The same autoencoder trained with and without its adversarial phases:
    only the adversarial one ends with codes whose distribution is close to
    N(0, I) (MMD to prior samples), while both reconstruct."""
    x, _ = real_images()
    ds = tf.data.Dataset.from_tensor_slices(x).batch(64)
    prior = np.random.default_rng(0).standard_normal((512, 4))
    scores = {}
    for adversarial in (False, True):
        keras.utils.set_random_seed(0)
        model = tiny()
        if not adversarial:  # reconstruction phase only
            model.compile(optimizers={p.name: keras.optimizers.Adam(2e-3) for p in
                                      model.players()},
                          steps={"autoencoder": 1})
            model.players = lambda m=model: [AdversarialAutoencoder.players(m)[0]]
        model.fit(ds, epochs=12, verbose=0)
        scores[adversarial] = mmd_to_prior(model.encode(x), prior)
    assert scores[True] < 0.5 * scores[False]


def test_each_variant_trains_and_exposes_its_api():
    x, y = fake_images(32), np.arange(32) % 10
    for variant in ("unsupervised", "supervised", "semisupervised", "clustering"):
        model = tiny(variant=variant)
        labels = np.where(np.arange(32) % 4 == 0, y, -1) if variant == "semisupervised" else y
        history = model.fit(tf.data.Dataset.from_tensor_slices((x, labels)).batch(16),
                            verbose=0).history
        expected = {"autoencoder_loss", "discriminator_loss", "encoder_loss"}
        assert expected <= set(history), variant
        assert model.generate(3, seed=0).shape == (3, 28, 28, 1)
        assert model.reconstruct(x[:3], labels=y[:3]).shape == (3, 28, 28, 1)
    assert "classifier_loss" in history or variant == "clustering"
    assert model.classify(x).shape == (32, 16)  # clustering: 16 categories


def test_supervised_style_grid_shares_one_style_per_row():
    model = tiny(variant="supervised")
    z = np.repeat(np.random.default_rng(0).standard_normal((2, 4)), 10, axis=0)
    images = model.decode(z, labels=np.tile(np.arange(10), 2))
    assert images.shape == (20, 28, 28, 1)
    assert not np.allclose(images[0], images[1])  # the label changes the image


def test_mixture_prior_samples_sit_on_ten_modes():
    model = tiny(prior="mixture")
    _, z = model.sample_prior(2000)
    angles = np.round(np.degrees(np.arctan2(z[:, 1], z[:, 0])) / 36) % 10
    assert len(np.unique(angles)) == 10
    assert 3.0 < float(np.median(np.linalg.norm(z[:, :2], axis=1))) < 5.0
    with pytest.raises(ValueError, match="latent_dim must be >= 2"):
        AdversarialAutoencoder(prior="mixture", latent_dim=1)


def test_bad_input_errors():
    model = tiny(variant="supervised")
    with pytest.raises(ValueError, match="needs \\(images, labels\\)"):
        model.fit(fake_images(16), batch_size=8, verbose=0)
    with pytest.raises(ValueError, match=r"decode expects z of shape \(batch, 4\)"):
        model.decode(np.zeros((2, 3)), labels=[0, 1])
    with pytest.raises(ValueError, match="pass labels="):
        model.decode(np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 10\)"):
        model.decode(np.zeros((2, 4)), labels=[0, 12])
    with pytest.raises(ValueError, match=r"encode: expected images of shape \(batch, 28, 28, 1\)"):
        model.encode(fake_images(2, shape=(32, 32, 1)))
    with pytest.raises(ValueError, match="variant must be one of"):
        AdversarialAutoencoder(variant="vae")


def test_keras_roundtrip_with_optimizer_state(tmp_path):
    model = tiny(variant="semisupervised")
    x, y = fake_images(32), np.arange(32) % 10
    model.fit(tf.data.Dataset.from_tensor_slices((x, y)).batch(16), verbose=0)
    restored = assert_keras_roundtrip(model, tmp_path / "aae.keras", lambda m: m.classify(x))
    np.testing.assert_array_equal(model.encode(x)[1], restored.encode(x)[1])


def test_aae_mirrored_matches_single_device():
    result = _mirrored_check("alternating", kind="aae")
    assert result["replicas"] == 2 and result["moved"] > 1e-3
    assert result["max_relative_difference"] < 1e-3


def test_semisupervised_batches_carry_a_labelled_minibatch():
    recipe = read_recipe(recipe_paths()["aae_semisupervised_fashion_mnist"])
    recipe["train"]["batch_size"] = 50
    ds, steps = train_data(recipe)
    x, y = next(iter(ds))
    assert x.shape[0] == 70 and int(np.sum(y.numpy() >= 0)) == 20
    _, labels = advzoo.data.load("fashion_mnist", "train")
    keep = labelled_subset(labels, 100)
    assert len(keep) == 100 and np.all(np.bincount(labels[keep]) == 10)
    with pytest.raises(ValueError, match="multiple of the 10 classes"):
        labelled_subset(labels, 15)


def test_cluster_accuracy_uses_the_majority_label():
    labels = np.array([0, 0, 1, 1, 1, 2])
    assert cluster_accuracy(np.array([5, 5, 5, 7, 7, 7]), labels) == pytest.approx(4 / 6)
    assert cluster_accuracy(np.arange(6), labels) == 1.0


def test_aae_hypermodel_objective_follows_the_variant(tmp_path):
    import keras_tuner as kt

    from advzoo.tuning import hypermodel_for

    x, y = real_images(64)
    semi = hypermodel_for("aae", validation_data=(x, y), variant="semisupervised")
    assert semi.objective.name == "validation_accuracy" and semi.objective.direction == "max"
    hypermodel = hypermodel_for("aae", validation_data=(x, y))
    assert hypermodel.objective.name == "mmd_to_prior" and hypermodel.objective.direction == "min"
    tuner = kt.RandomSearch(hypermodel, objective=hypermodel.objective, max_trials=2, seed=0,
                            directory=str(tmp_path), project_name="aae")
    tuner.search(tf.data.Dataset.from_tensor_slices(x).batch(32), epochs=1, verbose=0)
    scores = [t.score for t in tuner.oracle.get_best_trials(2)]
    assert len(scores) == 2 and scores == sorted(scores) and all(s >= 0 for s in scores)


class TestAAEFamily(FamilyTestCase):
    family = "aae"
    mirrored_kind = "aae"
    presets = ("aae_fashion_mnist", "aae_semisupervised_fashion_mnist")

    def make_model(self):
        return AdversarialAutoencoder(variant="semisupervised", latent_dim=4, width=4, seed=0)

    def train_data(self):
        labels = np.where(np.arange(16) % 2, np.arange(16) % 10, -1)
        return tf.data.Dataset.from_tensor_slices((fake_images(16), labels)).batch(8)

    def continue_data(self):  # explicit prior samples and labels
        rng = np.random.default_rng(3)
        batch = (fake_images(8, seed=2), np.where(np.arange(8) % 2, rng.integers(0, 10, 8), -1),
                 rng.standard_normal((8, 4)).astype("float32"), rng.integers(0, 10, 8))
        return tf.data.Dataset.from_tensors(batch)

    def outputs(self, model):
        code = model.encode(fake_images(4, seed=3))
        return np.concatenate([np.asarray(c).reshape(4, -1) for c in code], -1) \
            if isinstance(code, tuple) else code
