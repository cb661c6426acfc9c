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
