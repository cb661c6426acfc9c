"""Mixture of 8 Gaussians on a ring: modes covered and high-quality samples
per update rule (the classic mode-collapse toy of Metz et al. 2017).

Real data: 8 Gaussians (std 0.02) evenly on a circle of radius 2. A sample is
"high quality" within 3 std of its nearest mode; a mode is "covered" when at
least 20 of 2,500 samples are high-quality samples of it. Same MLPs, budget
and learning rate for every rule; mean over seeds.

Run by hand:  .venv/bin/python benchmarks/ring_of_gaussians.py [--steps 2000] [--seeds 3]
Prints a markdown table (the one in the README came from this script).
"""

import argparse
import time

import keras
import numpy as np

from advzoo.games import Consensus, Lookahead
from advzoo.models.gan_base import NonSaturatingGAN

MODES = 2.0 * np.stack([np.cos(np.arange(8) * np.pi / 4), np.sin(np.arange(8) * np.pi / 4)], 1)
STD = 0.02


def ring(n, rng):
    return (MODES[rng.integers(0, 8, n)] + STD * rng.standard_normal((n, 2))).astype("float32")


def mlp(inputs, outputs, name, hidden=128):
    return keras.Sequential([keras.Input((inputs,)), keras.layers.Dense(hidden, activation="relu"),
                             keras.layers.Dense(hidden, activation="relu"),
                             keras.layers.Dense(outputs)], name=name)


def score(samples):
    d = np.linalg.norm(samples[:, None] - MODES[None], axis=-1)
    nearest, dist = d.argmin(1), d.min(1)
    good = dist < 3 * STD
    counts = np.bincount(nearest[good], minlength=8)
    return int((counts >= 20).sum()), float(good.mean())


def run(rule, steps, seed, lr=1e-3, batch=256):
    keras.utils.set_random_seed(seed)
    model = NonSaturatingGAN(generator=mlp(16, 2, "generator"),
                             discriminator=mlp(2, 1, "discriminator"),
                             latent_dim=16, image_shape=(2,), seed=seed)
    opt = lambda: keras.optimizers.Adam(lr, beta_1=0.5, beta_2=0.999)  # noqa: E731
    model.compile(optimizers={"generator": opt(), "discriminator": opt()}, game=rule,
                  jit_compile=True)
    data = ring(steps * batch, np.random.default_rng(seed))
    start = time.perf_counter()
    model.fit(data, batch_size=batch, epochs=1, verbose=0)
    seconds = time.perf_counter() - start
    return score(model.generate(2500, seed=seed)) + (seconds,)


RULES = {
    "alternating": "alternating",
    "simultaneous": "simultaneous",
    "extragradient": "extragradient",
    "past_extragradient": "past_extragradient",
    "optimistic": "optimistic",
    "consensus (gamma=0.1)": Consensus(0.1),
    "lookahead (alternating, k=5, alpha=0.5)": Lookahead("alternating", 5, 0.5),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    print(f"8 Gaussians on a ring, {args.steps} steps, batch 256, Adam 1e-3, {args.seeds} seeds\n")
    print("| update rule | modes covered (of 8) | high-quality samples | seconds |")
    print("|---|---|---|---|")
    for label, rule in RULES.items():
        results = np.array([run(rule, args.steps, seed) for seed in range(args.seeds)])
        modes, quality, secs = results.mean(0)
        print(f"| {label} | {modes:.1f} ± {results[:, 0].std():.1f} | "
              f"{quality:.1%} ± {results[:, 1].std():.1%} | {secs:.0f} |", flush=True)


if __name__ == "__main__":
    main()
