"""Counterfactual pairs for learning to forget: each training image next to
its twin with the other nuisance value, their embeddings pulled together."""

import copy

import keras
import numpy as np
import pytest
import tensorflow as tf

from research.forgetting.forget_terms import relative_pair_distance
from research.forgetting.forget_family import train_data
from tests.helpers import fake_images
from research.tests.forget_helpers import SHAPE, assert_option_saved, tiny, with_and_without
from tests.models.dann.test_dann_presets import small
from tests.test_rules import _mirrored_check


def _pair_batch(n=32, seed=0, twin_shift=0.5):
    x = fake_images(n, seed=seed, shape=SHAPE) * 0.5
    twin = np.clip(x + twin_shift, -1, 1).astype("float32")
    y, a = np.arange(n) % 10, np.arange(n) % 2
    return x, y, a, np.ones(n, "float32"), twin


def test_pair_term_is_the_weighted_relative_embedding_distance():
    x, y, a, w, twin = _pair_batch()
    paired, plain = with_and_without(pair_weight=3.0)
    batch = paired.prepare_batch((x, y, a, w, twin))
    assert len(batch) == 6
    f = paired.backbone(x, training=False).numpy()
    g = paired.backbone(twin, training=False).numpy()
    expected = float(np.mean(np.sum((f - g) ** 2, -1)) / (2 * np.sum(np.var(f, 0))))
    assert expected > 0
    # relative: scaling both embeddings leaves it unchanged
    assert float(relative_pair_distance(3.0 * f, 3.0 * g)) == pytest.approx(expected, rel=1e-4)
    loss, extras = paired.task_loss(batch, training=False)
    base = float(plain.task_loss(plain.prepare_batch((x, y, a, w)), training=False)[0])
    assert float(loss) - base == pytest.approx(3.0 * expected, rel=1e-4)
    assert float(extras["pair_distance"]) == pytest.approx(expected, rel=1e-4)
    # identical twins cost nothing; the adversary's loss never sees the twins
    same = paired.prepare_batch((x, y, a, w, x))
    assert float(paired.task_loss(same, training=False)[0]) == pytest.approx(base, rel=1e-5)
    assert float(paired.adversary_loss(batch, training=False)[0]) == pytest.approx(
        float(plain.adversary_loss(batch, training=False)[0]), rel=1e-6)
    # the one-pass form reports the same task loss
    _, parts = paired.joint_loss(batch, training=False)
    assert float(parts["task"][0]) == pytest.approx(float(loss), rel=1e-5)


@pytest.mark.parametrize("game", ["joint", "alternating"])
def test_training_pulls_each_image_towards_its_twin_and_logs_the_distance(game):
    x, y, a, w, twin = _pair_batch(n=64)
    ds = tf.data.Dataset.from_tensor_slices((x, y, a, w, twin)).batch(16).repeat()
    keras.utils.set_random_seed(1)
    model = tiny(condition_on_label=True, pair_weight=10.0)
    model.compile(optimizers={"task": keras.optimizers.Adam(3e-3),
                              "adversary": keras.optimizers.Adam(3e-3)}, game=game)

    def distance():
        return float(relative_pair_distance(model.features(x), model.features(twin)))

    before = distance()
    unpaired = tf.data.Dataset.from_tensor_slices((x, y, a)).batch(16)  # validation: no twins
    history = model.fit(ds, epochs=3, steps_per_epoch=8, verbose=0,
                        validation_data=unpaired).history
    assert "pair_distance" in history
    assert history["pair_distance"][-1] < history["pair_distance"][0]
    assert distance() < 0.5 * before
    # batches without twins measure no pair distance (not an empty tracker's 0)
    assert "val_task_loss" in history and "val_pair_distance" not in history


def test_missing_or_misshapen_twins_are_clear_errors():
    x, y, a, w, twin = _pair_batch(n=16)
    model = tiny(pair_weight=1.0)
    model.compile(optimizers={"task": keras.optimizers.Adam(1e-3),
                              "adversary": keras.optimizers.Adam(1e-3)}, game="joint")
    with pytest.raises(ValueError, match="no counterparts"):
        model.fit(tf.data.Dataset.from_tensor_slices((x, y, a)).batch(8), verbose=0)
    with pytest.raises(ValueError, match="counterparts have shape"):
        model.prepare_batch((x, y, a, w, twin[:, :6]))


def test_pair_weight_is_configured_validated_and_saved(tmp_path):
    assert_option_saved(tmp_path, "pair_weight", 2.5,
                        bad=({"pair_weight": -1.0}, {"pair_weight": 1.0, "target_consistency": 1.0}),
                        match="pair_weight must be >= 0")


def test_recipe_pairs_go_with_forgetting_and_a_pair_weight():
    recipe = small("forget_fashion_mnist", pair_weight=1.0)
    recipe["data"]["pairs"] = True
    ds, _ = train_data(recipe)
    x, y, source, weights, twin = next(iter(ds))
    assert twin.shape == x.shape and float(tf.reduce_min(twin)) >= -1.0
    assert np.all(weights.numpy() == 1.0)
    # a textured image's twin is grey (the clean original); a clean one's is coloured
    spread = np.ptp(twin.numpy(), axis=-1).max(axis=(1, 2))
    assert np.all((spread[source.numpy() == 1]) == 0)
    assert np.all((spread[source.numpy() == 0]) > 0)
    for change, match in [({"pairs": False}, "go together"),
                          ({"setting": "colour"}, "forget' only")]:
        bad = copy.deepcopy(recipe)
        bad["data"].update(change)
        with pytest.raises(ValueError, match=match):
            train_data(bad)


@pytest.mark.parametrize("rule", ["joint", "alternating"])
def test_pair_term_mirrored_matches_single_device(rule):
    result = _mirrored_check(rule, kind="dann_pairs")
    assert result["replicas"] == 2 and result["moved"] > 1e-3
    assert result["max_relative_difference"] < 1e-3


def test_balanced_adversary_weights_are_kept_next_to_the_twins():
    recipe = small("forget_fashion_mnist", pair_weight=1.0)
    recipe["data"].update({"pairs": True, "balance_adversary": True})
    _, _, _, weights, twin = next(iter(train_data(recipe)[0]))
    assert twin.shape == (16, 28, 28, 3)
    assert float(np.ptp(weights.numpy())) > 0  # balancing weights, not the placeholder ones
