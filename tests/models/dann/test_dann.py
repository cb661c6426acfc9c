"""Gradient reversal, the DANN schedules and the domain-adversarial model."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from advzoo.layers import GradientReversal
from advzoo.models.dann import (DANNLearningRate, DomainAdversarialNet,
                                GradientReversalSchedule, mk_mmd, reversal_strength)
from tests.harness import FamilyTestCase
from tests.helpers import assert_keras_roundtrip, fake_images
from tests.test_rules import _mirrored_check

SHAPE = (12, 12, 3)


def tiny(cls=DomainAdversarialNet, **kwargs):
    kwargs = {"image_shape": SHAPE, "width": 4, "feature_dim": 8, "hidden": 8, **kwargs}
    return cls(**kwargs)


def with_and_without(cls=DomainAdversarialNet, **option):
    """`(model, plain)`: a label-conditioned tiny model (lambda 0.5) with the
    given option, and the same network without it, at the same weights."""
    model = tiny(cls, condition_on_label=True, lambda_=0.5, **option)
    plain = tiny(cls, condition_on_label=True, lambda_=0.5)
    plain.set_weights(model.get_weights())
    return model, plain


def assert_option_saved(tmp_path, option, value, bad, match, cls=DomainAdversarialNet):
    """An option of `cls`: echoed by get_config (default 0.0), kept by a .keras
    round trip with the same features, and each of the `bad` settings (dicts
    of arguments) refused with an error matching `match`."""
    model = tiny(cls, **{option: value})
    assert getattr(cls.from_config(model.get_config()), option) == value
    assert tiny(cls).get_config()[option] == 0.0
    path = tmp_path / f"{option}.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    assert getattr(restored, option) == value
    x = fake_images(4, shape=SHAPE)
    np.testing.assert_allclose(restored.features(x), model.features(x), atol=1e-6)
    for arguments in bad:
        with pytest.raises(ValueError, match=match):
            tiny(cls, **arguments)


def adaptation_batches(n=64, batch=16, seed=0, shift=0.6):
    rng = np.random.default_rng(seed)
    xs = fake_images(n, seed=seed, shape=SHAPE) * 0.4
    ys = rng.integers(0, 10, n)
    xt = np.clip(fake_images(n, seed=seed + 1, shape=SHAPE) * 0.4 + shift, -1, 1)
    return tf.data.Dataset.from_tensor_slices(((xs, ys), xt)).batch(batch)


def test_gradient_reversal_is_identity_forward_and_negated_backward():
    layer = GradientReversal(lambda_=0.5)
    x = tf.constant([[1.0, -2.0, 3.0]])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x)
        loss = tf.reduce_sum(y * tf.constant([[1.0, 2.0, 3.0]]))
    np.testing.assert_array_equal(y.numpy(), x.numpy())
    np.testing.assert_allclose(tape.gradient(loss, x).numpy(), [[-0.5, -1.0, -1.5]])
    layer.lambda_ = 2.0
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_sum(layer(x))
    np.testing.assert_allclose(tape.gradient(loss, x).numpy(), [[-2.0, -2.0, -2.0]])
    with pytest.raises(ValueError, match="lambda_ must be >= 0"):
        layer.lambda_ = -1.0
    with pytest.raises(ValueError, match="lambda_ must be >= 0"):
        GradientReversal(-0.1)


def test_gradient_reversal_survives_keras_save_with_its_current_strength(tmp_path):
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(1)(GradientReversal(0.3, name="grl")(inputs)))
    model.get_layer("grl").lambda_ = 0.8
    model.save(tmp_path / "m.keras")
    restored = keras.saving.load_model(tmp_path / "m.keras")
    assert restored.get_layer("grl").lambda_ == pytest.approx(0.8)
    assert restored.get_layer("grl").get_config()["lambda_"] == pytest.approx(0.3)


def test_gradient_reversal_under_mirrored_strategy():
    devices = [d.name for d in tf.config.list_logical_devices("CPU")[:2]]
    strategy = tf.distribute.MirroredStrategy(devices)
    with strategy.scope():
        layer = GradientReversal(0.25)

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(layer(x) * 4.0)
        return tape.gradient(loss, x)

    grads = strategy.run(step, args=(tf.ones((2, 3)),))
    for g in strategy.experimental_local_results(grads):
        np.testing.assert_allclose(g.numpy(), -1.0)
    layer.lambda_ = 1.0  # set from a callback, i.e. cross-replica
    grads = strategy.run(step, args=(tf.ones((2, 3)),))
    for g in strategy.experimental_local_results(grads):
        np.testing.assert_allclose(g.numpy(), -4.0)


def test_dann_schedules_follow_the_paper():
    assert reversal_strength(0.0) == 0.0
    assert reversal_strength(1.0) == pytest.approx(2 / (1 + np.exp(-10)) - 1)
    assert reversal_strength(0.5, lambda_max=0.3) == pytest.approx(0.3 * (2 / (1 + np.exp(-5)) - 1))
    values = [reversal_strength(p) for p in np.linspace(0, 1, 11)]
    assert values == sorted(values)
    lr = DANNLearningRate(0.01, total_steps=100)
    assert float(lr(0)) == pytest.approx(0.01)
    assert float(lr(100)) == pytest.approx(0.01 / 11 ** 0.75)
    assert float(lr(1000)) == pytest.approx(0.01 / 11 ** 0.75)  # p is clipped at 1
    assert DANNLearningRate.from_config(lr.get_config()).get_config() == lr.get_config()


def test_schedule_callback_sets_lambda_per_step_and_continues_after_resume():
    model = tiny()
    model.compile(optimizers={"task": "sgd", "adversary": "sgd"})
    ds = adaptation_batches(n=64, batch=16)  # 4 steps per epoch
    model.fit(ds, epochs=1, verbose=0, callbacks=[GradientReversalSchedule(8)])
    # The last step of epoch 1 used p = 3/8.
    assert model.reversal.lambda_ == pytest.approx(reversal_strength(3 / 8), rel=1e-6)
    model.fit(ds, epochs=1, verbose=0, callbacks=[GradientReversalSchedule(8)])
    assert model.reversal.lambda_ == pytest.approx(reversal_strength(7 / 8), rel=1e-6)
    with pytest.raises(ValueError, match="no GradientReversal layer"):
        plain = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        plain.compile("sgd", "mse")
        plain.fit(np.zeros((4, 2)), np.zeros((4, 1)), verbose=0,
                  callbacks=[GradientReversalSchedule(4)])


def _train(rule, lambda_=0.5, steps_ds=None):
    keras.utils.set_random_seed(0)
    model = tiny(lambda_=lambda_)
    model.compile(optimizers={p.name: keras.optimizers.SGD(0.05) for p in model.players()},
                  game=rule)
    model.fit(steps_ds or adaptation_batches(), epochs=2, verbose=0)
    return model


def test_gradient_reversal_in_one_pass_equals_simultaneous_play():
    joint, simultaneous = _train("joint"), _train("simultaneous")
    for a, b in zip(joint.get_weights(), simultaneous.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-6)
    alternating = _train("alternating")  # a different game dynamic, and it shows
    assert max(np.abs(a - b).max() for a, b in
               zip(joint.get_weights(), alternating.get_weights())) > 1e-4


def test_joint_rule_needs_a_joint_loss():
    from tests.helpers import tiny_dcgan

    with pytest.raises(ValueError, match="'joint' update rule needs a model that defines"):
        tiny_dcgan(compile=False).compile(
            optimizers={"generator": "adam", "discriminator": "adam"}, game="joint")


def two_class_domains(n=256, shift=0.5, seed=0):
    """Class = top rows brighter or darker; domain = an offset in channel 2,
    which the features can drop entirely."""
    rng = np.random.default_rng(seed)

    def images(y, offset):
        x = rng.normal(0, 0.3, (len(y),) + SHAPE).astype("float32")
        x[:, :6] += (2 * y - 1)[:, None, None, None] * 0.5
        x[..., 2] += offset
        return x

    ys, yt = rng.integers(0, 2, n), rng.integers(0, 2, n)
    return tf.data.Dataset.from_tensor_slices(((images(ys, 0.0), ys), images(yt, shift))).batch(32)


def _domain_probe(model, ds):
    from advzoo.metrics.probes import split_probe

    xs, xt = np.concatenate([b[0][0] for b in ds]), np.concatenate([b[1] for b in ds])
    feats = model.features(np.concatenate([xs, xt]))
    return split_probe(feats, np.r_[np.zeros(len(xs)), np.ones(len(xt))])


def _train_long(lambda_, ds):
    keras.utils.set_random_seed(1)
    model = tiny(lambda_=lambda_, num_classes=2)
    # Two time scales: an adversary 10x faster than the features tracks them
    # instead of being led round in circles.
    model.compile(optimizers={"task": keras.optimizers.Adam(1e-3),
                              "adversary": keras.optimizers.Adam(1e-2)}, game="joint")
    history = model.fit(ds, epochs=30, verbose=0).history
    return model, history


def test_reversal_removes_the_domain_from_the_features():
    """Without reversal the features keep the domain (the adversary reads it);
    with it, a *fresh* probe on the frozen features falls towards chance while
    the class is still learned."""
    ds = two_class_domains()
    plain, plain_history = _train_long(0.0, ds)
    adversarial, history = _train_long(1.0, ds)
    assert plain_history["adversary_accuracy"][-1] > 0.9
    assert _domain_probe(plain, ds) > 0.9
    assert _domain_probe(adversarial, ds) < 0.7
    assert history["accuracy"][-1] > 0.95


def test_mmd_is_zero_for_equal_samples_and_grows_with_the_shift():
    x = tf.constant(np.random.default_rng(0).normal(size=(64, 4)), "float32")
    assert float(mk_mmd(x, x)) == pytest.approx(0.0, abs=1e-6)
    small, large = float(mk_mmd(x, x + 0.3)), float(mk_mmd(x, x + 1.5))
    assert 0 < small < large


def test_mmd_and_plain_variants_train():
    model = tiny(adversary="mmd")
    model.compile(optimizers={"task": "adam"})
    history = model.fit(adaptation_batches(), epochs=2, verbose=0).history
    assert "task_loss" in history and "adversary_loss" not in history
    plain = tiny(adversary="none")
    plain.compile(optimizers={"task": "adam"})
    x, y = fake_images(32, shape=SHAPE), np.arange(32) % 10
    plain.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert set(plain.evaluate(x, y, verbose=0, return_dict=True)) == {
        "classification_loss", "accuracy"}
    # attribute batches: MMD between the nuisance groups (forgetting without an adversary)
    attr = tiny(adversary="mmd")
    attr.compile(optimizers={"task": "adam"})
    a = np.arange(32) % 2
    history = attr.fit(tf.data.Dataset.from_tensor_slices((x, y, a)).batch(16), verbose=0).history
    assert history["task_loss"][0] > history["classification_loss"][0]  # MMD > 0 is added
    with pytest.raises(ValueError, match="nothing to adapt to"):
        attr.fit(x, y, batch_size=16, verbose=0)
    with pytest.raises(ValueError, match="num_nuisance must be 2"):
        tiny(adversary="mmd", num_nuisance=10)


def test_group_mmd_is_mk_mmd_of_the_groups_and_uses_weights():
    from advzoo.models.dann.dann_schedules import group_mk_mmd

    rng = np.random.default_rng(0)
    f = tf.constant(rng.normal(size=(12, 4)), "float32")
    group = np.r_[np.zeros(5), np.ones(7)].astype("float32")
    assert float(group_mk_mmd(f, 1 - group, group)) == pytest.approx(
        float(mk_mmd(f[:5], f[5:])), rel=1e-5)
    # weights count: dropping an example's weight changes the estimate; an empty group gives 0
    w = np.ones(12, "float32")
    w[0] = 0.0
    assert abs(float(group_mk_mmd(f, w * (1 - group), w * group))
               - float(group_mk_mmd(f, 1 - group, group))) > 1e-4
    assert float(group_mk_mmd(f, np.zeros(12, "float32"), group)) == 0.0


def test_label_conditioned_mmd_compares_only_within_a_class():
    from advzoo.models.dann.dann_schedules import group_mk_mmd

    # group a: class 0 at p, class 1 at q; group b swaps them. The marginals are
    # equal (plain MMD 0) but every class moved (conditional MMD > 0).
    p, q = np.zeros(3), np.ones(3)
    f = tf.constant(np.stack([p, q, q, p] * 4), "float32")
    labels = np.eye(2, dtype="float32")[np.array([0, 1, 0, 1] * 4)]
    group = np.array([0, 0, 1, 1] * 4, "float32")
    assert float(group_mk_mmd(f, 1 - group, group)) == pytest.approx(0.0, abs=1e-6)
    assert float(group_mk_mmd(f, 1 - group, group, labels=labels)) > 0.1
    # every class alike in both groups, but the classes far apart: 0 once conditioned
    f = tf.constant(np.stack([p, q, p, q] * 4), "float32")
    assert float(group_mk_mmd(f, 1 - group, group, labels=labels)) == pytest.approx(0.0, abs=1e-6)


def test_label_weighted_bandwidth_resolves_a_shift_within_far_apart_classes():
    from advzoo.models.dann.dann_schedules import group_mk_mmd

    # two classes 20 apart; inside each, group b sits 0.5 from group a. The pooled
    # bandwidth (set by the distance between the classes) barely sees the shift;
    # the label-weighted one is the within-class distance and does.
    rng = np.random.default_rng(0)
    y = np.arange(64) % 2
    group = (np.arange(64) // 2 % 2).astype("float32")
    f = rng.normal(0, 0.3, (64, 4)) + 20.0 * y[:, None] + 0.5 * group[:, None]
    f, labels = tf.constant(f, "float32"), np.eye(2, dtype="float32")[y]
    pooled = float(group_mk_mmd(f, 1 - group, group, labels=labels))
    weighted = float(group_mk_mmd(f, 1 - group, group, labels=labels, bandwidth="label_weighted"))
    assert weighted > 20 * pooled > 0
    # without labels both mean the batch's pooled distance
    assert float(group_mk_mmd(f, 1 - group, group, bandwidth="label_weighted")) == \
        pytest.approx(float(group_mk_mmd(f, 1 - group, group)), rel=1e-6)
    # equal groups: zero either way
    same = tf.constant(np.tile(rng.normal(0, 1, (32, 4)), (2, 1)), "float32")
    halves = np.repeat([0.0, 1.0], 32).astype("float32")
    two = np.eye(2, dtype="float32")[np.tile(np.arange(32) % 2, 2)]
    assert float(group_mk_mmd(same, 1 - halves, halves, labels=two,
                              bandwidth="label_weighted")) == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError, match="bandwidth must be one of"):
        group_mk_mmd(f, 1 - group, group, bandwidth="median")
    with pytest.raises(ValueError, match="mmd_bandwidth must be one of"):
        tiny(adversary="mmd", mmd_bandwidth="median")
    model = tiny(adversary="mmd", condition_on_label=True, mmd_bandwidth="label_weighted")
    assert DomainAdversarialNet.from_config(model.get_config()).mmd_bandwidth == "label_weighted"


def test_label_conditioned_mmd_model_trains_on_both_kinds_of_batch():
    x, y = fake_images(32, shape=SHAPE), np.arange(32) % 10
    a = np.arange(32) // 16  # every class in both groups
    plain, conditioned = tiny(adversary="mmd"), tiny(adversary="mmd", condition_on_label=True)
    conditioned.set_weights(plain.get_weights())
    batch = conditioned.prepare_batch((tf.constant(x), tf.constant(y), tf.constant(a)))
    # the conditioned penalty is the joint (feature, label) MMD of the two groups
    from advzoo.models.dann.dann_schedules import group_mk_mmd

    f = conditioned.backbone(batch[0], training=False)
    a = a.astype("float32")
    expected = group_mk_mmd(f, 1.0 - a, a, labels=np.eye(10, dtype="float32")[y])
    out_cond = conditioned._forward(batch, training=False)["adv"]
    out_plain = plain._forward(batch, training=False)["adv"]
    assert float(out_cond) == pytest.approx(float(expected), rel=1e-4)
    assert float(out_cond) != pytest.approx(float(out_plain), rel=1e-3)
    assert conditioned.get_config()["condition_on_label"] is True
    with pytest.raises(ValueError, match="trains no nuisance classifier"):
        conditioned.predict_nuisance(x, labels=y)
    # adaptation batches: unlabelled target images count with their predicted classes
    conditioned.compile(optimizers={"task": "adam"})
    history = conditioned.fit(adaptation_batches(), epochs=2, verbose=0).history
    assert np.all(np.isfinite(history["task_loss"]))
    assert history["task_loss"][0] > history["classification_loss"][0]


def test_mmd_weight_adds_the_weighted_group_mmd_next_to_the_adversary():
    from advzoo.models.dann.dann_schedules import group_mk_mmd

    x, y = fake_images(32, shape=SHAPE), np.arange(32) % 10
    a = np.arange(32) // 16
    hybrid, plain = with_and_without(mmd_weight=2.0)
    batch = hybrid.prepare_batch((tf.constant(x), tf.constant(y), tf.constant(a)))
    f = hybrid.backbone(batch[0], training=False)
    af = a.astype("float32")
    mmd = float(group_mk_mmd(f, 1.0 - af, af, labels=np.eye(10, dtype="float32")[y]))
    assert mmd > 0
    # task: CE - lambda A + mmd_weight * lambda * MMD; the adversary's loss is unchanged
    hybrid_loss = float(hybrid.task_loss(batch, training=False)[0])
    plain_loss = float(plain.task_loss(batch, training=False)[0])
    assert hybrid_loss - plain_loss == pytest.approx(2.0 * 0.5 * mmd, rel=1e-4)
    assert float(hybrid.adversary_loss(batch, training=False)[0]) == pytest.approx(
        float(plain.adversary_loss(batch, training=False)[0]), rel=1e-6)
    # the one-pass (joint) form reports the same task loss
    _, parts = hybrid.joint_loss(batch, training=False)
    assert float(parts["task"][0]) == pytest.approx(hybrid_loss, rel=1e-5)
    assert DomainAdversarialNet.from_config(hybrid.get_config()).mmd_weight == 2.0
    for bad, match in [({"adversary": "mmd"}, "use the lambda schedule"),
                       ({"adversary": "none"}, "use adversary=mmd"),
                       ({"mmd_weight": -1.0}, "mmd_weight must be >= 0"),
                       ({"num_nuisance": 3}, "num_nuisance must be 2")]:
        with pytest.raises(ValueError, match=match):
            tiny(**{"mmd_weight": 1.0, **bad})


def test_mmd_weight_shrinks_the_feature_mmd_in_training():
    """Same init, data and adversary; the run with the MMD term ends with
    source and target features closer in MMD."""
    from advzoo.models.dann.dann_schedules import mk_mmd

    ds = two_class_domains(n=128, shift=1.0)
    xs, xt = np.concatenate([b[0][0] for b in ds]), np.concatenate([b[1] for b in ds])
    end = {}
    for weight in (0.0, 5.0):
        keras.utils.set_random_seed(3)
        model = tiny(num_classes=2, lambda_=0.1, mmd_weight=weight)
        model.compile(optimizers={"task": keras.optimizers.Adam(3e-3),
                                  "adversary": keras.optimizers.Adam(1e-2)}, game="joint")
        model.fit(ds, epochs=8, verbose=0)
        end[weight] = float(mk_mmd(model.features(xs), model.features(xt)))
    assert end[5.0] < 0.1 * end[0.0]  # measured: about 80x smaller


def test_keras_roundtrip_keeps_weights_lambda_and_optimizer_state(tmp_path):
    model = _train("joint", lambda_=0.4)
    model.reversal.lambda_ = 0.9
    x = fake_images(8, shape=SHAPE)
    restored = assert_keras_roundtrip(model, tmp_path / "dann.keras", lambda m: m.predict(
        x, verbose=0))
    assert restored.reversal.lambda_ == pytest.approx(0.9)
    assert restored.update_rule.name == "joint"
    np.testing.assert_array_equal(model.features(x), restored.features(x))


def test_label_conditioned_adversary_for_attribute_batches():
    model = tiny(num_nuisance=3, condition_on_label=True)
    model.compile(optimizers={"task": "adam", "adversary": "adam"}, game="joint")
    x, y = fake_images(32, shape=SHAPE), np.arange(32) % 10
    model.fit(tf.data.Dataset.from_tensor_slices((x, y, np.arange(32) % 3)).batch(16), verbose=0)
    probs = model.predict_nuisance(x, labels=y)
    assert probs.shape == (32, 3)
    np.testing.assert_allclose(probs.sum(1), 1.0, rtol=1e-5)
    with pytest.raises(ValueError, match="conditioned on the label"):
        model.predict_nuisance(x)
    soft = model.predict(x, verbose=0)  # class probabilities stand in for unknown labels
    assert model.predict_nuisance(x, labels=soft).shape == (32, 3)


def test_label_conditioned_adversary_sees_predictions_in_adaptation_batches():
    model = tiny(condition_on_label=True)
    model.compile(optimizers={"task": "adam", "adversary": "adam"}, game="joint")
    (xs, ys), xt = next(iter(adaptation_batches()))
    batch = model.prepare_batch(((xs, ys), xt))
    probs = model(batch[0], training=False)
    # unlabelled target images: both domains are conditioned on the predictions,
    # so the label input cannot tell the domains apart by its sharpness
    np.testing.assert_allclose(model._label_input(batch[1], probs, batch[3]), probs, rtol=1e-6)
    x, y = fake_images(8, shape=SHAPE), np.arange(8)
    ones = tf.ones((8,))
    np.testing.assert_array_equal(model._label_input(tf.constant(y), model(x), ones),
                                  np.eye(10)[y])
    history = model.fit(adaptation_batches(), epochs=1, verbose=0).history
    assert np.isfinite(history["adversary_loss"][0])


def test_target_labels_where_known_join_the_classification_loss():
    """`((xs, ys), (xt, yt))`: target labels (e.g. a few known, or pseudo-labels),
    -1 where unknown; all -1 is the unlabelled form."""
    keras.utils.set_random_seed(0)
    model = tiny()
    (xs, ys), xt = next(iter(adaptation_batches()))
    none = -np.ones(len(xt), "int64")
    plain, _ = model.task_loss(model.prepare_batch(((xs, ys), xt)), training=False)
    same, _ = model.task_loss(model.prepare_batch(((xs, ys), (xt, none))), training=False)
    np.testing.assert_allclose(plain, same, rtol=1e-6)
    yt = np.where(np.arange(len(xt)) % 2 == 0, np.arange(len(xt)) % 10, -1)
    _, extras = model.task_loss(model.prepare_batch(((xs, ys), (xt, yt))), training=False)
    known = yt >= 0
    x = np.concatenate([xs, np.asarray(xt)[known]])
    y = np.concatenate([ys, yt[known]])
    expected = keras.losses.sparse_categorical_crossentropy(y, model(x, training=False))
    np.testing.assert_allclose(extras["classification_loss"], np.mean(expected), rtol=1e-5)


def test_bad_batches_get_clear_errors():
    model = tiny()
    model.compile(optimizers={"task": "adam", "adversary": "adam"})
    xs, ys = fake_images(16, shape=SHAPE), np.zeros(16, "int64")
    grey = fake_images(16, shape=(12, 12, 1))
    with pytest.raises(ValueError, match="both domains must share one shape"):
        model.fit(tf.data.Dataset.from_tensor_slices(((xs, ys), grey)).batch(8), verbose=0)
    with pytest.raises(ValueError, match="nothing to adapt to"):
        model.fit(xs, ys, batch_size=8, verbose=0)
    with pytest.raises(ValueError, match=r"to_rgb"):
        model.fit(tf.data.Dataset.from_tensor_slices(((grey, ys), grey)).batch(8), verbose=0)
    with pytest.raises(ValueError, match="adversary must be one of"):
        tiny(adversary="wasserstein")


@pytest.mark.parametrize("rule", ["joint", "alternating"])
def test_dann_mirrored_matches_single_device(rule):
    result = _mirrored_check(rule, kind="dann")
    assert result["replicas"] == 2 and result["moved"] > 1e-3
    assert result["max_relative_difference"] < 1e-3


def test_confusion_objective_makes_the_adversary_unsure():
    """The features minimise CE(uniform, adversary): the game is played by the
    explicit rules, and `joint` is refused at compile time for it."""
    with pytest.raises(ValueError, match="'joint' update rule needs"):
        tiny(adversary="confusion").compile(optimizers={"task": "adam", "adversary": "adam"},
                                            game="joint")
    ds = two_class_domains()
    keras.utils.set_random_seed(1)
    model = tiny(adversary="confusion", num_classes=2, lambda_=1.0)
    model.compile(optimizers={"task": keras.optimizers.Adam(1e-3),
                              "adversary": keras.optimizers.Adam(1e-2)}, game="alternating")
    history = model.fit(ds, epochs=30, verbose=0).history
    assert _domain_probe(model, ds) < 0.7
    assert history["accuracy"][-1] > 0.95


def test_balancing_weights_make_the_nuisance_independent_of_the_label():
    from advzoo.models.dann import nuisance_balancing_weights

    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 3000)
    a = np.where(rng.random(3000) < 0.9, y, rng.integers(0, 3, 3000))  # a mostly = y
    w = nuisance_balancing_weights(y, a)
    assert w.mean() == pytest.approx(1.0, rel=1e-5)
    joint = np.zeros((3, 3))
    np.add.at(joint, (y, a), w)
    joint /= joint.sum()
    np.testing.assert_allclose(joint, np.outer(joint.sum(1), joint.sum(0)), atol=1e-6)
    model = tiny(num_nuisance=3)
    model.compile(optimizers={"task": "adam", "adversary": "adam"})
    x = fake_images(32, shape=SHAPE)
    ds = tf.data.Dataset.from_tensor_slices((x, y[:32], a[:32], w[:32])).batch(16)
    assert "adversary_loss" in model.fit(ds, verbose=0).history


def _target_terms(probs):
    """Hand-computed mean entropy of target predictions and entropy of their mean."""
    p = np.clip(probs, 1e-7, 1.0)
    mean = probs.mean(0)
    return float(-(probs * np.log(p)).sum(-1).mean()), float(-(mean * np.log(mean)).sum())


def test_target_entropy_and_diversity_terms_match_their_definition():
    """task loss = CE(source) - lambda A + w_e mean H(p_target) - w_d H(mean p_target),
    and the target terms leave the adversary's loss alone."""
    (xs, ys), xt = next(iter(adaptation_batches(n=16, batch=16)))
    keras.utils.set_random_seed(0)
    plain = tiny(lambda_=0.3)
    im = tiny(lambda_=0.3, target_entropy=0.7, target_diversity=0.4)
    im.set_weights(plain.get_weights())
    data = plain.prepare_batch(((xs, ys), xt))
    (loss_plain, _), (loss_im, _) = plain.task_loss(data), im.task_loss(data)
    entropy, diversity = _target_terms(np.asarray(im(np.asarray(xt))))
    assert float(loss_im) - float(loss_plain) == pytest.approx(0.7 * entropy - 0.4 * diversity,
                                                              rel=1e-4, abs=1e-5)
    assert float(im.adversary_loss(data)[0]) == pytest.approx(
        float(plain.adversary_loss(data)[0]), rel=1e-6)
    # joint (one-pass) form carries the same task loss
    assert float(im.joint_loss(data)[1]["task"][0]) == pytest.approx(float(loss_im), rel=1e-5)
    # attribute batches have no unlabelled images: the terms vanish
    attr = im.prepare_batch((xs, ys, np.zeros(16)))
    assert float(im.task_loss(attr)[0]) == pytest.approx(float(plain.task_loss(attr)[0]),
                                                         rel=1e-6)
    assert im.get_config()["target_entropy"] == 0.7
    assert DomainAdversarialNet.from_config(im.get_config()).target_diversity == 0.4
    with pytest.raises(ValueError, match="target_entropy must be >= 0"):
        tiny(target_entropy=-1.0)


def _target_statistics(entropy, diversity):
    keras.utils.set_random_seed(3)
    model = tiny(adversary="none", target_entropy=entropy, target_diversity=diversity)
    model.compile(optimizers={"task": keras.optimizers.Adam(3e-3)})
    ds = adaptation_batches(n=128, batch=32)
    model.fit(ds, epochs=15, verbose=0)
    xt = np.concatenate([b[1] for b in ds])
    return _target_terms(np.asarray(model.predict(xt, verbose=0)))


def test_entropy_sharpens_target_predictions_and_diversity_keeps_classes_apart():
    """Entropy minimisation makes target predictions confident; alone it
    collapses these featureless targets onto one class (the entropy of the
    mean prediction falls to ~0), which the diversity term prevents."""
    base_entropy, base_diversity = _target_statistics(0.0, 0.0)
    sharp_entropy, sharp_diversity = _target_statistics(2.0, 0.0)
    _, im_diversity = _target_statistics(2.0, 2.0)
    assert sharp_entropy < 0.1 * base_entropy
    assert sharp_diversity < 0.1 * base_diversity
    assert im_diversity > base_diversity > sharp_diversity + 1.0


@pytest.mark.parametrize("kind", ["dann_im", "dann_bn", "dann_mt"])
def test_target_diversity_and_batch_norm_mirrored_match_single_device(kind):
    """H(mean prediction) is not a sum over examples: the batch mean is summed
    over replicas before the log; batch-norm statistics are synchronised; the
    mean teacher reads the same averaged weights on every replica; so 2
    replicas give one device's update."""
    result = _mirrored_check("joint", kind=kind)
    assert result["replicas"] == 2 and result["moved"] > 1e-3
    assert result["max_relative_difference"] < 1e-3


def test_batch_norm_backbone_trains_saves_and_keeps_old_layouts(tmp_path):
    plain = tiny()
    assert not any("batch_normalization" in v.path for v in plain.backbone.weights)
    model = tiny(batch_norm=True)
    assert model.get_config()["batch_norm"] is True
    assert any("batch_normalization" in v.path for v in model.backbone.weights)
    model.compile(optimizers={"task": "adam", "adversary": "adam"}, game="joint")
    model.fit(adaptation_batches(n=32), epochs=1, verbose=0)
    x = fake_images(8, shape=SHAPE)
    assert_keras_roundtrip(model, tmp_path / "bn.keras", lambda m: m.predict(x, verbose=0))


class TestDANNFamily(FamilyTestCase):
    family = "dann"
    mirrored_kind = "dann_bn"  # batch norm synchronised over a source + target batch
    mirrored_rule = "joint"
    presets = ("dann_fashion_mnist_m", "forget_fashion_mnist", "debiased_colored_fashion_mnist")

    def make_model(self):
        return tiny(batch_norm=True, lambda_=0.5)

    def train_data(self):
        return adaptation_batches(n=32, batch=16)

    def outputs(self, model):
        return model.predict(fake_images(4, seed=3, shape=SHAPE), verbose=0)
