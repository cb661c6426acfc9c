"""Throughput of advzoo's DCGAN train_step against a minimal hand-written
two-tape loop over the *same* networks, measured side by side in one run.

The game base should cost nothing: the printed ratio advzoo / hand-written
should be >= 0.95. Also compares eager, tf.function and XLA compilation, and
what `model.fit` delivers end to end.

Run by hand on a quiet machine:
    .venv/bin/python benchmarks/train_step.py [--steps 30] [--batch-size 64]
"""

import argparse
import time

import keras
import numpy as np
import tensorflow as tf

from advzoo.models.dcgan import DCGAN


def hand_written_step(model, jit):
    """The keras-io style loop: two tapes, the same losses, no base class."""
    g, d = model.generator, model.discriminator
    g_opt, d_opt = model.generator_optimizer, model.discriminator_optimizer
    bce = keras.losses.BinaryCrossentropy(from_logits=True)

    def step(real):
        n = tf.shape(real)[0]
        z = tf.random.normal((n, model.latent_dim))
        with tf.GradientTape() as tape:
            real_logits = d(real, training=True)
            fake_logits = d(g(z, training=True), training=True)
            d_loss = bce(tf.ones_like(real_logits), real_logits) + bce(tf.zeros_like(fake_logits), fake_logits)
        d_opt.apply_gradients(zip(tape.gradient(d_loss, d.trainable_variables), d.trainable_variables))
        with tf.GradientTape() as tape:
            fake_logits = d(g(z, training=True), training=True)
            g_loss = bce(tf.ones_like(fake_logits), fake_logits)
        g_opt.apply_gradients(zip(tape.gradient(g_loss, g.trainable_variables), g.trainable_variables))
        return d_loss, g_loss

    return step if jit is None else tf.function(step, jit_compile=jit)


def advzoo_step(model, jit):
    step = model.train_step
    return step if jit is None else tf.function(step, jit_compile=jit)


def make_model(width, latent_dim):
    model = DCGAN(latent_dim=latent_dim, width=width, seed=0)
    model.compile(optimizers={"generator": keras.optimizers.Adam(2e-4, beta_1=0.5),
                              "discriminator": keras.optimizers.Adam(2e-4, beta_1=0.5)})
    return model


def images_per_second(step, batch, steps, warmup=3):
    for _ in range(warmup):
        out = step(batch)
    tf.nest.map_structure(lambda t: t.numpy() if hasattr(t, "numpy") else t, out)
    start = time.perf_counter()
    for _ in range(steps):
        out = step(batch)
    tf.nest.map_structure(lambda t: t.numpy() if hasattr(t, "numpy") else t, out)
    return steps * batch.shape[0] / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--latent-dim", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved repetitions")
    args = parser.parse_args()
    batch = tf.constant(np.random.default_rng(0).uniform(-1, 1, (args.batch_size, 28, 28, 1)),
                        tf.float32)
    print(f"DCGAN width={args.width} latent={args.latent_dim} batch={args.batch_size}, "
          f"{args.steps} steps x {args.rounds} interleaved rounds; images/s (higher is better)")
    modes = [("eager", None), ("tf.function", False), ("XLA", True)]
    results = {}
    for mode, jit in modes:
        steps = max(3, args.steps // 5) if jit is None else args.steps
        hand, base = make_model(args.width, args.latent_dim), make_model(args.width, args.latent_dim)
        base.set_weights(hand.get_weights())
        fns = {"hand-written": hand_written_step(hand, jit), "advzoo": advzoo_step(base, jit)}
        runs = {k: [] for k in fns}
        for _ in range(args.rounds):  # interleave so that machine noise hits both alike
            for name, fn in fns.items():
                runs[name].append(images_per_second(fn, batch, steps))
        results[mode] = {k: float(np.median(v)) for k, v in runs.items()}
        r = results[mode]
        print(f"  {mode:<12} hand-written {r['hand-written']:8.1f}   advzoo {r['advzoo']:8.1f}   "
              f"ratio advzoo/hand {r['advzoo'] / r['hand-written']:.3f}")
    fit_model = make_model(args.width, args.latent_dim)
    fit_model.compile(optimizers={"generator": keras.optimizers.Adam(2e-4, beta_1=0.5),
                                  "discriminator": keras.optimizers.Adam(2e-4, beta_1=0.5)},
                      jit_compile=True)
    data = tf.data.Dataset.from_tensors(batch).repeat(args.steps + 3)
    fit_model.fit(data.take(3), verbose=0)
    start = time.perf_counter()
    fit_model.fit(data.take(args.steps), verbose=0)
    fit_ips = args.steps * args.batch_size / (time.perf_counter() - start)
    print(f"  model.fit (XLA) {fit_ips:8.1f} images/s; "
          f"XLA / tf.function speed-up (advzoo) "
          f"{results['XLA']['advzoo'] / results['tf.function']['advzoo']:.2f}x; "
          f"tf.function / eager {results['tf.function']['advzoo'] / results['eager']['advzoo']:.1f}x")


if __name__ == "__main__":
    main()
