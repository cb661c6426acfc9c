"""The `triplet` family: recipes, SPC-2 data, and evaluation (retrieval
metrics, then the ten ranking attacks and ERS)."""

import numpy as np

from advzoo import data as adata
from advzoo.models.gan_presets import compile_game
from advzoo.models.triplet.triplet_attacks import RankingAttacks
from advzoo.models.triplet.triplet_model import TripletEmbedder, pair_dataset
from advzoo.models.triplet.triplet_retrieval import retrieval_metrics
from advzoo.family import Family
from advzoo.recipe_schema import GAME_COMPILE


def build(recipe):
    return TripletEmbedder(**recipe["model"])


def unit_images(x):
    """uint8 `(N, 28, 28)` images -> float `(N, 28, 28, 1)` in [0, 1]."""
    x = np.asarray(x, np.float32) / 255.0
    return x[..., None] if x.ndim == 3 else x


def train_data(recipe):
    x, y = adata.load(recipe["data"].get("dataset", "fashion_mnist"), "train")
    batch = recipe["train"].get("batch_size", 112)
    return pair_dataset(x, y, batch_size=batch, seed=recipe["train"].get("seed", 0)), \
        len(y) // batch


def evaluate(model, recipe, n_queries=None, attacks=True, pgd_steps=None, restarts=None,
             **_):
    """Retrieval metrics on the whole test set; with `attacks`, the ten
    ranking attacks on `n_queries` random test queries (recipe
    `evaluate.n_queries`) and ERS."""
    cfg = recipe["evaluate"]
    x, y = adata.load(recipe["data"].get("dataset", "fashion_mnist"), "test")
    xf = unit_images(x)
    metrics = retrieval_metrics(model.embed(xf), y)
    if attacks:
        attacker = RankingAttacks(model, xf, y, epsilon=cfg.get("epsilon", 77 / 255),
                                  step_size=cfg.get("step_size", 3 / 255),
                                  steps=pgd_steps or cfg.get("pgd_steps", 32),
                                  restarts=cfg.get("restarts", 0) if restarts is None
                                  else restarts)
        n = n_queries or cfg.get("n_queries", 1000)
        metrics.update(attacker.report(n_queries=n, seed=cfg.get("seed", 0)))
        metrics["attack_queries"] = int(min(n, len(y)))
    return metrics


def hypermodel(recipe=None, validation_data=None, **kwargs):
    """HM search scored by ERS; validation data default: the first 2,000 test images."""
    from advzoo.models.triplet.triplet_tuning import TripletHyperModel

    if validation_data is None:
        x, y = adata.load("fashion_mnist", "test")
        validation_data = (unit_images(x[:2000]), y[:2000])
    kwargs = {k: v for k, v in kwargs.items() if k in ("n_queries", "attack_steps")}
    return TripletHyperModel(validation_data, recipe=recipe, **kwargs)


FAMILY = Family(
    name="triplet", build=build, compile=compile_game, train_data=train_data, evaluate=evaluate,
    hypermodel=hypermodel, model=TripletEmbedder,
    schema={"compile": GAME_COMPILE, "data": ("dataset",)},
    eval_options={"n_queries": "attacked test queries", "pgd_steps": "PGD steps of every attack",
                  "epsilon": "attack radius (L-inf, images in [0, 1])",
                  "step_size": "PGD step size",
                  "restarts": "extra random-start runs per attack (gradient-masking check)",
                  "seed": "seed of the query draw"},
    headline=(("R@1", "R@1 %"), ("mAP", "mAP %"), ("NMI", "NMI %"),
              ("ERS", "ERS (ten attacks, eps 77/255)")))
