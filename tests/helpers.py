"""Shared test helpers: tiny models and round-trip / equivalence assertions."""

import keras
import numpy as np


# A tiny registered-recipe DCGAN (tests register it in a temporary config dir).
TINY = {"name": "tiny_dcgan", "family": "dcgan", "description": "test preset",
        "model": {"latent_dim": 8, "width": 4, "seed": 1},
        "compile": {"optimizers": {
            "generator": {"class_name": "Adam", "config": {"learning_rate": 0.001}},
            "discriminator": {"class_name": "Adam", "config": {"learning_rate": 0.001}}}},
        "train": {"batch_size": 8, "epochs": 1}}


def adam():
    return keras.optimizers.Adam(1e-3, beta_1=0.5)


def tiny_dcgan(compile=True, **kwargs):
    from advzoo.models.dcgan import DCGAN

    kwargs = {"latent_dim": 8, "width": 4, "seed": 1, **kwargs}
    model = DCGAN(**kwargs)
    if compile:
        model.compile(optimizers={"generator": adam(), "discriminator": adam()})
    return model


def fake_images(n=32, seed=0, shape=(28, 28, 1)):
    return np.random.default_rng(seed).uniform(-1, 1, (n, *shape)).astype("float32")


def optimizer_states(model):
    return {f"{p.name}/{i}": v.numpy().copy()
            for p in model.players() for i, v in enumerate(model.optimizer_for(p).variables)}


def assert_same_arrays(a, b, atol=0.0):
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_allclose(a[key], b[key], atol=atol, err_msg=key)


def assert_keras_roundtrip(model, path, outputs_fn):
    """Saves `model` as .keras, loads it back and checks that `outputs_fn`
    (model -> array) and every optimizer's state are identical."""
    model.save(path)
    restored = keras.saving.load_model(path)
    np.testing.assert_array_equal(outputs_fn(model), outputs_fn(restored))
    assert_same_arrays(optimizer_states(model), optimizer_states(restored))
    assert restored.get_config() == model.get_config()
    return restored
