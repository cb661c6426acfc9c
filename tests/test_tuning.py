import keras
import keras_tuner as kt
import pytest

import advzoo
from advzoo.tuning import DCGANHyperModel, WGANHyperModel, hypermodel_for

pytestmark = pytest.mark.skipif("fashion_mnist_classifier" not in advzoo.list_models(pretrained=True),
                                reason="needs the shipped evaluator preset")


def test_two_tiny_trials_minimise_classifier_fid(tmp_path):
    x, _ = advzoo.data.load("fashion_mnist", "test")
    ds = advzoo.data.make_dataset(x[:128], batch_size=32)
    hypermodel = DCGANHyperModel(n_eval_samples=200)
    assert hypermodel.objective.name == "classifier_fid"
    assert hypermodel.objective.direction == "min"
    tuner = kt.RandomSearch(hypermodel, objective=hypermodel.objective, max_trials=2, seed=1,
                            directory=str(tmp_path), project_name="t")
    tuner.search(ds, epochs=1, verbose=0)
    trials = tuner.oracle.get_best_trials(2)
    assert len(trials) == 2
    scores = [t.score for t in trials]
    assert scores == sorted(scores) and all(s > 0 for s in scores)
    best = tuner.get_best_hyperparameters(1)[0]
    assert {"generator_lr", "discriminator_lr", "beta_1", "latent_dim", "width"} <= set(best.values)


def test_unknown_family_has_no_hypermodel():
    with pytest.raises(ValueError, match="dcgan"):
        hypermodel_for("nope")


def test_wgan_hypermodel_builds_compiled_models_for_every_rule():
    hypermodel = WGANHyperModel(n_eval_samples=100)
    for game in ("alternating", "optimistic", "extragradient"):
        hp = kt.HyperParameters()
        hp.Fixed("game", game)
        hp.Fixed("width", 16)
        model = hypermodel.build(hp)
        assert model.update_rule.name == game and model.compiled


def test_wgan_hypermodel_clip_variant_follows_the_recipe():
    from advzoo.registry import get_recipe

    clipped = hypermodel_for("wgan", recipe=get_recipe("wgan_fashion_mnist"), n_eval_samples=10)
    assert clipped.variant == "clip"
    assert hypermodel_for("wgan", recipe=get_recipe("wgan_gp_fashion_mnist")).variant == "gp"
    hp = kt.HyperParameters()
    hp.Fixed("width", 16)
    model = clipped.build(hp)
    assert model.clip_value == 0.01 and model.gradient_penalty == 0.0 and model.critic_batch_norm
    assert isinstance(model.discriminator_optimizer, keras.optimizers.RMSprop)
    assert {"clip_value", "critic_batch_norm"} <= set(hp.values)
    with pytest.raises(ValueError, match="variant must be one of"):
        WGANHyperModel(variant="sn")


def test_triplet_hypermodel_trial_scores_ers(tmp_path):
    import numpy as np

    import advzoo
    from advzoo.models.triplet import pair_dataset
    from advzoo.tuning import hypermodel_for

    x, y = advzoo.data.load("fashion_mnist", "test")
    x = (x[:300, ..., None] / 255.0).astype("float32")
    recipe = {"model": {"width": 4, "hidden": 16, "embedding_dim": 8}}
    hm = hypermodel_for("triplet", recipe=recipe, validation_data=(x, y[:300]), n_queries=10,
                        attack_steps=2)
    tuner = kt.RandomSearch(hm, objective=hm.objective, max_trials=1, seed=0,
                            directory=str(tmp_path), project_name="t")
    tuner.search(pair_dataset(x, y[:300], 32), epochs=1, steps_per_epoch=2, verbose=0)
    trial = tuner.oracle.get_best_trials(1)[0]
    ers = trial.metrics.get_last_value("validation_ers")
    assert 0.0 <= ers <= 100.0 and np.isfinite(ers)
    model = tuner.get_best_models(1)[0]
    assert model.defense == "hm"
