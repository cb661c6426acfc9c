"""Training from recipes: resume after interruption, no lost work, divergence guard."""

import json

import keras
import numpy as np
import pytest

from advzoo.callbacks import DivergenceGuard, EpochCheckpoint
from advzoo.training import TrainingDiverged, train
from tests.helpers import fake_images, tiny_dcgan

RECIPE = {"name": "tiny_run", "family": "dcgan", "description": "tiny",
          "model": {"latent_dim": 8, "width": 4, "seed": 0},
          "train": {"batch_size": 16, "epochs": 2, "seed": 0}}


def test_resume_continues_where_the_interrupted_run_stopped(tmp_path, monkeypatch):
    run = tmp_path / "run"
    import advzoo.training as training

    original = training.EpochCheckpoint

    class CheckpointThenInterrupt(original):
        """Like a kill (Ctrl-C) right after epoch 2 has been checkpointed."""

        def on_epoch_end(self, epoch, logs=None):
            super().on_epoch_end(epoch, logs)
            if epoch == 1:
                raise KeyboardInterrupt

    monkeypatch.setattr(training, "EpochCheckpoint", CheckpointThenInterrupt)
    with pytest.raises(KeyboardInterrupt):
        train(RECIPE, run_dir=run, epochs=3, max_steps_per_epoch=2, verbose=0)
    state = json.loads((run / "checkpoint" / "state.json").read_text())
    assert state["epoch"] == 2
    monkeypatch.setattr(training, "EpochCheckpoint", original)
    with pytest.raises(FileExistsError, match="--resume"):
        train(RECIPE, run_dir=run, epochs=3, max_steps_per_epoch=2, verbose=0)
    model, _, summary = train(RECIPE, run_dir=run, epochs=3, max_steps_per_epoch=2, verbose=0,
                              resume=True)
    # 2 epochs restored + 1 trained, 2 steps each: the optimizer counted all 6.
    assert int(model.generator_optimizer.iterations) == 6
    assert summary["epochs"] == 3 and summary["train_seconds"] > 0
    log = (run / "log.csv").read_text().strip().splitlines()
    assert len(log) == 1 + 3  # header + epochs 1, 2 (first run) and 3 (resumed)
    assert (run / "samples" / "epoch_003.png").exists() and (run / "loss_curves.png").exists()


def test_resume_without_checkpoint_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        train(RECIPE, run_dir=tmp_path / "r", resume=True, verbose=0)


class PoisonWeights(keras.callbacks.Callback):
    """Sets the generator weights to NaN in epoch 2, as a diverging run would."""

    def on_train_batch_begin(self, batch, logs=None):
        if self.params and getattr(self, "_epoch", 0) == 1:
            for v in self.model.generator.trainable_variables:
                v.assign(np.full(v.shape, np.nan, "float32"))

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch


def test_divergence_guard_stops_and_restores_last_good_checkpoint(tmp_path):
    model = tiny_dcgan()
    checkpoint = EpochCheckpoint(tmp_path / "ckpt")
    guard = DivergenceGuard(checkpoint)
    model.fit(fake_images(32), batch_size=16, epochs=3, verbose=0,
              callbacks=[PoisonWeights(), guard, checkpoint])
    assert guard.diverged is not None and "loss" in guard.diverged
    assert json.loads(checkpoint.state_path.read_text())["epoch"] == 1  # not overwritten
    for v in model.generator.trainable_variables:
        assert np.isfinite(v.numpy()).all()


def test_train_raises_when_the_run_diverges(tmp_path):
    recipe = json.loads(json.dumps(RECIPE))
    recipe["compile"] = {"optimizers": {
        "generator": {"class_name": "SGD", "config": {"learning_rate": 1e12}},
        "discriminator": {"class_name": "SGD", "config": {"learning_rate": 1e12}}}}
    with pytest.raises(TrainingDiverged, match="diverged"):
        train(recipe, run_dir=tmp_path / "r", epochs=3, max_steps_per_epoch=4, verbose=0)


def _with_lr(recipe, lr):
    optimizer = {"class_name": "Adam", "config": {"learning_rate": lr}}
    return {**recipe, "compile": {"optimizers": {"generator": optimizer,
                                                 "discriminator": optimizer}}}


def test_resume_with_an_edited_recipe_is_refused_or_applied_and_recorded(tmp_path):
    run = tmp_path / "run"
    first = _with_lr(RECIPE, 1e-3)
    train(first, run_dir=run, epochs=1, max_steps_per_epoch=2, verbose=0)
    edited = _with_lr(RECIPE, 5e-4)
    key = "compile.optimizers.generator.config.learning_rate"
    with pytest.raises(ValueError, match=f"{key}: 0.001 -> 0.0005.*--allow-recipe-change"):
        train(edited, run_dir=run, resume=True, epochs=2, max_steps_per_epoch=2, verbose=0)
    assert json.loads((run / "recipe.json").read_text()) == json.loads(json.dumps(
        __import__("advzoo").recipes.validate_recipe(first)))  # not rewritten by the refusal
    model, _, _ = train(edited, run_dir=run, resume=True, epochs=2, max_steps_per_epoch=2,
                        verbose=0, allow_recipe_change=True)
    assert float(model.generator_optimizer.learning_rate) == pytest.approx(5e-4)
    assert int(model.generator_optimizer.iterations) == 4  # the checkpoint's moments kept
    changes = json.loads((run / "recipe_changes.json").read_text())
    assert changes[0]["from_epoch"] == 1 and changes[0]["changes"][key]["new"] == 5e-4
    assert json.loads((run / "recipe.json").read_text())["compile"]["optimizers"][
        "generator"]["config"]["learning_rate"] == 5e-4
    # a longer run (train.epochs) is not a change of what the checkpoint holds
    longer = {**edited, "train": {**edited["train"], "epochs": 3}}
    train(longer, run_dir=run, resume=True, max_steps_per_epoch=2, verbose=0)


def test_init_from_keeps_the_recipes_learning_rate(tmp_path):
    source = train(_with_lr(RECIPE, 1e-3), run_dir=tmp_path / "a", epochs=1,
                   max_steps_per_epoch=2, verbose=0)[1] / "final.weights.h5"
    target = _with_lr(RECIPE, 2e-4)
    target["train"] = {**target["train"], "init_from": str(source)}
    model, _, _ = train(target, run_dir=tmp_path / "b", epochs=1, max_steps_per_epoch=1,
                        verbose=0)
    assert float(model.generator_optimizer.learning_rate) == pytest.approx(2e-4)
    assert int(model.generator_optimizer.iterations) == 3  # 2 restored + 1 new step


def test_loading_a_weights_file_keeps_the_registered_recipes_learning_rate(tmp_path):
    import advzoo

    model = advzoo.load("dcgan_fashion_mnist", weights=None)
    model.generator_optimizer.learning_rate = 0.05  # a run trained at another rate
    model.save_weights(tmp_path / "other_rate.weights.h5")
    loaded = advzoo.load("dcgan_fashion_mnist", weights=tmp_path / "other_rate.weights.h5")
    assert float(loaded.generator_optimizer.learning_rate) == pytest.approx(2e-4)
