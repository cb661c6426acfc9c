"""Training-time augmentation, virtual adversarial training and the mean teacher
for domain adaptation."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from advzoo.models.dann import DomainAdversarialNet
from advzoo.models.dann.dann_adabn import batch_norm_state
from advzoo.models.dann.dann_augment import (consistency_loss, intensity_augment,
                                             teacher_predictions, virtual_adversarial_loss)
from tests.helpers import assert_keras_roundtrip, fake_images
from tests.models.dann.test_dann import SHAPE, adaptation_batches, tiny


def test_intensity_augment_flips_channels_independently_and_only_when_asked():
    x = fake_images(400, shape=SHAPE)
    seed = keras.random.SeedGenerator(0)
    fixed = {"gain": (1.0, 1.0), "offset": 0.0, "noise": 0.0}
    np.testing.assert_allclose(intensity_augment(x, seed, flip=1.0, **fixed), -x)
    np.testing.assert_allclose(intensity_augment(x, seed, flip=0.0, **fixed), x)
    out = np.asarray(intensity_augment(x, seed, flip=0.5, **fixed))
    flipped = np.all(np.isclose(out, -x), axis=(1, 2))  # (images, channels)
    assert np.all(flipped | np.all(np.isclose(out, x), axis=(1, 2)))  # each channel: one or other
    assert 0.4 < flipped.mean() < 0.6
    assert 0.05 < (flipped.sum(1) % 3 != 0).mean()  # channels flip independently: colours appear
    noisy = np.asarray(intensity_augment(x, seed, flip=0.0, gain=(1.0, 1.0), offset=0.0,
                                         noise=0.1))
    assert np.std(noisy - x) == pytest.approx(0.1, rel=0.05)


def test_augmentation_applies_to_training_batches_only():
    keras.utils.set_random_seed(0)
    plain = tiny(batch_norm=False)
    augmented = tiny(augment="intensity")
    augmented.set_weights(plain.get_weights())
    x = fake_images(8, shape=SHAPE)
    np.testing.assert_array_equal(plain.predict(x, verbose=0), augmented.predict(x, verbose=0))
    data = augmented.prepare_batch(((x, np.zeros(8, "int32")), x))
    seen = augmented.inner_maximization(data)[0]
    assert not np.allclose(seen, data[0])
    assert plain.inner_maximization(data)[0] is data[0]
    for model in (plain, augmented):
        model.compile(optimizers={"task": "adam", "adversary": "adam"}, game="joint")
        assert np.isfinite(model.fit(adaptation_batches(n=32), epochs=1, verbose=0)
                           .history["task_loss"][0])
    # evaluation sees the images as they are: identical weights, identical scores
    augmented.set_weights(plain.get_weights())
    eval_x, eval_y = fake_images(16, shape=SHAPE), np.arange(16) % 10
    assert (plain.evaluate(eval_x, eval_y, verbose=0, return_dict=True)["accuracy"]
            == augmented.evaluate(eval_x, eval_y, verbose=0, return_dict=True)["accuracy"])


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="augment must be one of"):
        tiny(augment="colour")
    with pytest.raises(ValueError, match="target_vat must be >= 0"):
        tiny(target_vat=-1.0)
    with pytest.raises(ValueError, match="vat_radius > 0"):
        tiny(target_vat=1.0, vat_radius=0.0)


def test_virtual_adversarial_direction_changes_predictions_fastest():
    keras.utils.set_random_seed(0)
    model = tiny(input_norm="instance")
    x = tf.constant(fake_images(32, shape=SHAPE))
    probs = model(x, training=True)
    weights = tf.ones((32,))
    vat = float(virtual_adversarial_loss(lambda z: model(z, training=True), x, probs, weights,
                                         keras.random.SeedGenerator(1), radius=1.0))
    rng = np.random.default_rng(0)
    r = rng.standard_normal(x.shape).astype("float32")
    r /= np.sqrt((r ** 2).sum(axis=(1, 2, 3), keepdims=True))
    p, q = np.clip(probs, 1e-7, 1), np.clip(model(x + r, training=True), 1e-7, 1)
    random_kl = float(np.mean(np.sum(p * (np.log(p) - np.log(q)), -1)))
    assert vat > 5 * random_kl > 0
    # weights select the examples: none selected gives 0
    assert float(virtual_adversarial_loss(lambda z: model(z, training=True), x, probs,
                                          tf.zeros((32,)), keras.random.SeedGenerator(1))) == 0.0


def test_vat_trains_only_on_unlabelled_images_and_leaves_batch_norm_statistics_alone():
    """The perturbed passes must not move the batch-norm moving statistics:
    after one step with a zero learning rate, a model with VAT holds the same
    statistics as one without."""
    keras.utils.set_random_seed(0)
    models = [tiny(batch_norm=True, adversary="none", target_vat=vat) for vat in (0.0, 3.0)]
    models[1].set_weights(models[0].get_weights())
    for model in models:
        model.compile(optimizers={"task": keras.optimizers.SGD(0.0)})
        model.fit(adaptation_batches(n=16), epochs=1, verbose=0)
    for (m0, v0), (m1, v1) in zip(*(batch_norm_state(m) for m in models)):
        np.testing.assert_allclose(m0, m1, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(v0, v1, rtol=1e-5, atol=1e-6)
    # the VAT term is part of the task loss on adaptation batches...
    batch = next(iter(adaptation_batches(n=16)))
    data = models[1].prepare_batch(batch)
    with_vat, extras = models[1].task_loss(data)
    without, _ = models[0].task_loss(data)
    assert float(with_vat) > float(without) == pytest.approx(float(extras["classification_loss"]))
    # ...and absent where every image is labelled (no target to smooth)
    (xs, ys), _ = batch
    labelled = models[1].prepare_batch((xs, ys))
    assert float(models[1].task_loss(labelled)[0]) == pytest.approx(
        float(models[0].task_loss(labelled)[0]), rel=1e-6)


def test_augmented_vat_model_saves_and_loads(tmp_path):
    model = tiny(batch_norm=True, augment="intensity", target_vat=1.0, vat_radius=1.5,
                 target_entropy=0.1)
    model.compile(optimizers={"task": "adam", "adversary": "adam"}, game="joint")
    model.fit(adaptation_batches(n=32), epochs=1, verbose=0)
    x = fake_images(8, shape=SHAPE)
    restored = assert_keras_roundtrip(model, tmp_path / "vada.keras",
                                      lambda m: m.predict(x, verbose=0))
    assert restored.get_config()["target_vat"] == 1.0
    assert restored.get_config()["augment"] == "intensity"
    assert isinstance(restored, DomainAdversarialNet)


def test_vat_reads_the_weights_a_stateless_scope_maps_to():
    """Update rules that take gradients at other weights (extragradient's
    look-ahead) map variables in a StatelessScope: VAT's own passes must see
    those weights too."""
    from keras import StatelessScope

    keras.utils.set_random_seed(0)
    model = tiny(adversary="none", target_vat=1.0)
    x = fake_images(16, shape=SHAPE)
    data = model.prepare_batch(((x[:8], np.arange(8) % 10), x[8:]))
    shifted = [(v, v.value * 1.5) for v in model.trainable_variables]

    def loss():
        model.augment_seed.state.assign([0, 0])  # the same VAT direction both times
        return float(model.task_loss(data)[0])

    with StatelessScope(state_mapping=shifted):
        mapped = loss()
    for v, value in shifted:
        v.assign(value)
    assert mapped == pytest.approx(loss(), rel=1e-5)


EMA_ADAM = {"class_name": "Adam", "config": {"learning_rate": 0.01, "use_ema": True,
                                            "ema_momentum": 0.9}}


def test_mean_teacher_needs_an_averaging_optimizer_and_sane_settings():
    model = tiny(adversary="none", target_consistency=1.0)
    with pytest.raises(ValueError, match="use_ema=True"):
        model.compile(optimizers={"task": "adam"})
    with pytest.raises(ValueError, match="consistency_threshold in"):
        tiny(target_consistency=1.0, consistency_threshold=1.0)
    with pytest.raises(ValueError, match="target_consistency must be >= 0"):
        tiny(target_consistency=-0.5)


def test_teacher_is_the_network_at_the_moving_average_of_its_weights():
    keras.utils.set_random_seed(0)
    model = tiny(adversary="none", batch_norm=True, augment="intensity", target_consistency=1.0)
    model.compile(optimizers={"task": EMA_ADAM})
    task, opt = model.players()[0], model.task_optimizer
    x = fake_images(8, shape=SHAPE)
    predict = lambda z: model.call(z, training=False)  # noqa: E731
    # before any update the average is unset: the teacher is the network itself
    np.testing.assert_allclose(teacher_predictions(predict, task.trainable_variables, opt, x),
                               predict(x), atol=1e-6)
    model.fit(adaptation_batches(n=32), epochs=1, verbose=0)  # fit ends on the averaged weights
    student = [v.numpy() + 0.05 for v in task.trainable_variables]  # move the student away
    for v, value in zip(task.trainable_variables, student):
        v.assign(value)
    teacher = np.asarray(teacher_predictions(predict, task.trainable_variables, opt, x))
    moved = np.asarray(predict(x))
    assert not np.allclose(teacher, moved, atol=1e-4)
    for v, value in zip(task.trainable_variables, student):  # the teacher pass wrote nothing
        np.testing.assert_array_equal(v.numpy(), value)
    averages = [opt._model_variables_moving_average[opt._get_variable_index(v)].numpy()
                for v in task.trainable_variables]
    for v, value in zip(task.trainable_variables, averages):
        v.assign(value)
    np.testing.assert_allclose(teacher, predict(x), atol=1e-5)
    assert opt.iterations.numpy() == 2


def test_consistency_counts_confident_unlabelled_images_only():
    probs = np.array([[0.5, 0.5], [0.5, 0.5], [0.5, 0.5]], "float32")
    teacher = np.array([[1.0, 0.0], [0.6, 0.4], [1.0, 0.0]], "float32")
    unlabelled = np.array([1.0, 1.0, 0.0], "float32")
    # only the first image: confident and unlabelled; mean over the 2 unlabelled
    assert float(consistency_loss(probs, teacher, unlabelled, 0.9)) == pytest.approx(0.25)
    assert float(consistency_loss(probs, teacher, unlabelled, 0.5)) == pytest.approx(
        (0.5 + 0.02) / 2)


def test_mean_teacher_term_trains_and_pulls_the_student_towards_the_teacher():
    keras.utils.set_random_seed(1)
    model = tiny(adversary="reversal", augment="intensity", target_consistency=5.0,
                 consistency_threshold=0.0)
    model.compile(optimizers={"task": EMA_ADAM, "adversary": "adam"}, game="joint")
    x = fake_images(16, shape=SHAPE)
    data = model.inner_maximization(model.prepare_batch(((x[:8], np.arange(8) % 10), x[8:])))
    assert len(data) == 6 and tuple(data[5].shape) == (16, 10)
    with_term = float(model.task_loss(data)[0])
    without = float(model.task_loss(data[:5])[0])
    assert with_term > without  # the student's augmented view differs from the teacher's
    history = model.fit(adaptation_batches(), epochs=2, verbose=0).history
    assert np.all(np.isfinite(history["task_loss"]))


def test_mean_teacher_model_saves_and_loads(tmp_path):
    model = tiny(adversary="none", augment="intensity", target_consistency=2.0,
                 consistency_threshold=0.8)
    model.compile(optimizers={"task": EMA_ADAM})
    model.fit(adaptation_batches(n=32), epochs=1, verbose=0)
    x = fake_images(8, shape=SHAPE)
    restored = assert_keras_roundtrip(model, tmp_path / "mt.keras",
                                      lambda m: m.predict(x, verbose=0))
    assert restored.get_config()["target_consistency"] == 2.0
    assert restored.get_config()["consistency_threshold"] == 0.8
    assert restored.task_optimizer.use_ema
