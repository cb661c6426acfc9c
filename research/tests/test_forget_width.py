"""The class-width gap: one nuisance group's clusters wider than the other's,
what an MLP probe reads in a forgetting embedding when a linear one reads nothing."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from research.forgetting.forget_model import ForgettingStudyNet
from research.forgetting.forget_terms import class_width_gap
from tests.helpers import fake_images
from research.tests.forget_helpers import SHAPE, assert_option_saved, tiny, with_and_without
from tests.test_rules import _mirrored_check


def _clusters(scale_of_group1, n_classes=3, dim=4):
    # every class: group 0 at centre +- e_k, group 1 at centre +- scale * e_k
    centres = np.random.default_rng(0).normal(0, 10, (n_classes, dim))
    offsets = np.concatenate([np.eye(dim), -np.eye(dim)])
    f, y, g = [], [], []
    for c in range(n_classes):
        for group, scale in ((0, 1.0), (1, scale_of_group1)):
            f.append(centres[c] + scale * offsets)
            y += [c] * len(offsets)
            g += [group] * len(offsets)
    return (np.concatenate(f).astype("float32"), np.eye(n_classes, dtype="float32")[y],
            np.asarray(g, "float32"))


def test_width_gap_is_the_squared_log_ratio_of_the_groups_widths():
    f, labels, group = _clusters(1.0)
    assert float(class_width_gap(f, labels, group)) == pytest.approx(0.0, abs=1e-8)
    f, labels, group = _clusters(2.0)  # squared distances 1 and 4: ratio 4
    gap = float(class_width_gap(f, labels, group))
    assert gap == pytest.approx(np.log(4.0) ** 2, rel=1e-4)
    assert float(class_width_gap(7.0 * f, labels, group)) == pytest.approx(gap, rel=1e-4)
    # a class whose members are all of one group says nothing about the width
    only_zero = group == 0
    assert float(class_width_gap(f[only_zero], labels[only_zero], group[only_zero])) == 0.0


def test_wider_side_has_the_same_value_but_pulls_in_only_the_wider_group():
    f, labels, group = _clusters(2.0)  # group 1 is the wider one
    f = tf.constant(f)
    values, grads = {}, {}
    for side in ("both", "wider"):
        with tf.GradientTape() as tape:
            tape.watch(f)
            values[side] = class_width_gap(f, labels, group, side=side)
        grads[side] = tape.gradient(values[side], f).numpy()
    assert float(values["wider"]) == pytest.approx(float(values["both"]), rel=1e-6)
    narrow, wide = group == 0, group == 1
    assert np.abs(grads["both"][narrow]).max() > 1e-3  # "both" also spreads group 0 out
    assert np.abs(grads["wider"][narrow]).max() == 0.0
    assert np.abs(grads["wider"][wide]).max() > 1e-3
    # and the gradient pulls the wider group in: a small step against it narrows it
    stepped = f.numpy() - 0.01 * grads["wider"]
    assert float(class_width_gap(stepped, labels, group)) < float(values["both"])
    with pytest.raises(ValueError, match="side must be one of"):
        class_width_gap(f, labels, group, side="narrower")


def _width_batch(n=32, seed=0):
    x = fake_images(n, seed=seed, shape=SHAPE)
    y = np.arange(n) % 4
    a = (np.arange(n) // 4) % 2  # both groups in every class
    return x, y, a


def test_width_term_is_the_weighted_gap_next_to_the_adversary():
    x, y, a = _width_batch()
    wide, plain = with_and_without(width_weight=3.0)
    batch = wide.prepare_batch((tf.constant(x), tf.constant(y), tf.constant(a)))
    f = wide.backbone(x, training=False)
    expected = float(class_width_gap(f, np.eye(10, dtype="float32")[y], a.astype("float32")))
    assert expected > 0
    loss, extras = wide.task_loss(batch, training=False)
    base = float(plain.task_loss(batch, training=False)[0])
    assert float(loss) - base == pytest.approx(3.0 * 0.5 * expected, rel=1e-4)
    assert float(extras["width_gap"]) == pytest.approx(expected, rel=1e-4)
    assert float(wide.adversary_loss(batch, training=False)[0]) == pytest.approx(
        float(plain.adversary_loss(batch, training=False)[0]), rel=1e-6)
    _, parts = wide.joint_loss(batch, training=False)
    assert float(parts["task"][0]) == pytest.approx(float(loss), rel=1e-5)


def _noisy_groups(n=64):
    # group 1 is group 0's images plus strong pixel noise: wider clusters
    x = fake_images(n, seed=5, shape=SHAPE) * 0.5
    y = np.arange(n) % 4
    a = (np.arange(n) // 4) % 2
    noise = np.random.default_rng(6).normal(0, 0.6, x.shape).astype("float32")
    x = np.where(a[:, None, None, None] == 1, np.clip(x + noise, -1, 1), x).astype("float32")
    return x, y, a


def _trained_gap(width_weight):
    x, y, a = _noisy_groups()
    keras.utils.set_random_seed(2)
    model = tiny(adversary="none", width_weight=width_weight, lambda_=1.0)
    model.compile(optimizers={"task": keras.optimizers.Adam(3e-3)}, game="joint")
    history = model.fit(tf.data.Dataset.from_tensor_slices((x, y, a)).batch(64).repeat(),
                        epochs=4, steps_per_epoch=10, verbose=0).history
    gap = float(class_width_gap(model.features(x), np.eye(10, dtype="float32")[y],
                                a.astype("float32")))
    return gap, history


def test_training_with_the_width_term_evens_the_groups_widths():
    without, _ = _trained_gap(0.0)
    with_term, history = _trained_gap(50.0)
    assert without > 2e-3  # plain training leaves the noisy group's clusters wider
    assert with_term < 0.1 * without
    assert history["width_gap"][-1] < history["width_gap"][0]


def test_width_weight_is_configured_validated_and_saved(tmp_path):
    assert_option_saved(tmp_path, "width_weight", 2.0,
                        bad=({"width_weight": -1.0}, {"width_weight": 1.0, "num_nuisance": 3}),
                        match="width_weight must be >= 0")
    wider = tiny(width_weight=1.0, width_side="wider")
    assert ForgettingStudyNet.from_config(wider.get_config()).width_side == "wider"
    with pytest.raises(ValueError, match="width_side must be one of"):
        tiny(width_weight=1.0, width_side="narrower")


@pytest.mark.parametrize("rule,kind", [("joint", "dann_width"), ("alternating", "dann_width"),
                                       ("joint", "dann_width_wider")])
def test_width_term_mirrored_matches_single_device(rule, kind):
    result = _mirrored_check(rule, kind=kind)
    assert result["replicas"] == 2 and result["moved"] > 1e-3
    assert result["max_relative_difference"] < 1e-3
