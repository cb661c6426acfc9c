"""Update rules on real GANs under the same wall-clock budget.

For each recipe (default: the DCGAN and WGAN-GP presets' recipes) and each
update rule, trains from the same initialisation for `--budget` seconds on this
machine, then reports: generator steps reached, seconds per step,
classifier-FID (`--eval-samples` samples vs the test set) and the rotation
diagnostics of `advzoo.games.OrbitTracker` over the run. All rules run side by
side in one process, so their costs are comparable.

Run by hand:
    .venv/bin/python benchmarks/update_rules.py --budget 300
    .venv/bin/python benchmarks/update_rules.py --recipes dcgan_fashion_mnist --rules alternating optimistic
"""

import argparse
import copy
import time
import warnings

import keras

from advzoo.games import OrbitTracker
from advzoo.metrics.generative import evaluate_generator
from advzoo.registry import get_family, get_recipe
from advzoo.training import build_model


class TimeBudget(keras.callbacks.Callback):
    """Stops after `seconds` of training, timed from the end of the first
    (compiling) step, which is not counted."""

    def __init__(self, seconds):
        super().__init__()
        self.seconds, self.steps, self.start = seconds, 0, None

    def on_train_batch_end(self, batch, logs=None):
        if self.start is None:
            self.start = time.perf_counter()
            return
        self.steps += 1
        self.elapsed = time.perf_counter() - self.start
        if self.elapsed > self.seconds:
            self.model.stop_training = True


def run(recipe_name, rule, budget, eval_samples, seed=0):
    recipe = copy.deepcopy(get_recipe(recipe_name))
    game = recipe["compile"].get("game", "alternating")
    if isinstance(game, dict) and game.get("name") == "alternating" and rule != "alternating":
        # keep fresh chunks per critic step only for alternating play
        recipe["train"]["batch_size"] = recipe["train"]["batch_size"] // max(
            1, recipe["model"].get("n_critic", 1))
    recipe["compile"]["game"] = game if rule == "alternating" else rule
    keras.utils.set_random_seed(seed)
    model = build_model(recipe)
    dataset, _ = get_family(recipe["family"]).train_data(recipe)
    budget_cb, tracker = TimeBudget(budget), OrbitTracker(every=25, path=None)
    model.fit(dataset.repeat(), epochs=1, steps_per_epoch=10**7, verbose=0,
              callbacks=[budget_cb, tracker])
    metrics = evaluate_generator(model, n_samples=eval_samples, seed=0)
    return {"steps": budget_cb.steps, "s_per_step": budget_cb.elapsed / max(1, budget_cb.steps),
            "cfid": metrics["classifier_fid"], **tracker.summary()}


def main():
    warnings.filterwarnings("ignore", message=".*shuffle=True.*")
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recipes", nargs="+", default=["dcgan_fashion_mnist", "wgan_gp_fashion_mnist"])
    parser.add_argument("--rules", nargs="+",
                        default=["alternating", "extragradient", "optimistic", "lookahead", "consensus"])
    parser.add_argument("--budget", type=float, default=300.0, help="seconds per run")
    parser.add_argument("--eval-samples", type=int, default=5000)
    args = parser.parse_args()
    print(f"budget {args.budget:.0f} s per run; classifier-FID on {args.eval_samples} samples\n")
    print("| recipe | rule | steps | s/step | cFID | orbit angle (deg) | contraction |")
    print("|---|---|---|---|---|---|---|")
    for name in args.recipes:
        for rule in args.rules:
            r = run(name, rule, args.budget, args.eval_samples)
            print(f"| {name} | {rule} | {r['steps']} | {r['s_per_step']:.3f} | {r['cfid']:.2f} | "
                  f"{r['orbit_angle']:.1f} | {r['orbit_contraction']:.3f} |", flush=True)


if __name__ == "__main__":
    main()
