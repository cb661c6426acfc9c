"""Fashion-MNIST -> Fashion-MNIST-M: source-only, DANN, prediction-conditioned
DANN (CDAN-style), MMD (DAN, or class-conditional), DANN with
target entropy/diversity terms, with or without a mean teacher (and the
same with MMD in place of the adversary), the mean
teacher alone, and a target-trained oracle, same network and
budget, several seeds, with model selection done three ways.

For every seed, each adaptation method is trained for each weight in a small
grid (`--lambdas`, `--mmd-lambdas`); the weight is then picked by

* **oracle**: labelled target validation accuracy (not available in practice),
* **source validation**: accuracy on held-out *source* images,
* **reverse validation** (Ganin et al. 2016, sec. 6.1.2, simplified): a fresh
  source-only network is trained on the target images pseudo-labelled by the
  candidate, and scored on the source validation split,

and the target *test* accuracy of each choice is reported (mean +- std over
seeds), together with the share of the source-only -> oracle gap it closes.
Every run but the oracle is also scored with AdaBN (batch-norm statistics
re-estimated on the unlabelled target training images,
`advzoo.models.dann.adapt_batch_norm`): rows `<method>+adabn`, with the
lambda each criterion picked for the plain model.

Every run starts from the preset's recipe (`zoo_configs/dann_fashion_mnist_m.yaml`,
intensity augmentation included; `--override model.augment=null` for the
protocol without it); each method replaces its objective (`METHODS`).

Usage (about 45-70 CPU-minutes per seed for source_only, oracle, dann, dann_im):
    python -m research.domain_adaptation.domain_adaptation_study --seeds 0 1 2 --methods source_only oracle \
        dann dann_im --out docs/studies/domain_adaptation.json
Seeds (or methods) can run in parallel processes, one per core, and be merged:
    python -m research.domain_adaptation.domain_adaptation_study --seeds 2 --out runs/da_s2.json
    python -m research.domain_adaptation.domain_adaptation_study --merge runs/da_s01.json runs/da_s2.json \
        --out docs/studies/domain_adaptation.json
"""

import argparse
import copy
import json
import time
from pathlib import Path

import numpy as np

from advzoo import data as adata
from advzoo.models.dann.dann_presets import source_domain
from advzoo.registry import get_recipe
from advzoo.training import train

BASE = "dann_fashion_mnist_m"


# method -> (data setting, model settings); every method uses the base recipe's network.
METHODS = {
    "source_only": ("source_only", {"adversary": "none"}),
    "oracle": ("target_oracle", {"adversary": "none"}),
    "dann": ("adaptation", {"adversary": "reversal"}),
    "mmd": ("adaptation", {"adversary": "mmd"}),
    # conditioned on the classifier's predictions (both domains, held fixed): the
    # adversary sees [features, predictions] (CDAN-style, concatenated) and the
    # MMD compares joint (features, predictions) distributions (JAN-style)
    "cdann": ("adaptation", {"adversary": "reversal", "condition_on_label": True}),
    "cmmd": ("adaptation", {"adversary": "mmd", "condition_on_label": True}),
    # DANN + conditional entropy minimisation and diversity on the target (VADA/SHOT-style)
    "dann_im": ("adaptation", {"adversary": "reversal", "target_entropy": 0.3,
                               "target_diversity": 0.3}),
    # DANN + target entropy + virtual adversarial training on the target (VADA, Shu et al. 2018)
    "vada": ("adaptation", {"adversary": "reversal", "target_entropy": 0.1,
                            "target_vat": 1.0}),
    # the same target terms without any adversary (is the adversary doing the work?)
    "im": ("adaptation", {"adversary": "none", "target_entropy": 0.3,
                          "target_diversity": 0.3}),
    # self-ensembling (French et al. 2018): mean-teacher consistency between two
    # augmentations of each target image, where the teacher is confident, plus the
    # diversity term as class balance; no adversary
    "mean_teacher": ("adaptation", {"adversary": "none", "target_consistency": 3.0,
                                    "target_diversity": 0.3}),
    # the preset's objective (dann_im) plus the mean-teacher consistency
    "dann_mt": ("adaptation", {"adversary": "reversal", "target_entropy": 0.3,
                               "target_diversity": 0.3, "target_consistency": 3.0}),
    # the same objective with DAN's multi-kernel MMD in place of the adversary:
    # no saddle point, everything else as dann_mt
    "mmd_mt": ("adaptation", {"adversary": "mmd", "target_entropy": 0.3,
                              "target_diversity": 0.3, "target_consistency": 3.0}),
}
MMD_METHODS = ("mmd", "cmmd", "mmd_mt")  # weighted by --mmd-lambdas
FIXED = ("source_only", "oracle", "im", "mean_teacher")  # methods without a lambda


def variant(base, name, seed, epochs, method, lambda_max=None):
    setting, model = METHODS[method]
    recipe = copy.deepcopy(base)
    recipe["name"] = name
    # each method states its whole objective: the base recipe's own target terms
    # (the preset's entropy and diversity) do not leak into the other methods
    neutral = {"condition_on_label": False, "target_entropy": 0.0, "target_diversity": 0.0,
               "target_consistency": 0.0, "target_vat": 0.0}
    recipe["model"].update({k: v for k, v in neutral.items() if k in recipe["model"]})
    recipe["model"].update(model)
    # the mean teacher is the task optimizer's weight average: only its methods keep one
    task = recipe["compile"]["optimizers"]["task"]
    config = {k: v for k, v in task.get("config", {}).items()
              if k not in ("use_ema", "ema_momentum")}
    if model.get("target_consistency"):
        config.update(use_ema=True, ema_momentum=0.99)
    task["config"] = config
    recipe["data"]["setting"] = setting
    recipe["train"]["seed"] = seed
    recipe["train"]["epochs"] = epochs
    if model["adversary"] in ("none", "mmd"):
        recipe["compile"]["optimizers"].pop("adversary", None)
    if model["adversary"] == "none":
        recipe["train"].pop("lambda_schedule", None)
    else:
        recipe["train"]["lambda_schedule"] = {"lambda_max": float(lambda_max), "gamma": 10.0}
    return recipe


def apply_overrides(recipe, overrides):
    """`section.key=JSON` settings (e.g. `model.batch_norm=false`) on a recipe copy."""
    recipe = copy.deepcopy(recipe)
    for item in overrides:
        key, _, value = item.partition("=")
        section, _, name = key.partition(".")
        if not name or section not in recipe or not value:
            raise SystemExit(f"--override wants section.key=JSON_VALUE (e.g. "
                             f"model.batch_norm=false), got {item!r}.")
        recipe[section][name] = json.loads(value)
    return recipe


def accuracy(model, x, y):
    probs = model.predict(adata.to_float(x), batch_size=512, verbose=0)
    return float(np.mean(np.asarray(probs).argmax(-1) == y))


def adabn_accuracy(model, x, y):
    """Target accuracy with batch-norm statistics re-estimated on the
    unlabelled target training images (AdaBN; `None` without batch norm)."""
    from advzoo.models.dann.dann_adabn import batch_norm_layers
    from advzoo.models.dann.dann_presets import target_batch_norm

    if not batch_norm_layers(model):
        return None
    with target_batch_norm(model):
        return accuracy(model, x, y)


def run(recipe, run_root, preset):
    """Trains `recipe`, or reuses the preset's finished run (`runs/<preset>`,
    from `advzoo train zoo_configs/<preset>.yaml --export`) when it is the
    very same recipe."""
    import keras

    from advzoo.training import load_finished_run

    finished = load_finished_run(recipe, Path("runs") / preset["name"])
    if finished is not None:
        return finished
    keras.utils.set_random_seed(recipe["train"]["seed"])
    start = time.time()
    model, _, _ = train(recipe, run_dir=run_root / recipe["name"], overwrite=True, verbose=0)
    return model, time.time() - start


def reverse_validation(model, base, seed, epochs, run_root):
    """Source-validation accuracy of a network trained on pseudo-labelled target."""
    import keras

    from advzoo.models.dann import DomainAdversarialNet
    from advzoo.models.dann.dann_presets import compile_model

    xt, _ = adata.load("fashion_mnist_m", "train")
    pseudo = np.asarray(model.predict(adata.to_float(xt), batch_size=512, verbose=0)).argmax(-1)
    recipe = variant(base, "reverse", seed, epochs, "oracle")
    keras.utils.set_random_seed(seed)
    reverse = DomainAdversarialNet(**recipe["model"])
    compile_model(reverse, recipe)
    reverse.fit(adata.to_float(xt), pseudo, batch_size=recipe["train"]["batch_size"],
                epochs=epochs, verbose=0, shuffle=True)
    return accuracy(reverse, *source_domain("validation"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=None, help="default: the recipe's")
    parser.add_argument("--lambdas", type=float, nargs="+", default=[0.3, 1.0],
                        help="DANN's lambda_max grid")
    parser.add_argument("--mmd-lambdas", type=float, nargs="*", default=[1.0],
                        help="MMD weight grid")
    parser.add_argument("--methods", nargs="+", default=["source_only", "oracle", "dann", "mmd"],
                        choices=sorted(METHODS), help="mmd, cmmd and mmd_mt use --mmd-lambdas, "
                        "the other adaptive methods --lambdas")
    parser.add_argument("--override", nargs="*", default=[], metavar="SECTION.KEY=JSON",
                        help="change the base recipe for every run, e.g. "
                             "model.batch_norm=false (the network of the first study)")
    parser.add_argument("--reverse-epochs", type=int, default=2)
    parser.add_argument("--run-root", default="runs/domain_adaptation_study")
    parser.add_argument("--out", default="docs/studies/domain_adaptation.json")
    parser.add_argument("--merge", nargs="+", default=None, metavar="JSON",
                        help="only merge the runs of these result files into --out and "
                             "summarise (e.g. seeds run in parallel processes); a run in a "
                             "later file replaces one of the same method, seed and lambda")
    args = parser.parse_args()
    if args.merge:
        files = [json.loads(Path(f).read_text()) for f in args.merge]
        merged = {}  # a later file's run replaces an earlier one of the same method, seed, lambda
        for r in (r for f in files for r in f["runs"]):
            merged[(r["method"], r["seed"], r.get("lambda_max"))] = r
        runs = list(merged.values())
        summary = summarise(runs)
        Path(args.out).write_text(json.dumps({"epochs": files[0]["epochs"], "runs": runs,
                                              "summary": summary}, indent=1))
        print(markdown(summary))
        return

    base = apply_overrides(get_recipe(BASE), args.override)
    epochs = args.epochs or base["train"]["epochs"]
    run_root = Path(args.run_root)
    target_test, target_val = adata.load("fashion_mnist_m", "test"), \
        adata.load("fashion_mnist_m", "validation")
    source_val = source_domain("validation")
    out_path = Path(args.out)
    results = json.loads(out_path.read_text())["runs"] if out_path.exists() else []
    done = {(r["method"], r["seed"], r.get("lambda_max")) for r in results}

    jobs = []
    for seed in args.seeds:
        for method in args.methods:
            lambdas = ([None] if method in FIXED else
                       args.mmd_lambdas if method in MMD_METHODS else args.lambdas)
            jobs += [(method, seed, lam) for lam in lambdas]
    for i, (method, seed, lam) in enumerate(jobs):
        if (method, seed, lam) in done:
            continue
        name = f"{method}_s{seed}" + (f"_l{lam}" if lam is not None else "")
        model, seconds = run(variant(base, name, seed, epochs, method, lam), run_root, base)
        row = {"method": method, "seed": seed, "lambda_max": lam,
               "target_test": accuracy(model, *target_test),
               "target_validation": accuracy(model, *target_val),
               "source_validation": accuracy(model, *source_val),
               "train_seconds": round(seconds, 1)}
        if method != "oracle":
            row["target_test_adabn"] = adabn_accuracy(model, *target_test)
        if method not in ("source_only", "oracle"):
            row["reverse_validation"] = reverse_validation(model, base, seed,
                                                           args.reverse_epochs, run_root)
        results.append(row)
        print(f"[{i + 1}/{len(jobs)}] {json.dumps(row)}", flush=True)
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.write_text(json.dumps({"epochs": epochs, "runs": results}, indent=1))
    summary = summarise(results)
    out_path.write_text(json.dumps({"epochs": epochs, "runs": results, "summary": summary},
                                   indent=1))
    print(markdown(summary))


def summarise(results):
    """Per method: target test accuracy at every fixed lambda (over the seeds
    that ran it), and for each model-selection criterion the accuracy of the
    lambda it picks (over the seeds that ran the whole grid)."""
    # "<method>+adabn": the same runs (and lambda choices) evaluated with AdaBN
    results = results + [{**r, "method": r["method"] + "+adabn", "target_test": r["target_test_adabn"]}
                         for r in results if r.get("target_test_adabn") is not None]
    seeds = sorted({r["seed"] for r in results})
    by = {}
    for r in results:
        by.setdefault((r["method"], r["seed"]), []).append(r)
    rows = {}
    fixed = list(FIXED) + [m + "+adabn" for m in FIXED]
    adaptive = [m for m in METHODS if m not in FIXED]
    adaptive = [n for m in adaptive for n in (m, m + "+adabn")]
    for method in fixed:
        if any(m == method for m, _ in by):
            rows[method] = {"fixed": ([by[(method, s)][0]["target_test"] for s in seeds
                                       if (method, s) in by], None)}
    for method in adaptive:
        runs = [r for r in results if r["method"] == method]
        grid = sorted({r["lambda_max"] for r in runs})
        for lam in grid:
            rows.setdefault(method, {})[f"lambda={lam}"] = (
                [r["target_test"] for r in runs if r["lambda_max"] == lam], None)
        complete = [s for s in seeds if (method, s) in by and len(by[(method, s)]) == len(grid)]
        if len(grid) > 1:
            for criterion in ("target_validation", "source_validation", "reverse_validation"):
                picks = [max(by[(method, s)], key=lambda r: r[criterion]) for s in complete]
                rows[method][criterion] = ([p["target_test"] for p in picks],
                                           [p["lambda_max"] for p in picks])
    # the gap needs both ends; a file of adaptation runs alone (seeds run apart,
    # merged later) is summarised without it
    ends = [rows.get(m, {}).get("fixed", ([], None))[0] for m in ("source_only", "oracle")]
    low, high = (float(np.mean(e)) if e else None for e in ends)
    summary = {}
    for method, crits in rows.items():
        for crit, (vals, lambdas) in crits.items():
            if not vals:
                continue
            summary[f"{method}/{crit}"] = {
                "mean": round(float(np.mean(vals)), 4), "std": round(float(np.std(vals)), 4),
                "n": len(vals),
                "gap_closed": (None if low is None or high is None else
                               round(float((np.mean(vals) - low) / (high - low)), 3)),
                "lambdas": lambdas}
    return summary


def markdown(summary):
    lines = ["| method | model selection | target test accuracy | gap closed | chosen lambda_max |",
             "|---|---|---|---|---|"]
    names = {"fixed": "none (fixed lambda)", "target_validation": "target labels (oracle)",
             "source_validation": "source validation", "reverse_validation": "reverse validation"}
    for key, s in summary.items():
        method, crit = key.split("/")
        lams = ", ".join(str(x) for x in s["lambdas"]) if s["lambdas"] else crit.replace(
            "lambda=", "") if crit.startswith("lambda=") else "-"
        crit = "fixed" if crit.startswith("lambda=") else crit
        gap = "-" if s["gap_closed"] is None else f"{100 * s['gap_closed']:.0f}%"
        lines.append(f"| {method} | {names[crit]} | {100 * s['mean']:.1f} ± {100 * s['std']:.1f} "
                     f"(n={s['n']}) | {gap} | {lams} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
