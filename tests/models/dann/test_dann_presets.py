"""The `dann` family through recipes: every shipped recipe trains a few steps,
schedules are applied, evaluation reports what it should, tuning works."""

import copy

import keras_tuner as kt
import numpy as np
import pytest

import advzoo
from advzoo.models.dann.dann_presets import (steps_per_epoch, train_data, training_arrays,
                                             validation_split)
from advzoo.models.dann.dann_schedules import reversal_strength
from advzoo.recipes import read_recipe
from advzoo.registry import recipe_paths
from advzoo.training import train

DANN_RECIPES = ["dann_fashion_mnist_m", "forget_fashion_mnist", "debiased_colored_fashion_mnist"]


def small(name, **model):
    recipe = read_recipe(recipe_paths()[name])
    recipe["model"].update({"width": 4, "feature_dim": 8, "hidden": 8, **model})
    recipe["train"].update({"batch_size": 16, "epochs": 2})
    return recipe


@pytest.mark.parametrize("name", DANN_RECIPES)
def test_recipe_batches_have_the_documented_form(name):
    recipe = small(name)
    ds, steps = train_data(recipe)
    batch = next(iter(ds))
    if recipe["data"]["setting"] == "adaptation":
        (xs, ys), xt = batch
        assert xs.shape == xt.shape == (16, 28, 28, 3) and ys.shape == (16,)
    else:
        x, y, nuisance = batch[:3]
        assert x.shape == (16, 28, 28, 3)
        assert int(np.max(nuisance)) < recipe["model"]["num_nuisance"]
        if recipe["data"].get("balance_adversary"):  # per-example adversary weights
            assert len(batch) == 4 and float(np.min(batch[3])) > 0
    assert float(np.min(batch[0][0] if isinstance(batch[0], tuple) else batch[0])) >= -1.0
    assert steps > 100


@pytest.mark.parametrize("setting", ["adaptation", "source_only", "target_oracle", "forget",
                                     "colour"])
def test_schedule_length_matches_the_data_of_every_setting(setting):
    # the learning-rate schedule is built from steps_per_epoch before any data is
    # loaded; it must count the batches train_data really yields
    recipe = small("dann_fashion_mnist_m")
    recipe["data"]["setting"] = setting
    _, steps = train_data(recipe)
    assert steps_per_epoch(recipe) == steps


def test_training_from_a_recipe_ramps_lambda_and_resumes_the_schedule(tmp_path):
    recipe = small("dann_fashion_mnist_m")
    lam = recipe["train"]["lambda_schedule"]["lambda_max"]  # the recipe's own (0.3)
    model, run, _ = train(recipe, run_dir=tmp_path / "run", verbose=0, max_steps_per_epoch=3)
    # 2 epochs x 3 steps; the last step ran at p = 5/6 of lambda_max.
    assert model.reversal.lambda_ == pytest.approx(reversal_strength(5 / 6, lam), rel=1e-5)
    assert ",lambda," in (run / "log.csv").read_text().splitlines()[0]
    longer = copy.deepcopy(recipe)
    longer["train"]["epochs"] = 3
    model, _, _ = train(longer, run_dir=tmp_path / "run", resume=True, verbose=0,
                        max_steps_per_epoch=3)
    assert int(model.task_optimizer.iterations.numpy()) == 9
    assert model.reversal.lambda_ == pytest.approx(reversal_strength(8 / 9, lam), rel=1e-5)


def test_a_finished_mean_teacher_run_resumes_to_the_averaged_weights(tmp_path):
    # checkpoints are taken inside fit, before it swaps in the optimizer's moving
    # average: restoring a finished run must end on the same (averaged) weights
    recipe = small("dann_fashion_mnist_m", target_consistency=1.0)
    task = recipe["compile"]["optimizers"]["task"]
    task["config"] = {**task.get("config", {}), "use_ema": True, "ema_momentum": 0.9}
    model, run, _ = train(recipe, run_dir=tmp_path / "run", verbose=0, max_steps_per_epoch=3)
    x = np.random.default_rng(0).uniform(-1, 1, (4, 28, 28, 3)).astype("float32")
    finished = model.predict(x, verbose=0)
    restored, _, _ = train(recipe, run_dir=tmp_path / "run", resume=True, verbose=0,
                           max_steps_per_epoch=3)
    assert int(restored.task_optimizer.iterations.numpy()) == 6
    np.testing.assert_allclose(restored.predict(x, verbose=0), finished, atol=1e-6)
    ema = restored.task_optimizer._model_variables_moving_average
    for v in restored.players()[0].trainable_variables:  # the weights are the averages
        np.testing.assert_array_equal(
            v.numpy(), ema[restored.task_optimizer._get_variable_index(v)].numpy())


def test_source_only_and_oracle_settings_use_one_domain():
    recipe = small("dann_fashion_mnist_m", adversary="none")
    recipe["data"]["setting"] = "source_only"
    x, y = training_arrays(recipe)
    assert x.shape == (25000, 28, 28, 3) and np.all(x[..., 0] == x[..., 2])  # grey as RGB
    recipe["data"]["setting"] = "target_oracle"
    x, y = training_arrays(recipe)
    assert x.shape == (25000, 28, 28, 3) and np.any(x[..., 0] != x[..., 2])
    recipe["data"]["setting"] = "elsewhere"
    with pytest.raises(ValueError, match="data.setting must be one of"):
        training_arrays(recipe)


def test_dann_hypermodel_searches_and_scores_validation_accuracy(tmp_path):
    from advzoo.tuning import hypermodel_for

    recipe = small("dann_fashion_mnist_m")
    x_val, y_val = validation_split(recipe)
    ds, _ = train_data(recipe)
    hypermodel = hypermodel_for("dann", recipe=recipe,
                                validation_data=(advzoo.data.to_float(x_val[:200]), y_val[:200]),
                                steps_per_epoch=3)
    assert hypermodel.objective.direction == "max"
    tuner = kt.RandomSearch(hypermodel, objective=hypermodel.objective, max_trials=2, seed=0,
                            directory=str(tmp_path), project_name="dann")
    tuner.search(ds.take(3), epochs=1, verbose=0)
    trials = tuner.oracle.get_best_trials(2)
    assert len(trials) == 2 and all(0.0 <= t.score <= 1.0 for t in trials)
    assert {"lambda_max", "adversary_lr_ratio", "game", "target_weight"} <= set(
        trials[0].hyperparameters.values)
    # the target entropy and diversity terms share the searched weight
    hp = kt.HyperParameters()
    hp.Fixed("target_weight", 0.3)
    built = hypermodel.build(hp)
    assert built.target_entropy == built.target_diversity == 0.3


def test_dann_hypermodel_lambda_range_holds_the_recipe_strength():
    from advzoo.tuning import DANNHyperModel

    for name in ("dann_fashion_mnist_m", "forget_fashion_mnist"):
        recipe = small(name)
        lam = recipe["train"]["lambda_schedule"]["lambda_max"]  # 0.3 and 1
        hp = kt.HyperParameters()
        DANNHyperModel(recipe, (None, None), steps_per_epoch=3).build(hp)
        space = {p.name: p for p in hp.space}["lambda_max"]
        assert space.min_value <= lam <= space.max_value and hp.get("lambda_max") == lam
        # the default trial is the recipe's own augmentation setting; the other one is searchable
        assert hp.get("intensity_augment") == bool(recipe["model"].get("augment"))
        flipped = kt.HyperParameters()
        flipped.Fixed("intensity_augment", not hp.get("intensity_augment"))
        model = DANNHyperModel(recipe, (None, None), steps_per_epoch=3).build(flipped)
        assert model.augment == (None if recipe["model"].get("augment") else "intensity")
        # the mean teacher: the default is the recipe's weight; a positive weight
        # comes with the weight average it reads
        assert hp.get("target_consistency") == recipe["model"].get("target_consistency", 0.0)
        teacher = kt.HyperParameters()
        teacher.Fixed("target_consistency", 3.0)
        model = DANNHyperModel(recipe, (None, None), steps_per_epoch=3).build(teacher)
        assert model.target_consistency == 3.0 and model.task_optimizer.use_ema
        # an MMD next to the adversary (the forgetting recipe): its weight is searched
        # around the recipe's own; recipes without one get no such hyperparameter
        weight = recipe["model"].get("mmd_weight", 0.0)
        assert ("mmd_weight" in hp) == (weight > 0)
        if weight:
            space = {p.name: p for p in hp.space}["mmd_weight"]
            assert space.min_value < weight < space.max_value and hp.get("mmd_weight") == weight
            strong = kt.HyperParameters()
            strong.Fixed("mmd_weight", 3 * weight)
            model = DANNHyperModel(recipe, (None, None), steps_per_epoch=3).build(strong)
            assert model.mmd_weight == 3 * weight and model.adversary == "reversal"
