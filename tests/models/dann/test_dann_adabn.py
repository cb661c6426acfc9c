"""AdaBN: batch-norm statistics re-estimated on a new domain."""

import keras
import numpy as np
import pytest

from advzoo.models.dann import (DomainAdversarialNet, adapt_batch_norm, batch_norm_adapted,
                                restore_batch_norm)
from advzoo.models.dann.dann_adabn import batch_norm_layers, batch_norm_state


def _dense_bn():
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(4),
                             keras.layers.BatchNormalization()])


def test_statistics_are_the_average_over_batches_of_the_new_images():
    model = _dense_bn()
    x = np.random.default_rng(0).normal(2.0, 3.0, (60, 3)).astype("float32")
    adapt_batch_norm(model, x, batch_size=20)
    h = np.asarray(model.layers[0](x)).reshape(3, 20, 4)  # the BN input, batch by batch
    bn = model.layers[1]
    np.testing.assert_allclose(np.asarray(bn.moving_mean), h.mean(1).mean(0), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(bn.moving_variance), h.var(1).mean(0), rtol=1e-4)
    assert bn.momentum == 0.99  # put back


def _dann_bn():
    keras.utils.set_random_seed(1)
    return DomainAdversarialNet(image_shape=(8, 8, 3), width=4, feature_dim=8, hidden=8,
                                batch_norm=True)


def test_adapted_network_predicts_a_shifted_domain_like_batch_statistics_would():
    model = _dann_bn()
    rng = np.random.default_rng(0)
    shifted = (0.3 * rng.uniform(-1, 1, (64, 8, 8, 3)) + 0.5).astype("float32")
    train_mode = np.asarray(model.backbone(shifted, training=True))  # normalised by its own stats
    before = np.asarray(model.backbone(shifted, training=False))
    old = batch_norm_state(model)
    previous = adapt_batch_norm(model, shifted, batch_size=64)
    after = np.asarray(model.backbone(shifted, training=False))
    assert np.abs(after - train_mode).max() < 1e-2 < np.abs(before - train_mode).max()
    restore_batch_norm(model, previous)
    for (m0, v0), (m1, v1) in zip(old, batch_norm_state(model)):
        np.testing.assert_array_equal(m0, m1)
        np.testing.assert_array_equal(v0, v1)


def test_context_manager_restores_and_frozen_models_adapt_too():
    model = _dann_bn()
    model.trainable = False
    x = np.random.default_rng(1).uniform(0, 1, (32, 8, 8, 3)).astype("float32")
    old = batch_norm_state(model)
    with batch_norm_adapted(model, x, batch_size=16):
        inside = batch_norm_state(model)
        assert not np.allclose(inside[0][0], old[0][0])
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(old, batch_norm_state(model)))
    assert not any(bn.trainable for bn in batch_norm_layers(model))  # still frozen


def test_bad_input_is_refused_and_leaves_the_statistics_alone():
    with pytest.raises(ValueError, match="no BatchNormalization"):
        adapt_batch_norm(keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]),
                         np.zeros((4, 3), "float32"))
    model = _dann_bn()
    old = batch_norm_state(model)
    with pytest.raises(ValueError, match="float images"):
        adapt_batch_norm(model, np.zeros((4, 8, 8, 3), "uint8"))
    with pytest.raises(ValueError, match=r"expects images of shape \(batch, 8, 8, 3\)"):
        adapt_batch_norm(model, np.zeros((4, 8, 8, 1), "float32"))
    with pytest.raises(ValueError, match="batch_size"):
        adapt_batch_norm(model, np.zeros((4, 8, 8, 3), "float32"), batch_size=1)
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(old, batch_norm_state(model)))


def test_an_error_halfway_puts_the_old_statistics_back():
    model = _dann_bn()
    old = batch_norm_state(model)
    calls = []
    original = model.call

    def failing_call(x, training=False):
        calls.append(1)
        if len(calls) > 1:
            raise RuntimeError("interrupted")
        return original(x, training=training)

    model.call = failing_call
    x = np.random.default_rng(2).uniform(0, 1, (32, 8, 8, 3)).astype("float32")
    with pytest.raises(RuntimeError, match="interrupted"):
        adapt_batch_norm(model, x, batch_size=16)
    assert len(calls) == 2
    assert all(np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
               for a, b in zip(old, batch_norm_state(model)))
