import shutil

import pytest

import advzoo
import advzoo.training
from advzoo import _paths
from advzoo.recipes import RecipeError, read_recipe


@pytest.fixture
def config_dir(tmp_path, monkeypatch):
    """A private copy of zoo_configs/ that tests may add to."""
    target = tmp_path / "zoo_configs"
    shutil.copytree(_paths.config_dir(), target)
    monkeypatch.setenv("ADVZOO_CONFIG_DIR", str(target))
    return target


def test_list_models_is_sorted_and_filters_pretrained():
    names = advzoo.list_models()
    assert names == sorted(names) and "dcgan_fashion_mnist" in names
    pretrained = advzoo.list_models(pretrained=True)
    assert set(pretrained) <= set(names)


def test_unknown_name_suggests_close_matches():
    with pytest.raises(ValueError, match="Did you mean 'dcgan_fashion_mnist'"):
        advzoo.load("dcgan_fashon_mnist")
    with pytest.raises(ValueError, match="Unknown model"):
        advzoo.info("zzz")


def test_random_init_builds_compiled_model():
    model = advzoo.load("dcgan_fashion_mnist", weights=None)
    assert model.compiled and model.latent_dim == 64
    assert model.generate(2, seed=0).shape == (2, 28, 28, 1)


def test_registered_without_weights_says_how_to_train(config_dir):
    recipe = (config_dir / "dcgan_fashion_mnist.yaml").read_text()
    (config_dir / "dcgan_untrained.yaml").write_text(
        recipe.replace("name: dcgan_fashion_mnist", "name: dcgan_untrained"))
    assert "dcgan_untrained" in advzoo.list_models()
    assert "dcgan_untrained" not in advzoo.list_models(pretrained=True)
    assert advzoo.info("dcgan_untrained")["pretrained"] is False
    with pytest.raises(LookupError, match="advzoo train dcgan_untrained --export"):
        advzoo.load("dcgan_untrained")
    assert advzoo.load("dcgan_untrained", weights=None).compiled


@pytest.mark.parametrize("text, match", [
    ("name: [unclosed", "not valid YAML"),
    ("- a list", "must be a mapping"),
    ("name: x\nfamily: dcgan", "'description' must be a str"),
    ("name: x\nfamily: dcgan\ndescription: d\nmodel: 3", "section 'model' must be a mapping"),
    ("name: x\nfamily: dcgan\ndescription: d\nmodle: {}", "unknown top-level keys"),
    ("name: x\nfamily: dcgan\ndescription: d\ntrain: {epochs: -1}", "train.epochs must be a positive"),
])
def test_malformed_recipes_name_the_problem(tmp_path, text, match):
    path = tmp_path / "x.yaml"
    path.write_text(text)
    with pytest.raises(RecipeError, match=match):
        read_recipe(path)


def test_missing_recipe_file():
    with pytest.raises(RecipeError, match="does not exist"):
        read_recipe("zoo_configs/nope.yaml")


def test_name_must_match_file(config_dir):
    (config_dir / "other.yaml").write_text("name: dcgan_fashion_mnist\nfamily: dcgan\ndescription: d\n")
    with pytest.raises(ValueError, match="must match"):
        advzoo.info("other")


def test_weights_for_another_architecture_are_rejected(tmp_path):
    small = advzoo.load("dcgan_fashion_mnist", weights=None)
    from tests.helpers import tiny_dcgan

    tiny = tiny_dcgan()
    tiny.save_weights(tmp_path / "tiny.weights.h5")
    with pytest.raises(ValueError, match="does not fit the architecture"):
        advzoo.load("dcgan_fashion_mnist", weights=tmp_path / "tiny.weights.h5")
    with pytest.raises(FileNotFoundError, match="is not a file"):
        advzoo.load("dcgan_fashion_mnist", weights=tmp_path / "none.weights.h5")
    assert small.compiled


@pytest.mark.parametrize("change, match", [
    (("train", "batch_szie", 32), r"train\.batch_szie is not a setting.*Did you mean 'batch_size'"),
    (("model", "widht", 8), r"model\.widht is not a setting.*Did you mean 'width'"),
    (("data", "clases", [1]), r"data\.clases.*Did you mean 'classes'"),
    (("train", "epochs", True), r"train\.epochs must be a positive integer, got True"),
    (("compile", "optimizers", {"generator": {"class_name": "Adam",
                                              "config": {"learning_rate": -0.1}}}),
     "learning_rate of 'generator' must be a positive number"),
])
def test_recipes_are_checked_against_their_familys_schema(change, match):
    import copy

    from advzoo.recipes import RecipeError
    from advzoo.registry import get_recipe

    recipe = copy.deepcopy(get_recipe("dcgan_fashion_mnist"))
    section, key, value = change
    recipe[section][key] = value
    with pytest.raises(RecipeError, match=match):
        advzoo.training.build_model(recipe)


def test_every_registered_recipe_passes_its_schema():
    from advzoo.recipe_schema import validate_for_family
    from advzoo.registry import get_family, get_recipe

    for name in advzoo.list_models():
        recipe = get_recipe(name)
        validate_for_family(recipe, get_family(recipe["family"]))
