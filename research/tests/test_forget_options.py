"""ForgettingStudyNet's condition_adversary and grey_instance input."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from research.forgetting.forget_model import ForgettingStudyNet
from research.tests.forget_helpers import SHAPE, tiny
from tests.helpers import fake_images


def test_condition_adversary_sets_what_the_adversary_sees_apart_from_the_mmd():
    from advzoo.models.dann.dann_schedules import group_mk_mmd

    x, y = fake_images(32, shape=SHAPE), np.arange(32) % 10
    a = np.arange(32) // 16
    # class-conditional MMD next to an adversary that sees the features only
    model = tiny(condition_on_label=True, condition_adversary=False, mmd_weight=2.0,
                 lambda_=0.5)
    assert model.adversary_head.inputs[0].shape[-1] == 8  # features, no one-hot label
    assert tiny(condition_on_label=True).adversary_head.inputs[0].shape[-1] == 18
    assert tiny(condition_adversary=True).adversary_head.inputs[0].shape[-1] == 18
    batch = model.prepare_batch((tf.constant(x), tf.constant(y), tf.constant(a)))
    f = model.backbone(batch[0], training=False)
    logits = model.adversary_head(f)
    ce = float(keras.losses.SparseCategoricalCrossentropy(from_logits=True)(a, logits))
    assert float(model.adversary_loss(batch, training=False)[0]) == pytest.approx(ce, rel=1e-5)
    af = a.astype("float32")
    cmmd = float(group_mk_mmd(f, 1.0 - af, af, labels=np.eye(10, dtype="float32")[y]))
    marginal = float(group_mk_mmd(f, 1.0 - af, af))
    assert abs(cmmd - marginal) > 1e-3 * marginal  # the two MMDs differ on this batch
    out = model._forward(batch, training=False)
    assert float(out["mmd"]) == pytest.approx(cmmd, rel=1e-4)  # still class-conditional
    assert model.predict_nuisance(x).shape == (32, 2)  # no labels needed
    restored = ForgettingStudyNet.from_config(model.get_config())
    assert restored.condition_adversary is False and restored.condition_on_label
    assert ForgettingStudyNet.from_config(tiny().get_config()).condition_adversary is None
    with pytest.raises(ValueError, match="condition_adversary sets what an adversary"):
        tiny(adversary="mmd", condition_adversary=False)


def test_grey_instance_input_ignores_colour_and_survives_saving(tmp_path):
    model = tiny(input_norm="grey_instance")
    x = fake_images(6, shape=SHAPE)
    permuted = x[..., ::-1]  # the same image with its colours swapped
    brighter = x + 0.2  # and brighter
    np.testing.assert_allclose(model.features(permuted), model.features(x), atol=1e-5)
    np.testing.assert_allclose(model.features(brighter), model.features(x), atol=1e-4)
    assert not np.allclose(tiny(input_norm="instance").features(permuted),
                           tiny(input_norm="instance").features(x))
    assert [w.shape for w in model.weights] == [w.shape for w in tiny(input_norm="grey_instance").weights]
    path = tmp_path / "grey.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    assert restored.input_norm == "grey_instance"
    np.testing.assert_allclose(restored.features(x), model.features(x), atol=1e-6)
    with pytest.raises(ValueError, match="input_norm must be one of"):
        tiny(input_norm="grey")
