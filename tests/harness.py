"""The shared family test harness, in the spirit of keras-hub's `TestCase`.

A family's tests subclass `FamilyTestCase` as `Test<Family>Family` and say
how to build a tiny model, feed it and read its outputs; the harness checks
what every family must do:

* build, compile and fit a few steps, with finite losses that move weights;
* `get_config` echoes every constructor argument (`from_config` rebuilds
  the same config);
* a `.keras` round trip keeps the outputs and every optimizer's state, and
  training continues identically;
* mirrored training on 2 logical CPUs equals single-device training (in a
  fresh process: `tests/mirrored_check.py`);
* the family declares what the CLI, tuner and evaluation need;
* (slow) each published preset loads and reproduces its recorded metrics.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def optimizer_variables(model):
    """`{name: array}` of every optimizer variable (one optimizer per player
    for games, `model.optimizer` otherwise)."""
    if hasattr(model, "players"):
        optimizers = {p.name: model.optimizer_for(p) for p in model.players()}
    else:
        optimizers = {"optimizer": model.optimizer}
    return {f"{name}/{i}": np.asarray(v.numpy()).copy()
            for name, opt in optimizers.items() for i, v in enumerate(opt.variables)}


def mirrored_check(rule, kind):
    """Runs `tests/mirrored_check.py` in a fresh process; returns its JSON."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "tests.mirrored_check", json.dumps(rule), kind],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def assert_reproduces_recorded_metrics(name):
    """`advzoo eval`'s numbers equal the manifest's: exactly on one thread of
    the CPU that recorded them; on another CPU (oneDNN rounds differently)
    metrics that fit a probe or run an attack may move a little, so up to 1
    point is allowed (0.01 on a 0-1 scale, 1.0 on a percent scale: the triplet
    family's metrics, and any value above 1.5)."""
    import advzoo
    from advzoo import presets
    from advzoo.registry import get_family, get_recipe

    entry = presets.preset_entry(name)
    recipe = get_recipe(name)
    metrics = get_family(recipe["family"]).evaluate(advzoo.load(name), recipe)
    assert set(metrics) == set(entry["metrics"])
    percent = recipe["family"] == "triplet"  # RobRank's tables: every metric in percent

    def gap(a, b):  # lists (a class histogram) compare element by element
        return max(abs(x - y) for x, y in zip(a, b)) if isinstance(b, list) else abs(a - b)

    far = {k: (metrics[k], v) for k, v in entry["metrics"].items()
           if gap(metrics[k], v) > (1.0 if percent or not isinstance(v, list) and abs(v) > 1.5
                                    else 0.01)}
    assert not far, f"evaluated vs recorded: {far}"


class FamilyTestCase:
    """Subclass and set `family`, `make_model`, `compile_model`, `train_data`,
    `outputs`; optionally `mirrored_kind`, `mirrored_rule`, `presets`."""

    family = None
    mirrored_kind = None  # a kind of tests/mirrored_check.py, or None (see the subclass)
    mirrored_rule = "alternating"
    presets = ()

    def make_model(self):
        """A tiny, uncompiled model of the family."""
        raise NotImplementedError

    def compile_model(self, model):
        model.compile(optimizers={p.name: keras.optimizers.Adam(1e-3) for p in model.players()})

    def train_data(self):
        """What `fit` takes: a `tf.data.Dataset` of a few small batches."""
        raise NotImplementedError

    def outputs(self, model):
        """A deterministic array of the model's outputs (inference)."""
        raise NotImplementedError

    def deterministic_model(self):
        """The tiny model without random draws inside training (dropout,
        random miners, penalty interpolates) for the continued-training
        check: Keras's `.keras` files do not hold seed-generator states, so a
        restored model's draws differ from the original's. Default: `make_model()`."""
        return self.make_model()

    def continue_data(self):
        """A batch for the continued-training check; families that sample
        noise while training (latents, prior samples) pass it explicitly."""
        import tensorflow as tf

        return tf.data.Dataset.from_tensors(next(iter(self.train_data())))  # one fixed batch

    def compiled(self):
        model = self.make_model()
        self.compile_model(model)
        return model

    # ------------------------------------------------------------ the checks
    def test_builds_and_fits_a_few_steps(self):
        model = self.compiled()
        before = [w.numpy().copy() for w in model.trainable_weights]
        history = model.fit(self.train_data(), epochs=1, verbose=0).history
        losses = {k: v[-1] for k, v in history.items() if k.endswith("loss")}
        assert losses and all(np.isfinite(v) for v in losses.values()), history
        moved = [not np.array_equal(a, w.numpy()) for a, w in zip(before, model.trainable_weights)]
        assert any(moved)
        assert np.all(np.isfinite(self.outputs(model)))

    def test_get_config_echoes_every_argument(self):
        import inspect

        model = self.make_model()
        config = model.get_config()
        rebuilt = type(model).from_config(config)
        assert {**rebuilt.get_config(), "name": None} == {**config, "name": None}
        signature = inspect.signature(type(model).__init__).parameters
        arguments = {n for n, p in signature.items() if n != "self"
                     and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
        assert arguments <= set(config), sorted(arguments - set(config))

    def test_keras_round_trip_keeps_outputs_and_optimizer_state(self, tmp_path):
        model = self.deterministic_model()
        self.compile_model(model)
        model.fit(self.train_data(), epochs=1, verbose=0)
        model.save(tmp_path / "m.keras")
        restored = keras.saving.load_model(tmp_path / "m.keras")
        np.testing.assert_allclose(self.outputs(restored), self.outputs(model), atol=1e-6)
        ours, theirs = optimizer_variables(model), optimizer_variables(restored)
        assert ours.keys() == theirs.keys() and ours
        for key in ours:
            np.testing.assert_array_equal(ours[key], theirs[key], err_msg=key)
        # training continues identically from the restored state
        data = self.continue_data()
        model.fit(data, epochs=1, verbose=0)
        restored.fit(data, epochs=1, verbose=0)
        np.testing.assert_allclose(self.outputs(restored), self.outputs(model), atol=1e-5)

    def test_mirrored_training_equals_single_device(self):
        if self.mirrored_kind is None:
            pytest.skip(f"{self.family}: checked by its own mirrored test")
        result = mirrored_check(self.mirrored_rule, self.mirrored_kind)
        assert result["replicas"] == 2 and result["moved"] > 1e-3
        assert result["max_relative_difference"] < 1e-3

    def test_family_declares_what_the_cli_and_tuner_need(self):
        from advzoo.family import Family
        from advzoo.registry import get_family

        family = get_family(self.family)
        assert isinstance(family, Family) and family.name == self.family
        assert family.headline, "the model table needs headline metrics"
        for preset in self.presets:
            from advzoo.registry import get_recipe

            recipe = get_recipe(preset)
            assert recipe["family"] == self.family
            model = family.build(recipe)
            assert isinstance(model, keras.Model)
            assert set(recipe["evaluate"]) <= set(family.eval_options) | {"seed"}, \
                "every evaluation setting of a recipe can be overridden by `advzoo eval --set`"

    @pytest.mark.slow
    def test_presets_reproduce_their_recorded_metrics(self):
        import advzoo

        published = set(advzoo.list_models(pretrained=True))
        for name in self.presets:
            if name in published:
                assert_reproduces_recorded_metrics(name)


class GANFamilyTestCase(FamilyTestCase):
    """`FamilyTestCase` for GANs (latent size 8): unlabelled images in
    [-1, 1], `generate` as the outputs, explicit latents when training
    continues."""

    def train_data(self):
        import tensorflow as tf

        from tests.helpers import fake_images

        return tf.data.Dataset.from_tensor_slices(fake_images(16)).batch(8)

    def outputs(self, model):
        return model.generate(4, seed=0)

    def continue_data(self):
        import tensorflow as tf

        from tests.helpers import fake_images

        z = np.random.default_rng(5).standard_normal((8, 8)).astype("float32")
        return tf.data.Dataset.from_tensors((fake_images(8, seed=5), z))
