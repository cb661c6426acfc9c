"""Recipe glue shared by GAN families: compile from a recipe, image data,
classifier-FID evaluation, sample grids."""

import keras

from advzoo import data as adata
from advzoo.family import Family
from advzoo.recipe_schema import GAME_COMPILE

DEFAULT_OPTIMIZER = {"class_name": "Adam", "config": {"learning_rate": 2e-4, "beta_1": 0.5}}


def compile_game(model, recipe):
    """Compiles a game model from `recipe["compile"]` (`optimizers`, `game`,
    `steps`, `jit_compile`)."""
    cfg = dict(recipe["compile"])
    optimizers = {p.name: keras.optimizers.get(dict(cfg.get("optimizers", {}).get(p.name, DEFAULT_OPTIMIZER)))
                  for p in model.players()}
    model.compile(optimizers=optimizers, game=cfg.get("game", "alternating"),
                  steps=cfg.get("steps"), jit_compile=cfg.get("jit_compile", "auto"))


def image_data(recipe):
    """Unlabelled images of `recipe["data"]`, optionally one class only."""
    cfg = recipe["data"]
    x, y = adata.load(cfg.get("dataset", "fashion_mnist"), cfg.get("split", "train"))
    if "classes" in cfg:
        keep = [int(c) for c in cfg["classes"]]
        mask = (y[:, None] == keep).any(-1)
        x = x[mask]
    ds = adata.make_dataset(x, batch_size=recipe["train"].get("batch_size", 64),
                            seed=recipe["train"].get("seed", 0))
    return ds, None


def evaluate_gan(model, recipe, n_samples=None, seed=None, **_):
    from advzoo.metrics.generative import evaluate_generator

    cfg = recipe["evaluate"]
    return evaluate_generator(model, n_samples=n_samples or cfg.get("n_samples", 10000),
                              seed=cfg.get("seed", 0) if seed is None else seed,
                              dataset=recipe["data"].get("dataset", "fashion_mnist"))


def gan_samples(model, n, seed):
    return model.generate(n, seed=seed)


GAN_EVAL_OPTIONS = {"n_samples": "generated images scored (recipe default, usually 10000)",
                    "seed": "seed of the generated images"}
GAN_HEADLINE = (("classifier_fid", "cFID"), ("classifier_fid_real_floor", "real floor"),
                ("kid", "KID"), ("precision", "prec."), ("recall", "recall"))


GAN_SCHEMA = {"compile": GAME_COMPILE, "data": ("dataset", "split", "classes")}


def gan_family(name, model_cls, hypermodel=None):
    """The `Family` of a GAN whose recipe `model:` section are `model_cls` kwargs."""
    return Family(
        name=name, build=lambda recipe: model_cls(**recipe["model"]), compile=compile_game,
        train_data=image_data, evaluate=evaluate_gan, samples=gan_samples,
        hypermodel=hypermodel, eval_options=GAN_EVAL_OPTIONS, headline=GAN_HEADLINE,
        model=model_cls, schema=GAN_SCHEMA)
