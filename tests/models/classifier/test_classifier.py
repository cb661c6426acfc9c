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
