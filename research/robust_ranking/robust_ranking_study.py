"""Robust metric learning on Fashion-MNIST: the undefended triplet model and
Hardness Manipulation (HM) over several seeds, retrieval metrics and the ten
ranking attacks with ERS, mean +- std.

Each seed trains `triplet_fashion_mnist` and then fine-tunes
`hm_triplet_fashion_mnist` from that seed's triplet run (seed 0 reuses the
published presets' runs in runs/<name> when they match the recipes).
Results go to --out (merged with what is already there), and a markdown
table is printed.

Usage:
    python -m research.robust_ranking.robust_ranking_study --seeds 0 1 2
    python -m research.robust_ranking.robust_ranking_study --seeds 0 --strong   # + 128-step PGD, 2 restarts
                                                              # on 200 queries
    python -m research.robust_ranking.robust_ranking_study --seeds 1 --out runs/rr_s1.json   # one core per seed
    python -m research.robust_ranking.robust_ranking_study --merge manifest runs/rr_s1.json runs/rr_s2.json \
        --out docs/studies/robust_ranking.json     # combine (manifest = the published seed-0 presets)
    python -m research.robust_ranking.robust_ranking_study --seeds 7 --epochs 1 --max-steps 5 --n-queries 20 \\
        --out /tmp/rr.json                                      # a smoke run
"""

import argparse
import copy
import json
import time
from pathlib import Path

import numpy as np


from advzoo.registry import get_family, get_recipe
from advzoo.training import load_finished_run, train

ROWS = ("triplet_fashion_mnist", "hm_triplet_fashion_mnist")
SHOW = ("R@1", "R@2", "mAP", "NMI", "CA+", "CA-", "QA+", "QA-", "TMA", "ES:D", "ES:R", "LTM",
        "GTM", "GTT", "ERS")


def seeded(name, seed, run_root, epochs=None):
    recipe = copy.deepcopy(get_recipe(name))
    recipe["model"]["seed"] = recipe["train"]["seed"] = seed
    if epochs:
        recipe["train"]["epochs"] = epochs
    if "init_from" in recipe["train"] and seed != 0:
        recipe["train"]["init_from"] = str(run_root / f"triplet_fashion_mnist_s{seed}"
                                           / "final.weights.h5")
    return recipe


def run(name, seed, args):
    run_root = Path(args.run_root)
    recipe = seeded(name, seed, run_root, args.epochs)
    candidates = ([Path("runs") / name] if seed == 0 and not args.epochs else []) + \
        [run_root / f"{name}_s{seed}"]
    for run_dir in candidates:
        found = load_finished_run(recipe, run_dir)
        if found is not None:
            print(f"{name} seed {seed}: reusing {run_dir}", flush=True)
            return found[0], found[1]
    run_dir = run_root / f"{name}_s{seed}"
    model, _, summary = train(recipe, run_dir=run_dir, overwrite=True,
                              max_steps_per_epoch=args.max_steps, verbose=2)
    model.save_weights(run_dir / "final.weights.h5")
    return model, summary["train_seconds"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--rows", nargs="+", default=list(ROWS), choices=ROWS)
    parser.add_argument("--n-queries", type=int, default=1000)
    parser.add_argument("--strong", action="store_true",
                        help="also attack with 128 PGD steps and 2 random restarts")
    parser.add_argument("--strong-queries", type=int, default=200,
                        help="queries of the --strong attacks (each costs 12x a normal one)")
    parser.add_argument("--epochs", type=int, help="override (smoke runs only)")
    parser.add_argument("--max-steps", type=int, help="cap steps per epoch (smoke runs)")
    parser.add_argument("--run-root", default="runs/robust_study")
    parser.add_argument("--out", default="docs/studies/robust_ranking.json")
    parser.add_argument("--merge", nargs="+", metavar="JSON",
                        help="only merge these result files (later ones win) into --out; the word "
                             "'manifest' stands for the published presets (seed 0), whose "
                             "recorded metrics come from the same evaluation")
    args = parser.parse_args()
    out = Path(args.out)
    results = json.loads(out.read_text()) if out.exists() else {}
    if args.merge:
        for path in args.merge:
            loaded = published_seed0() if path == "manifest" else json.loads(Path(path).read_text())
            for name, by_seed in loaded.items():
                results.setdefault(name, {}).update(by_seed)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=1))
    for seed in [] if args.merge else args.seeds:
        for name in args.rows:
            model, seconds = run(name, seed, args)
            recipe = seeded(name, seed, Path(args.run_root), args.epochs)
            start = time.time()
            metrics = get_family("triplet").evaluate(model, recipe, n_queries=args.n_queries)
            entry = {"metrics": metrics, "train_seconds": seconds,
                     "pgd_steps_per_train_step": pgd_steps_per_train_step(recipe),
                     "eval_seconds": round(time.time() - start, 1)}
            if args.strong:
                entry["strong"] = get_family("triplet").evaluate(
                    model, recipe, n_queries=args.strong_queries, pgd_steps=128, restarts=2)
            results.setdefault(name, {})[str(seed)] = entry
            print(name, seed, json.dumps(entry), flush=True)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(results, indent=1))
    print_table(results)


def pgd_steps_per_train_step(recipe):
    """PGD steps each training step spends (0 without a defence)."""
    m = recipe["model"]
    return m.get("pgd_steps", 0) if m.get("defense", "none") != "none" else 0


def published_seed0():
    """The published presets as seed-0 entries: their manifest metrics are the
    same `evaluate` (1,000 attack queries) of the same recipes with seed 0."""
    from advzoo import presets

    out = {}
    for name in ROWS:
        entry = presets.preset_entry(name)
        recipe = entry["recipe"]
        assert recipe["train"].get("seed", 0) == 0, f"{name} is not a seed-0 run"
        out[name] = {"0": {"metrics": entry["metrics"], "train_seconds": entry["train_seconds"],
                           "pgd_steps_per_train_step": pgd_steps_per_train_step(recipe),
                           "source": "weights/manifest.json"}}
    return out


def print_table(results):
    """Markdown table: mean +- std over the seeds of each model."""
    print("| model | seeds | " + " | ".join(SHOW) + " |")
    print("|---|---|" + "---|" * len(SHOW))
    for name, by_seed in results.items():
        cells = []
        for key in SHOW:
            values = [e["metrics"][key] for e in by_seed.values() if key in e["metrics"]]
            cells.append(f"{np.mean(values):.1f} ± {np.std(values):.1f}" if len(values) > 1
                         else f"{values[0]:.1f}" if values else "—")
        print(f"| {name} | {len(by_seed)} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
