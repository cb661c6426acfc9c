"""The shipped presets: they load, behave, fine-tune, and their recorded
metrics are what evaluation prints (slow: full 10k-sample evaluation)."""

import numpy as np
import pytest

import advzoo
from advzoo import presets

pytestmark = pytest.mark.skipif(
    not {"dcgan_fashion_mnist", "fashion_mnist_classifier"} <= set(advzoo.list_models(pretrained=True)),
    reason="needs the shipped presets")


def test_pretrained_dcgan_makes_varied_garments_and_fine_tunes_from_its_optimizer_state():
    model = advzoo.load("dcgan_fashion_mnist")
    images = model.generate(500, seed=0)
    assert images.shape == (500, 28, 28, 1) and -1 <= images.min() and images.max() <= 1
    classes = advzoo.load("fashion_mnist_classifier").predict(images, verbose=0).argmax(-1)
    assert len(np.unique(classes)) == 10  # every class is generated
    restored_steps = int(model.generator_optimizer.iterations)
    assert restored_steps == 12 * 937  # the published run's optimizer state came along
    x, _ = advzoo.data.load("fashion_mnist", "test")
    model.fit(advzoo.data.make_dataset(x[:128], batch_size=64), epochs=1, verbose=0)
    assert int(model.generator_optimizer.iterations) == restored_steps + 2


def test_classifier_is_accurate_on_a_test_slice():
    x, y = advzoo.data.load("fashion_mnist", "test")
    probs = advzoo.load("fashion_mnist_classifier").predict(advzoo.data.to_float(x[:1000]), verbose=0)
    np.testing.assert_allclose(probs.sum(-1), 1.0, rtol=1e-5)
    assert np.mean(probs.argmax(-1) == y[:1000]) > 0.9


def test_every_published_preset_has_a_family_test_case():
    """Each family's FamilyTestCase reproduces its presets' metrics (slow)."""
    import importlib

    covered = set()
    for family in {advzoo.info(n)["family"] for n in presets.read_manifest()["presets"]}:
        module = importlib.import_module(f"tests.models.{family}.test_{family}")
        cases = [c for c in vars(module).values() if isinstance(c, type)
                 and c.__name__.startswith("Test") and hasattr(c, "presets")]
        assert cases, family
        covered |= {p for c in cases for p in c.presets}
    assert set(presets.read_manifest()["presets"]) <= covered


def test_published_recipes_are_the_registered_ones():
    """One recipe source: the manifest's copy of each recipe is the record of
    what trained it, and equals the registered recipe that `load` builds from."""
    from advzoo.recipes import validate_recipe
    from advzoo.registry import get_recipe

    for name, entry in presets.read_manifest()["presets"].items():
        assert validate_recipe(entry["recipe"]) == get_recipe(name), name
