"""The evaluator family: a plain `keras.Model` classifier (not a game)."""

import keras
import numpy as np
import tensorflow as tf

from advzoo.models.classifier import FeatureClassifier
from tests.harness import FamilyTestCase
from tests.helpers import fake_images


class TestClassifierFamily(FamilyTestCase):
    family = "classifier"
    mirrored_kind = None  # compile(loss=...) and fit: Keras's own distributed path
    presets = ("fashion_mnist_classifier",)

    def make_model(self):
        return FeatureClassifier(width=4, feature_dim=8)

    def deterministic_model(self):
        return FeatureClassifier(width=4, feature_dim=8, dropout=0.0)

    def compile_model(self, model):
        model.compile(optimizer=keras.optimizers.Adam(1e-3),
                      loss=keras.losses.SparseCategoricalCrossentropy())

    def train_data(self):
        labels = np.arange(16) % 10
        return tf.data.Dataset.from_tensor_slices((fake_images(16), labels)).batch(8)

    def outputs(self, model):
        return model.predict(fake_images(4, seed=3), verbose=0)


def test_features_are_the_penultimate_layer():
    model = FeatureClassifier(width=4, feature_dim=8)
    x = fake_images(3)
    features = model.features(x)
    assert features.shape == (3, 8)
    np.testing.assert_allclose(model.head.predict(features, verbose=0),
                               model.predict(x, verbose=0), atol=1e-5)


def test_a_non_finite_batch_stops_fit_with_the_pre_batch_state():
    import pytest

    model = FeatureClassifier(width=4, feature_dim=8)
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy())
    labels = np.arange(16) % 10
    model.fit(fake_images(16), labels, batch_size=8, epochs=1, verbose=0)
    before = [v.numpy().copy() for v in model.weights + model.optimizer.variables]
    images = fake_images(16, seed=4)
    images[3, 0, 0, 0] = np.nan
    data = tf.data.Dataset.from_tensor_slices((images, labels)).batch(8)
    with pytest.raises(FloatingPointError, match="batch 0 of epoch 1"):
        model.fit(data, epochs=2, verbose=0)
    for a, b in zip(before, model.weights + model.optimizer.variables):
        np.testing.assert_array_equal(a, b.numpy())
    with pytest.raises(ValueError, match="NaN or inf values"):  # arrays: refused up front
        model.fit(images, labels, batch_size=8, epochs=1, verbose=0)
