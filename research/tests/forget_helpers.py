"""Tiny `ForgettingStudyNet`s for the research option tests."""

import keras
import numpy as np
import pytest

from research.forgetting.forget_model import ForgettingStudyNet
from tests.helpers import fake_images

SHAPE = (12, 12, 3)


def tiny(**kwargs):
    kwargs = {"image_shape": SHAPE, "width": 4, "feature_dim": 8, "hidden": 8, **kwargs}
    return ForgettingStudyNet(**kwargs)


def with_and_without(**option):
    """`(model, plain)`: a label-conditioned tiny model (lambda 0.5) with the
    given option, and the same network without it, at the same weights."""
    model = tiny(condition_on_label=True, lambda_=0.5, **option)
    plain = tiny(condition_on_label=True, lambda_=0.5)
    plain.set_weights(model.get_weights())
    return model, plain


def assert_option_saved(tmp_path, option, value, bad, match):
    """An option: echoed by get_config (default 0.0), kept by a .keras round
    trip with the same features, and each of the `bad` settings (dicts of
    arguments) refused with an error matching `match`."""
    model = tiny(**{option: value})
    assert getattr(ForgettingStudyNet.from_config(model.get_config()), option) == value
    assert tiny().get_config()[option] == 0.0
    path = tmp_path / f"{option}.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    assert getattr(restored, option) == value
    x = fake_images(4, shape=SHAPE)
    np.testing.assert_allclose(restored.features(x), model.features(x), atol=1e-6)
    for arguments in bad:
        with pytest.raises(ValueError, match=match):
            tiny(**arguments)
