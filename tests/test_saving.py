"""User presets: `save_to_preset` writes keras-hub's layout, and
`advzoo.load(directory)` / `<Family>.from_preset` read it back, verified."""

import json

import numpy as np
import pytest
import yaml

import advzoo
from advzoo import presets
from tests.helpers import TINY, assert_same_arrays, fake_images, optimizer_states



@pytest.fixture
def fine_tuned(tmp_path, monkeypatch):
    configs = tmp_path / "configs"
    configs.mkdir()
    (configs / "tiny_dcgan.yaml").write_text(yaml.safe_dump(TINY))
    monkeypatch.setenv("ADVZOO_CONFIG_DIR", str(configs))
    model = advzoo.load("tiny_dcgan", weights=None)
    model.fit(fake_images(16), batch_size=8, epochs=1, verbose=0)
    return model


def test_fine_tuned_model_round_trips_with_outputs_and_optimizer_state(fine_tuned, tmp_path):
    meta = advzoo.save_to_preset(fine_tuned, tmp_path / "mine", metrics={"score": 0.5})
    assert sorted(p.name for p in (tmp_path / "mine").iterdir()) == [
        "config.json", "metadata.json", "model.weights.h5"]
    on_disk = json.loads((tmp_path / "mine" / "metadata.json").read_text())
    assert on_disk["recipe"] == meta["recipe"] and on_disk["metrics"] == {"score": 0.5}
    assert on_disk["files"]["model.weights.h5"]["sha256"] == presets.sha256_of(
        tmp_path / "mine" / "model.weights.h5")
    config = json.loads((tmp_path / "mine" / "config.json").read_text())
    assert config["keras_config"]["class_name"] == "DCGAN"
    for loaded in (advzoo.load(str(tmp_path / "mine")),
                   advzoo.models.dcgan.DCGAN.from_preset(tmp_path / "mine")):
        np.testing.assert_array_equal(loaded.generate(4, seed=3), fine_tuned.generate(4, seed=3))
        assert_same_arrays(optimizer_states(loaded), optimizer_states(fine_tuned))
        assert int(loaded.generator_optimizer.iterations) == 2
    again = advzoo.load(tmp_path / "mine")  # a Path works too, and the loaded model re-saves
    again.save_to_preset(tmp_path / "copy")
    copy = advzoo.load(tmp_path / "copy")
    np.testing.assert_array_equal(copy.generate(2, seed=1), fine_tuned.generate(2, seed=1))
    assert {**copy.get_config(), "name": None} == {**fine_tuned.get_config(), "name": None}


def test_from_preset_refuses_another_family(fine_tuned, tmp_path):
    from advzoo.models.wgan import WGAN

    fine_tuned.save_to_preset(tmp_path / "mine")
    with pytest.raises(ValueError, match="is a DCGAN, not a WGAN"):
        WGAN.from_preset(tmp_path / "mine")


def test_corrupt_or_incomplete_preset_directories_are_refused(fine_tuned, tmp_path):
    fine_tuned.save_to_preset(tmp_path / "mine")
    weights = tmp_path / "mine" / "model.weights.h5"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(presets.WeightsIntegrityError, match="sha256"):
        advzoo.load(tmp_path / "mine")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="not an advzoo preset directory"):
        advzoo.load(tmp_path / "empty")
    with pytest.raises(ValueError, match="takes no weights"):
        advzoo.load(tmp_path / "mine", weights=None)


def test_saving_without_optimizer_state_and_a_model_without_recipe(fine_tuned, tmp_path):
    advzoo.save_to_preset(fine_tuned, tmp_path / "small", optimizer_state=False)
    loaded = advzoo.load(tmp_path / "small")
    np.testing.assert_array_equal(loaded.generate(2, seed=0), fine_tuned.generate(2, seed=0))
    assert int(loaded.generator_optimizer.iterations) == 0
    from tests.helpers import tiny_dcgan

    with pytest.raises(ValueError, match="needs the recipe"):
        advzoo.save_to_preset(tiny_dcgan(), tmp_path / "x")
    advzoo.save_to_preset(tiny_dcgan(), tmp_path / "x", recipe=TINY)
    assert advzoo.load(tmp_path / "x").latent_dim == 8


def test_a_rewritten_preset_directory_is_replaced_whole(fine_tuned, tmp_path):
    fine_tuned.save_to_preset(tmp_path / "mine")
    (tmp_path / "mine" / "stale.txt").write_text("from an older save")
    fine_tuned.save_to_preset(tmp_path / "mine")
    assert not (tmp_path / "mine" / "stale.txt").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".mine")]
