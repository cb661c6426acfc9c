"""Forgetting and debiasing, next to their plain baselines.

For `forget_fashion_mnist` and `debiased_colored_fashion_mnist`, trains the
same recipe with `adversary: none` (plain ERM, same network, data and
budget) and prints both rows of every metric the family's evaluation reports
(class accuracy, source / colour probes on frozen features, ...). The
adversarial rows are the published presets, re-evaluated.

With `--variants`, also trains the alternatives measured in the README (each
is the preset's recipe with the overrides in `VARIANTS`).

Usage:
    python -m research.nuisance_baselines.nuisance_baselines --out docs/studies/nuisance_baselines.json
    python -m research.nuisance_baselines.nuisance_baselines --variants --out docs/studies/nuisance_variants.json
    python -m research.nuisance_baselines.nuisance_baselines --variants mmd_lambda10 --out runs/mmd10.json
Then the nearest-neighbour picture:
    python -m research.forgetting.forget_neighbours --baseline-run runs/baselines/forget_fashion_mnist_erm
"""

import argparse
import copy
import json
from pathlib import Path


import advzoo
from advzoo.registry import get_family, get_recipe
from advzoo.training import load_finished_run, train

PRESETS = ("forget_fashion_mnist", "debiased_colored_fashion_mnist")


# name -> {variant: overrides of (model, compile, data, train) settings}
_ADVERSARY_OPTIMIZERS = {"task": {"class_name": "Adam", "config": {"learning_rate": 0.001}},
                         "adversary": {"class_name": "Adam", "config": {"learning_rate": 0.01}}}
# Every forgetting variant spells out its whole network, objective and budget
# (4 epochs unless named), so its row does not change when the published
# recipe does. The network of the first
# forgetting rows: 128-d embedding, no batch norm, unconditional objective.
_NET128 = {"feature_dim": 128, "batch_norm": False, "condition_on_label": False,
           "mmd_weight": 0.0}


def _lambda(value, epochs=4):
    return {"lambda_schedule": {"lambda_max": float(value), "gamma": 10.0}, "epochs": epochs}


def _adversarial(adversary, game, lam, **compile_extra):
    # an adversary 10x faster than the features
    return {"model": {**_NET128, "adversary": adversary},
            "compile": {"optimizers": _ADVERSARY_OPTIMIZERS, "game": game, **compile_extra},
            "train": _lambda(lam)}


def _plain(epochs, **model):
    return {"model": {**_NET128, "adversary": "none", **model},
            "compile": {"optimizers": {"task": _ADVERSARY_OPTIMIZERS["task"]}, "game": "joint"},
            "train": {"lambda_schedule": None, "epochs": epochs}}


def _mmd(lam, epochs=4, seed=None, **model):
    train = _lambda(lam, epochs) if seed is None else {**_lambda(lam, epochs), "seed": seed}
    return {"model": {**_NET128, "adversary": "mmd", **model},
            "compile": {"optimizers": {"task": _ADVERSARY_OPTIMIZERS["task"]}, "game": "joint"},
            "train": train}


def _cmmd_batch(batch, learning_rate, lam=10.0, seed=0, **model):
    # the preset's network and objective (8-d, batch norm, class-conditional MMD,
    # 16 epochs) with larger batches: more garments of each class and source per
    # MMD estimate; a larger learning rate for the fewer steps
    return {"model": {**_NET128, "adversary": "mmd", **_CMMD, "feature_dim": 8, **model},
            "compile": {"optimizers": {"task": {"class_name": "Adam",
                                                "config": {"learning_rate": learning_rate}}},
                        "game": "joint"},
            "train": {**_lambda(lam, 16), "batch_size": batch, "seed": seed}}


def _hybrid(lam=1.0, mmd_weight=10.0, seed=0, model=None, batch=None, task_lr=None,
            epochs=16, **compile_extra):
    # the fifth preset's network and objective (8-d, batch norm, label-conditioned
    # adversary through gradient reversal + class-conditional MMD, 16 epochs);
    # mmd_weight=0: the adversary alone
    optimizers = _ADVERSARY_OPTIMIZERS if task_lr is None else {
        **_ADVERSARY_OPTIMIZERS,
        "task": {"class_name": "Adam", "config": {"learning_rate": task_lr}}}
    return {"model": {**_NET128, **_CMMD, "feature_dim": 8, "adversary": "reversal",
                      "mmd_weight": mmd_weight, **(model or {})},
            "compile": {"optimizers": optimizers, "game": "joint", **compile_extra},
            "train": {**_lambda(lam, epochs), "seed": seed,
                      **({"batch_size": batch} if batch else {})}}


def _pairs(variant):
    return {**variant, "data": {"pairs": True}}


_CONFUSION = {"game": "alternating", "steps": {"adversary": 2}}
_BN = {"batch_norm": True}
_CMMD = {"batch_norm": True, "condition_on_label": True}
VARIANTS = {
    "forget_fashion_mnist": {
        # the network of the first rows, trained plainly
        "plain_dim128": _plain(4),
        "plain_dim128_8_epochs": _plain(8),
        "plain_batch_norm_dim8_8_epochs": _plain(8, **_BN, feature_dim=8),
        "reversal": _adversarial("reversal", "joint", 1.0),
        "confusion": _adversarial("confusion", lam=1.0, **_CONFUSION),  # published first
        "confusion_lambda5": _adversarial("confusion", lam=5.0, **_CONFUSION),
        "mmd_lambda1": _mmd(1.0),
        "mmd_lambda3": _mmd(3.0),  # published second
        "mmd_lambda10": _mmd(10.0),
        "mmd_lambda1_batch_norm": _mmd(1.0, **_BN),
        "mmd_batch_norm": _mmd(3.0, **_BN),
        "mmd_batch_norm_dim16": _mmd(3.0, **_BN, feature_dim=16),
        "cmmd_batch_norm_dim16": _mmd(3.0, **_CMMD, feature_dim=16),
        "cmmd_batch_norm_dim16_lambda10": _mmd(10.0, **_CMMD, feature_dim=16),
        "cmmd_batch_norm_dim8": _mmd(3.0, **_CMMD, feature_dim=8),
        "cmmd_batch_norm_dim8_lambda10": _mmd(10.0, **_CMMD, feature_dim=8),
        "mmd_batch_norm_dim8_8_epochs": _mmd(3.0, 8, **_BN, feature_dim=8),
        "cmmd_batch_norm_dim8_8_epochs": _mmd(3.0, 8, **_CMMD, feature_dim=8),  # published 3rd
        "cmmd_batch_norm_dim8_lambda5_8_epochs": _mmd(5.0, 8, **_CMMD, feature_dim=8),
        "cmmd_batch_norm_dim8_lambda10_8_epochs": _mmd(10.0, 8, **_CMMD, feature_dim=8),
        "plain_dim128_16_epochs": _plain(16),
        "cmmd_batch_norm_dim8_lambda10_16_epochs": _mmd(10.0, 16, **_CMMD, feature_dim=8),  # 4th
        "cmmd_batch_norm_dim8_lambda10_16_epochs_seed1": _mmd(10.0, 16, 1, **_CMMD, feature_dim=8),
        "cmmd_batch_norm_dim8_lambda10_16_epochs_seed2": _mmd(10.0, 16, 2, **_CMMD, feature_dim=8),
        "cmmd_batch_norm_dim8_lambda20_16_epochs": _mmd(20.0, 16, **_CMMD, feature_dim=8),
        "cmmd_batch512": _cmmd_batch(512, 0.002),
        "cmmd_batch512_seed1": _cmmd_batch(512, 0.002, seed=1),
        "cmmd_batch512_label_weighted": _cmmd_batch(512, 0.002, mmd_bandwidth="label_weighted"),
        "cmmd_batch512_lambda20": _cmmd_batch(512, 0.002, lam=20.0),
        "cmmd_batch1024": _cmmd_batch(1024, 0.003),
        "cmmd_batch512_lambda40": _cmmd_batch(512, 0.002, lam=40.0),
        "cmmd_batch512_dim4": _cmmd_batch(512, 0.002, feature_dim=4),
        "reversal_batch_norm_dim8_16_epochs": _hybrid(mmd_weight=0.0),
        "hybrid": _hybrid(),  # = the published (fifth) preset
        "hybrid_seed1": _hybrid(seed=1),
        "hybrid_seed2": _hybrid(seed=2),
        "hybrid_lambda2": _hybrid(lam=2.0, mmd_weight=5.0),  # MMD 10, reversal 2
        "hybrid_alternating_adversary2": _hybrid(game="alternating", steps={"adversary": 2}),
        "hybrid_mmd20": _hybrid(mmd_weight=20.0),
        "hybrid_augmented": _hybrid(model={"augment": "intensity"}),
        # the adversary sees the features alone (what the probe sees); the MMD
        # stays class-conditional -- and both unconditional
        "hybrid_unconditional_adversary": _hybrid(model={"condition_adversary": False}),
        "hybrid_unconditional": _hybrid(model={"condition_on_label": False}),
        # twice the conv width, against the plain 128-d network of that width
        "hybrid_width32": _hybrid(model={"width": 32}),
        "plain_dim128_width32_16_epochs": _plain(16, width=32),
        # batches of 512 (task learning rate 0.002), two seeds
        "hybrid_batch512": _hybrid(batch=512, task_lr=0.002),
        "hybrid_batch512_seed1": _hybrid(batch=512, task_lr=0.002, seed=1),
        # update rules of the game engine against the orbiting of the seed
        "hybrid_lookahead": _hybrid(game={"name": "lookahead",
                                          "config": {"inner": "joint", "k": 5, "alpha": 0.5}}),
        "hybrid_optimistic": _hybrid(game="optimistic"),
        "hybrid_extragradient": _hybrid(game="extragradient"),
        "hybrid_consensus": _hybrid(game="consensus"),
        # the unconditional adversary 3x stronger (MMD weight 10/3 x lambda 3 = 10)
        "hybrid_unconditional_adversary_lambda3": _hybrid(
            lam=3.0, mmd_weight=10.0 / 3, model={"condition_adversary": False}),
        # twice the budget, against plain training of twice the budget
        "hybrid_32_epochs": _hybrid(epochs=32),
        "plain_dim128_32_epochs": _plain(32),
        # counterfactual pairs: each training image next to its other-source
        # twin (the same garment clean / textured), their embeddings pulled
        # together -- it needs the nuisance's generating process
        "hybrid_pairs1": _pairs(_hybrid(model={"pair_weight": 1.0})),
        "hybrid_pairs10": _pairs(_hybrid(model={"pair_weight": 10.0})),
        # label smoothing: cross-entropy with a finite optimum, so that the easy
        # (clean) garments stop running away from the boundaries while the hard
        # (textured) ones lag -- the clusters' unequal widths are what the MLP
        # probe reads (research/forgetting/forget_spread.py)
        "hybrid_smooth01": _hybrid(model={"label_smoothing": 0.1}),
        "hybrid_smooth03": _hybrid(model={"label_smoothing": 0.3}),
        # what the MLP probe reads is the clusters' width (textured garments
        # scatter ~8 % wider around their class centre): equalise it directly
        "hybrid_width10": _hybrid(model={"width_weight": 10.0}),
        "hybrid_width100": _hybrid(model={"width_weight": 100.0}),
        # the same term, but only the wider (textured) group is pulled in: it
        # cannot even the widths out by spreading the clean garments
        "hybrid_width10_wider": _hybrid(model={"width_weight": 10.0, "width_side": "wider"}),
        # colour never reaches the network (channels averaged, then standardised),
        # against plain training of the same greyscale 8-d network
        "hybrid_grey": _hybrid(model={"input_norm": "grey_instance"}),
        "plain_batch_norm_dim8_grey_16_epochs": _plain(16, **_BN, feature_dim=8,
                                                       input_norm="grey_instance"),
    },
    "debiased_colored_fashion_mnist": {
        "reversal_unbalanced": {"data": {"balance_adversary": False}},
        "confusion_balanced": {"model": {"adversary": "confusion", "condition_on_label": False},
                               "compile": {"game": "alternating",
                                           "steps": {"adversary": 2}}},
    },
}


# model options that only research.forgetting's ForgettingStudyNet has
RESEARCH_OPTIONS = {"pair_weight", "label_smoothing", "width_weight", "width_side",
                    "condition_adversary"}


def variant_recipe(name, variant):
    recipe = copy.deepcopy(get_recipe(name))
    recipe["name"] = f"{name}_{variant}"
    for section, overrides in VARIANTS[name][variant].items():
        for key, value in overrides.items():
            if value is None:
                recipe[section].pop(key, None)
            else:
                recipe[section][key] = value
    if set(recipe["model"]) & RESEARCH_OPTIONS or recipe["model"].get("input_norm") == \
            "grey_instance" or recipe["data"].get("pairs"):
        recipe["family"] = "research.forgetting.forget_family"  # ForgettingStudyNet's options
    if recipe["model"].get("adversary") in ("none", "mmd"):
        recipe["compile"]["optimizers"].pop("adversary", None)
        recipe["compile"].pop("steps", None)
        recipe["model"].pop("mmd_weight", None)  # only next to an adversary
    return recipe


def baseline_recipe(name):
    recipe = copy.deepcopy(get_recipe(name))
    recipe["name"] = f"{name}_erm"
    recipe["model"]["adversary"] = "none"
    recipe["model"]["condition_on_label"] = False
    recipe["model"].pop("mmd_weight", None)
    recipe["compile"]["optimizers"].pop("adversary", None)
    recipe["compile"]["game"] = "joint"  # one player: every rule is plain gradient descent
    recipe["compile"].pop("steps", None)
    recipe["data"].pop("balance_adversary", None)
    recipe["train"].pop("lambda_schedule", None)
    return recipe



def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-root", default="runs/baselines")
    parser.add_argument("--out", default="docs/studies/nuisance_baselines.json")
    parser.add_argument("--presets", nargs="+", default=list(PRESETS), choices=PRESETS)
    parser.add_argument("--variants", nargs="*", default=None, metavar="VARIANT",
                        help="also train and evaluate the VARIANTS of each preset (all, or "
                             "the ones named)")
    parser.add_argument("--variants-only", action="store_true",
                        help="with --variants: skip the plain (ERM) baseline and the preset "
                             "rows, e.g. to train two variants side by side")
    args = parser.parse_args()
    if args.variants_only and args.variants is None:
        parser.error("--variants-only needs --variants")
    rows = {}
    for name in args.presets:
        if args.variants is not None:
            unknown = set(args.variants) - {v for vs in VARIANTS.values() for v in vs}
            if unknown:
                parser.error(f"unknown variants {sorted(unknown)}; known: "
                             f"{ {k: sorted(v) for k, v in VARIANTS.items()} }")
            for variant in [v for v in VARIANTS[name] if not args.variants or v in args.variants]:
                recipe = variant_recipe(name, variant)
                run_dir = Path(args.run_root) / recipe["name"]
                model, _, summary = train(recipe, run_dir=run_dir, overwrite=True, verbose=2)
                model.save_weights(run_dir / "final.weights.h5")  # e.g. for probe_splits.py
                rows[recipe["name"]] = {**get_family(recipe["family"]).evaluate(model, recipe),
                                        "train_seconds": summary["train_seconds"]}
                print(json.dumps({recipe["name"]: rows[recipe["name"]]}, indent=1), flush=True)
        if args.variants_only:
            continue
        recipe = baseline_recipe(name)
        run_dir = Path(args.run_root) / recipe["name"]
        finished = load_finished_run(recipe, run_dir)  # this very baseline, trained already
        if finished is not None:
            model, seconds = finished
        else:
            model, _, summary = train(recipe, run_dir=run_dir, overwrite=True, verbose=2)
            model.save_weights(run_dir / "final.weights.h5")
            seconds = summary["train_seconds"]
        evaluate = get_family(recipe["family"]).evaluate
        rows[recipe["name"]] = {**evaluate(model, recipe), "train_seconds": seconds}
        preset = advzoo.load(name)
        rows[name] = evaluate(preset, get_recipe(name))
        print(json.dumps({k: rows[k] for k in (recipe["name"], name)}, indent=1), flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(rows, indent=1))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
