"""DCGAN recipe variants against their control, cFID against training seconds.

Each variant trains on the Fashion-MNIST training split for a fixed budget of
training seconds (evaluation time excluded) and is scored after every epoch
with classifier-FID on 5,000 samples (the preset's protocol uses 10,000; the
final checkpoint of each run is re-scored with 10,000).

Variants (each changes one thing from the one before it, so every row has
its own control in the row above):

* ``control``  - the published `dcgan_fashion_mnist` recipe (width 32 both nets);
* ``wide_d``   - discriminator width 64 (the 2-conv D of width 32 ends at chance);
* ``wide_d_ema`` - plus a generator EMA (Adam ``use_ema``, momentum 0.998);
* ``wide_d_ema_aug`` - plus DiffAugment-style translation + cutout on every
  image the discriminator sees (Zhao et al. 2020).

Usage:
    python -m research.gan_recipes.dcgan_sweep --budget 1200 --out docs/studies/dcgan_sweep.json
    python -m research.gan_recipes.dcgan_sweep --budget 30 --variants control   # smoke run
"""

import argparse
import json
import time
from pathlib import Path

import keras
import numpy as np
from keras import ops

from advzoo import data as adata
from advzoo.metrics.generative import sample_quality
from advzoo.models.dcgan.dcgan_model import DCGAN
from advzoo.models.dcgan.dcgan_networks import build_discriminator


def diff_augment(images, seed_generator, shift=4, cutout=14):
    """Random translation (up to `shift` pixels, background fill -1) and one
    random `cutout`x`cutout` square set to 0, per image; differentiable in
    `images` (Zhao et al. 2020, "translation,cutout")."""
    n = ops.shape(images)[0]
    h, w = images.shape[1], images.shape[2]
    t = keras.random.randint((n, 2), -shift, shift + 1, seed=seed_generator)
    # shift matrices (one-hot rows; out-of-range rows are all zero, i.e. the
    # background after the +1 offset), so XLA compiles it and it is differentiable
    rows_from = ops.arange(h)[None, :] - t[:, :1]
    cols_from = ops.arange(w)[None, :] - t[:, 1:]
    r = ops.one_hot(rows_from, h)            # (n, h, h)
    c = ops.one_hot(cols_from, w)            # (n, w, w)
    x = ops.einsum("nij,njkc,nlk->nilc", r, images + 1.0, c) - 1.0
    centre = keras.random.randint((n, 2), 0, h, seed=seed_generator)
    rows = ops.arange(h)[None, :, None]
    cols = ops.arange(w)[None, None, :]
    cy, cx = centre[:, 0][:, None, None], centre[:, 1][:, None, None]
    inside = ((ops.abs(rows - cy) < cutout // 2) & (ops.abs(cols - cx) < cutout // 2))
    mask = 1.0 - ops.cast(inside, "float32")[..., None]
    return x * mask


class SweepDCGAN(DCGAN):
    """`DCGAN` with its own discriminator width and optional DiffAugment."""

    def __init__(self, d_width=None, augment=False, **kwargs):
        super().__init__(**kwargs)
        self.d_width = d_width or self.width
        self.augment = augment
        if self.d_width != self.width:
            self.discriminator = build_discriminator(self.d_width, self.image_shape)
        self.aug_seed = keras.random.SeedGenerator(1)

    def _d(self, x, training):
        if self.augment and training:
            x = diff_augment(x, self.aug_seed)
        return self.discriminator(x, training=training)

    def discriminator_loss(self, data, training=True):
        real, z = data
        fake = self.generator(z, training=training)
        real_logits, fake_logits = self._d(real, training), self._d(fake, training)
        loss = self.bce(ops.ones_like(real_logits), real_logits) + self.bce(ops.zeros_like(fake_logits), fake_logits)
        return loss, {"real_accuracy": ops.mean(ops.cast(real_logits > 0, "float32")),
                      "fake_accuracy": ops.mean(ops.cast(fake_logits < 0, "float32"))}

    def generator_loss(self, data, training=True):
        _, z = data
        fake_logits = self._d(self.generator(z, training=training), training)
        return self.bce(ops.ones_like(fake_logits), fake_logits)


VARIANTS = {
    "control": {},
    "wide_d": {"d_width": 64},
    "wide_d_ema": {"d_width": 64, "ema": True},
    "wide_d_ema_aug": {"d_width": 64, "ema": True, "augment": True},
}


class Budget(keras.callbacks.Callback):
    """Scores the generator after each epoch and stops past `budget` training
    seconds (scoring time is not counted)."""

    def __init__(self, budget, n_samples, log):
        super().__init__()
        self.budget, self.n_samples, self.log = budget, n_samples, log
        self.trained = 0.0
        self.rows = []

    def on_epoch_begin(self, epoch, logs=None):
        self.t0 = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.trained += time.perf_counter() - self.t0
        gen_opt = self.model.optimizer_for(self.model.players()[1])
        backup = [v.numpy() for v in self.model.generator.trainable_variables]
        if getattr(gen_opt, "use_ema", False):
            gen_opt.finalize_variable_values(self.model.generator.trainable_variables)
        q = sample_quality(self.model.generate(self.n_samples, seed=0))
        for v, b in zip(self.model.generator.trainable_variables, backup):
            v.assign(b)
        row = {"epoch": epoch + 1, "train_seconds": round(self.trained, 1),
               "classifier_fid": q["classifier_fid"], "recall": q["recall"],
               "min_class_fraction": q["min_class_fraction"],
               "d_loss": round(float(logs.get("discriminator_loss", np.nan)), 4)}
        self.rows.append(row)
        print(json.dumps(row), file=self.log, flush=True)
        if self.trained >= self.budget:
            self.model.stop_training = True


def run(name, budget, n_samples=5000, batch_size=64, log=None):
    cfg = dict(VARIANTS[name])
    ema = cfg.pop("ema", False)
    keras.utils.set_random_seed(0)
    model = SweepDCGAN(latent_dim=64, width=32, seed=0, **cfg)
    adam = {"learning_rate": 2e-4, "beta_1": 0.5}
    model.compile(optimizers={"discriminator": keras.optimizers.Adam(**adam),
                              "generator": keras.optimizers.Adam(**adam, use_ema=ema, ema_momentum=0.998)},
                  jit_compile=True)
    x, _ = adata.load("fashion_mnist", "train")
    ds = adata.make_dataset(x, batch_size=batch_size, seed=0)
    budget_cb = Budget(budget, n_samples, log)
    model.fit(ds, epochs=1000, callbacks=[budget_cb], verbose=0)
    final = sample_quality(model.generate(10000, seed=0))  # fit has finalized the EMA
    return {"variant": name, "config": VARIANTS[name], "curve": budget_cb.rows,
            "final_10k": {k: final[k] for k in ("classifier_fid", "kid", "precision", "recall",
                                                 "min_class_fraction")}}, model


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--budget", type=float, default=1200, help="training seconds per variant")
    p.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    p.add_argument("--out", default=None)
    p.add_argument("--grid-dir", default=None, help="write each variant's 8x8 sample grid here")
    args = p.parse_args(argv)
    import sys
    results = []
    for name in args.variants:
        print(f"== {name}", flush=True)
        result, model = run(name, args.budget, log=sys.stdout)
        print(json.dumps(result["final_10k"]), flush=True)
        results.append(result)
        if args.grid_dir:
            from advzoo.utils.images import save_grid
            Path(args.grid_dir).mkdir(parents=True, exist_ok=True)
            save_grid(model.generate(64, seed=1), Path(args.grid_dir) / f"dcgan_{name}.png")
        if args.out:
            Path(args.out).write_text(json.dumps({"budget_seconds": args.budget, "results": results}, indent=1))


if __name__ == "__main__":
    main()
