"""Tiny `ForgettingStudyNet`s for the research option tests: the library's
DANN test helpers, on the research subclass."""

import functools

from research.forgetting.forget_model import ForgettingStudyNet
from tests.models.dann import test_dann

SHAPE = test_dann.SHAPE
tiny = functools.partial(test_dann.tiny, ForgettingStudyNet)
with_and_without = functools.partial(test_dann.with_and_without, ForgettingStudyNet)
assert_option_saved = functools.partial(test_dann.assert_option_saved, cls=ForgettingStudyNet)
