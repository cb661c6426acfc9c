"""`Family`: everything advzoo's registry, CLI, tuner and evaluation need to
know about one model family, declared in that family's own folder.

A family is a package `advzoo/models/<name>/` whose `__init__` exposes
`FAMILY = Family(...)`; a recipe says `family: <name>` (or a dotted module
path, `family: mypackage.mygan`, for a family outside advzoo). Nothing else
in advzoo branches on a family's name.
"""

from dataclasses import dataclass, field
from typing import Callable, Mapping, Optional, Sequence, Tuple


@dataclass(frozen=True)
class Family:
    """How to build, feed, evaluate, show and tune one model family.

    Attributes:
        name: family key used by recipes (`family: dcgan`).
        build: `build(recipe) -> uncompiled keras.Model`.
        compile: `compile(model, recipe) -> None`.
        train_data: `train_data(recipe) -> (dataset, steps_per_epoch or None)`.
        evaluate: `evaluate(model, recipe) -> dict of metrics`; its settings
            are the recipe's `evaluate:` section.
        samples: optional `samples(model, n, seed) -> images in [-1, 1]` for
            sample grids.
        callbacks: optional `callbacks(recipe, steps_per_epoch) -> [callback]`
            that training needs (e.g. a schedule).
        hypermodel: optional `hypermodel(recipe, steps_per_epoch=...,
            n_eval_samples=...) -> keras_tuner.HyperModel` for `advzoo tune`.
        eval_options: the `evaluate:` keys `advzoo eval NAME --set KEY=VALUE`
            may override, each with a one-line description.
        headline: `((metric key, label), ...)` shown in the model table.
        model: the model class; its constructor arguments are the keys a
            recipe's `model:` section may hold.
        schema: `{section: keys}` a recipe's `compile`, `data`, `train` and
            `evaluate` sections may hold beyond the common ones (see
            `advzoo.recipe_schema`); None skips the check.
    """

    name: str
    build: Callable
    compile: Callable
    train_data: Callable
    evaluate: Callable
    samples: Optional[Callable] = None
    callbacks: Optional[Callable] = None
    hypermodel: Optional[Callable] = None
    eval_options: Mapping[str, str] = field(default_factory=dict)
    headline: Sequence[Tuple[str, str]] = ()
    model: Optional[type] = None
    schema: Optional[Mapping[str, Sequence[str]]] = None
