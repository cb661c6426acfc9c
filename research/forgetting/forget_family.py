"""The family of the forgetting study's research recipes
(`family: research.forgetting.forget_family`): the library's `dann` family
with `ForgettingStudyNet` as the model, and counterfactual pairs as data
(`data.pairs: true`, needed by `pair_weight`)."""

import numpy as np

from advzoo import data as adata
from advzoo.data.domains import DOMAIN_SPLITS, texture_garments
from advzoo.family import Family
from advzoo.models.dann import FAMILY as DANN
from advzoo.models.dann import nuisance_balancing_weights
from advzoo.models.dann.dann_presets import arrays_dataset, forget_arrays
from research.forgetting.forget_model import ForgettingStudyNet


def forget_counterparts():
    """The other-source twin of every image of `forget_arrays("train")`, in
    the same order: for a clean garment, its textured version (training
    texture pool, seed 111, so other patches than the textured training
    images got); for a textured garment, the clean original it was made from.
    Counterfactual pairs: they need the nuisance's generating process."""
    source, start, stop = DOMAIN_SPLITS["source_train"]
    clean, _ = adata.load("fashion_mnist", source)
    target, t_start, t_stop = DOMAIN_SPLITS["target_train"]
    originals, _ = adata.load("fashion_mnist", target)
    return np.concatenate([texture_garments(clean[start:stop], "train", seed=111),
                           adata.to_rgb(originals[t_start:t_stop])])


def build(recipe):
    return ForgettingStudyNet(**recipe["model"])


def train_data(recipe):
    pairs = bool(recipe["data"].get("pairs"))
    if pairs != bool(recipe["model"].get("pair_weight", 0.0)):
        raise ValueError(f"{recipe['name']}: data.pairs and model.pair_weight go together "
                         f"(the twins feed the pair term): got data.pairs="
                         f"{recipe['data'].get('pairs')!r}, model.pair_weight="
                         f"{recipe['model'].get('pair_weight', 0.0)!r}.")
    if not pairs:
        return DANN.train_data(recipe)
    if recipe["data"].get("setting") != "forget":
        raise ValueError(f"{recipe['name']}: data.pairs (counterfactual twins) exists for "
                         f"data.setting 'forget' only.")
    x, y, source = forget_arrays("train")
    weights = (nuisance_balancing_weights(y, source) if recipe["data"].get("balance_adversary")
               else np.ones(len(y), "float32"))
    arrays = (adata.to_float(x), np.asarray(y), np.asarray(source), weights,
              adata.to_float(forget_counterparts()))
    return arrays_dataset(arrays, recipe["train"].get("batch_size", 128),
                          recipe["train"].get("seed", 0))


FAMILY = Family(name="research.forgetting.forget_family", build=build, compile=DANN.compile,
                train_data=train_data, evaluate=DANN.evaluate, callbacks=DANN.callbacks,
                headline=DANN.headline, model=ForgettingStudyNet,
                schema={**DANN.schema, "data": (*DANN.schema["data"], "pairs")})
