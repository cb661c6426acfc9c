"""Label smoothing of the domain-adversarial classifier's cross-entropy."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.helpers import fake_images
from research.tests.forget_helpers import SHAPE, assert_option_saved, tiny, with_and_without


def _attribute_batch(n=32, seed=0):
    x = fake_images(n, seed=seed, shape=SHAPE)
    return x, np.arange(n) % 10, np.arange(n) % 2


def test_smoothed_cross_entropy_is_the_classification_term():
    x, y, a = _attribute_batch()
    smooth, plain = with_and_without(label_smoothing=0.2)
    batch = smooth.prepare_batch((tf.constant(x), tf.constant(y), tf.constant(a)))
    probs = np.clip(smooth.predict(x, verbose=0).astype("float64"), 1e-7, 1.0)
    targets = 0.8 * np.eye(10)[y] + 0.2 / 10
    expected = float(np.mean(-np.sum(targets * np.log(probs), -1)))
    hard = float(np.mean(-np.log(probs[np.arange(len(y)), y])))
    loss, extras = smooth.task_loss(batch, training=False)
    assert float(extras["classification_loss"]) == pytest.approx(expected, rel=1e-4)
    assert float(plain.task_loss(batch, training=False)[1]["classification_loss"]) == \
        pytest.approx(hard, rel=1e-4)
    # only the classification term changes: the adversary's loss is the same
    assert float(loss) - float(plain.task_loss(batch, training=False)[0]) == pytest.approx(
        expected - hard, rel=1e-3, abs=1e-5)
    assert float(smooth.adversary_loss(batch, training=False)[0]) == pytest.approx(
        float(plain.adversary_loss(batch, training=False)[0]), rel=1e-6)
    _, parts = smooth.joint_loss(batch, training=False)
    assert float(parts["task"][0]) == pytest.approx(float(loss), rel=1e-5)


def _fit_confidence(label_smoothing):
    x = fake_images(40, seed=3, shape=SHAPE)
    y, a = np.arange(40) % 4, np.arange(40) % 2
    keras.utils.set_random_seed(0)
    model = tiny(num_classes=4, adversary="none", label_smoothing=label_smoothing)
    model.compile(optimizers={"task": keras.optimizers.Adam(1e-2)}, game="joint")
    model.fit(tf.data.Dataset.from_tensor_slices((x, y, a)).batch(40).repeat(),
              epochs=1, steps_per_epoch=300, verbose=0)
    probs = model.predict(x, verbose=0)
    assert (probs.argmax(1) == y).mean() == 1.0  # both learn the training set
    return float(probs.max(1).mean())


def test_smoothing_stops_the_confidence_at_its_target():
    # plain cross-entropy has no finite optimum: training keeps sharpening the
    # predictions; with smoothing s the best confidence is 1 - s + s / K
    assert _fit_confidence(0.0) > 0.99
    assert _fit_confidence(0.4) == pytest.approx(1 - 0.4 + 0.4 / 4, abs=0.03)


def test_label_smoothing_is_configured_validated_and_saved(tmp_path):
    assert_option_saved(tmp_path, "label_smoothing", 0.1,
                        bad=({"label_smoothing": -0.1}, {"label_smoothing": 1.0}),
                        match=r"label_smoothing must be in \[0, 1\)")
