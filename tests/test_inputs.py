"""Every public entry point checks its input before touching the model, with
one wording across families: a wrong call is a clear error and the model
still answers correct calls exactly as before."""

import numpy as np
import pytest

from advzoo.models.aae import AdversarialAutoencoder
from advzoo.models.bigan import BiGAN
from advzoo.models.classifier import FeatureClassifier
from advzoo.models.dann import DomainAdversarialNet
from advzoo.models.triplet import TripletEmbedder
from tests.helpers import fake_images, tiny_dcgan

GREY = (28, 28, 1)


def _entry_points():
    """(name, model, method, good input) for every family's image methods."""
    dann = DomainAdversarialNet(image_shape=(28, 28, 3), width=4, feature_dim=8, hidden=8)
    triplet = TripletEmbedder(width=4, hidden=16, embedding_dim=8)
    clf = FeatureClassifier(width=4, feature_dim=8)
    bigan = BiGAN(latent_dim=8, width=4, seed=1)
    aae = AdversarialAutoencoder(latent_dim=4, width=4, seed=0)
    unit = np.random.default_rng(0).uniform(0, 1, (3, *GREY)).astype("float32")
    return [("dann.features", dann, dann.features, fake_images(3, shape=(28, 28, 3))),
            ("dann.predict", dann, dann.predict, fake_images(3, shape=(28, 28, 3))),
            ("triplet.embed", triplet, triplet.embed, unit),
            ("triplet.predict", triplet, triplet.predict, unit),
            ("classifier.features", clf, clf.features, fake_images(3)),
            ("classifier.predict", clf, clf.predict, fake_images(3)),
            ("bigan.encode", bigan, bigan.encode, fake_images(3)),
            ("aae.encode", aae, aae.encode, fake_images(3))]


def _bad_inputs(good):
    grey_like = good[..., :1] if good.shape[-1] == 3 else np.repeat(good, 3, -1)
    nan = good.copy()
    nan[0, 0, 0, 0] = np.nan
    return {"no channel axis": (good[..., 0], ValueError, r"images\[\.\.\., None\]|shape"),
            "other channels": (grey_like, ValueError, "expected images of shape"),
            "other size": (good[:, :20, :20], ValueError, "expected images of shape"),
            "uint8": ((good * 100).astype("uint8"), TypeError, "convert with"),
            "0-255 floats": (good * 255 + 100, ValueError, "0-255 images"),
            "NaN": (nan, ValueError, "NaN"),
            "empty": (good[:0], ValueError, "empty batch"),
            "strings": (np.array([["a"]]), TypeError, "numeric images"),
            "bools": (good > 0, TypeError, "numeric images")}


@pytest.mark.parametrize("index", range(8))
def test_every_entry_point_refuses_its_neighbours_inputs_and_keeps_working(index):
    name, model, method, good = _entry_points()[index]
    before = np.asarray(method(good))
    weights = [w.numpy().copy() for w in model.weights]
    for case, (bad, error, match) in _bad_inputs(good).items():
        with pytest.raises(error, match=match):
            method(bad)
    np.testing.assert_array_equal(np.asarray(method(good)), before)  # not broken by them
    for a, b in zip(weights, model.weights):
        np.testing.assert_array_equal(a, b.numpy())


def test_a_triplet_call_without_the_channel_axis_no_longer_breaks_the_model():
    model = TripletEmbedder(width=4, hidden=16, embedding_dim=8)
    x = np.random.default_rng(0).uniform(0, 1, (4, 28, 28)).astype("float32")
    with pytest.raises(ValueError, match=r"add the channel axis with `images\[\.\.\., None\]`"):
        model.embed(x)
    assert model.embed(x[..., None]).shape == (4, 8)


def test_dann_predict_and_features_say_the_same_about_grey_images():
    model = DomainAdversarialNet(image_shape=(28, 28, 3), width=4, feature_dim=8, hidden=8)
    grey = fake_images(2)
    for method in (model.predict, model.features):
        with pytest.raises(ValueError, match=r"advzoo\.data\.to_rgb"):
            method(grey)


@pytest.mark.parametrize("n", [2.5, "3", True, 0, -1, None, 3.0])
def test_generate_takes_only_a_positive_integer(n):
    dcgan = tiny_dcgan()
    aae = AdversarialAutoencoder(latent_dim=4, width=4, seed=0)
    for model in (dcgan, aae):
        with pytest.raises(ValueError, match="n must be a positive integer"):
            model.generate(n)
    assert dcgan.generate(np.int64(2), seed=0).shape == (2, 28, 28, 1)


def test_fit_refuses_nan_empty_and_0_255_arrays_before_touching_the_weights():
    from advzoo.data import make_dataset

    model = tiny_dcgan()
    weights = [w.numpy().copy() for w in model.weights]
    images = fake_images(16)
    images[5, 3, 3, 0] = np.nan  # one NaN pixel used to turn every weight into NaN
    with pytest.raises(ValueError, match="NaN or inf values \\(first in example 5\\).*unchanged"):
        model.fit(images, batch_size=8, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="empty array"):
        model.fit(fake_images(16)[:0], batch_size=8, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="0-255 images"):
        model.fit((fake_images(16) + 1) * 127.5, batch_size=8, epochs=1, verbose=0)
    for a, b in zip(weights, model.weights):
        np.testing.assert_array_equal(a, b.numpy())
    with pytest.raises(ValueError, match="make_dataset: got no images"):
        make_dataset(np.zeros((0, 28, 28), "uint8"))
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        make_dataset(np.zeros((4, 28, 28), "uint8"), batch_size=2.5)


@pytest.mark.slow
def test_random_inputs_to_every_entry_point_are_clear_errors_or_answers():
    """The longer fuzz: 60 random inputs per entry point (random ranks,
    shapes, dtypes, scales, NaNs); each is answered or refused with a
    ValueError/TypeError, and the model is unchanged."""
    rng = np.random.default_rng(0)
    for name, model, method, good in _entry_points():
        weights = [w.numpy().copy() for w in model.weights]
        for _ in range(60):
            ndim = int(rng.integers(1, 6))
            shape = [int(rng.integers(0, 4))] + [int(rng.choice([1, 3, 20, 28])) for _ in
                                                 range(ndim - 1)]
            dtype = rng.choice(["float32", "float64", "uint8", "int32", "bool", "float16"])
            x = (rng.standard_normal(shape) * rng.choice([0.5, 1, 300])).astype(dtype)
            if x.size and dtype.startswith("float") and rng.random() < 0.3:
                x.flat[0] = np.nan
            try:
                method(x)
            except (ValueError, TypeError):
                pass
        for a, b in zip(weights, model.weights):
            np.testing.assert_array_equal(a, b.numpy(), err_msg=name)
        method(good)  # still answers


def test_a_non_finite_batch_in_a_dataset_stops_fit_and_keeps_the_pre_step_state():
    import tensorflow as tf

    from tests.helpers import optimizer_states

    model = tiny_dcgan()
    clean = fake_images(16, seed=1)
    model.fit(tf.data.Dataset.from_tensor_slices(clean).batch(8), epochs=1, verbose=0)
    weights = [w.numpy().copy() for w in model.weights]
    states = optimizer_states(model)
    poisoned = fake_images(16, seed=2)
    poisoned[9, 0, 0, 0] = np.nan  # in the second batch
    data = tf.data.Dataset.from_tensor_slices(poisoned).batch(8)
    with pytest.raises(FloatingPointError, match="batch 1 of epoch 1 gave a non-finite"):
        model.fit(data, epochs=3, verbose=0)
    after = optimizer_states(model)
    # batch 0 trained both players; in batch 1 the discriminator's update (NaN loss) was not
    # applied, the generator's (finite: it never sees the NaN image) was; nothing ran after it
    assert int(model.discriminator_optimizer.iterations) == int(states["discriminator/0"]) + 1
    assert int(model.generator_optimizer.iterations) == int(states["generator/0"]) + 2
    assert all(np.all(np.isfinite(w.numpy())) for w in model.weights)
    assert all(np.all(np.isfinite(v)) for v in after.values())
    model.fit(tf.data.Dataset.from_tensor_slices(clean).batch(8), epochs=1, verbose=0)  # usable
    assert weights  # (the state before the poisoned epoch was a valid model too)


def test_a_skipped_update_leaves_that_players_weights_and_optimizer_state_exactly():
    import tensorflow as tf

    from tests.helpers import optimizer_states

    model = tiny_dcgan()
    model.fit(tf.data.Dataset.from_tensor_slices(fake_images(8)).batch(8), epochs=1, verbose=0)
    d_weights = [w.numpy().copy() for w in model.discriminator.weights]
    d_state = {k: v for k, v in optimizer_states(model).items() if k.startswith("discriminator")}
    nan = fake_images(8)
    nan[0, 0, 0, 0] = np.nan
    model.train_on_batch(tf.constant(nan))
    for a, b in zip(d_weights, model.discriminator.weights):
        np.testing.assert_array_equal(a, b.numpy())
    after = {k: v for k, v in optimizer_states(model).items() if k.startswith("discriminator")}
    for key in d_state:
        np.testing.assert_array_equal(d_state[key], after[key], err_msg=key)
