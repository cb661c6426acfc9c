"""keras-tuner HyperModels whose objective is sample quality.

Example:
>>> import keras_tuner as kt
>>> hm = advzoo.tuning.DCGANHyperModel(n_eval_samples=2000)
>>> tuner = kt.RandomSearch(hm, objective=hm.objective, max_trials=4, directory="runs/tune")
>>> tuner.search(advzoo.data.make_dataset(x_train), epochs=2)
"""

import keras
import keras_tuner as kt

from advzoo.metrics.generative import evaluate_generator
from advzoo.models.dcgan import DCGAN
from advzoo.models.wgan import WGAN


class GANHyperModel(kt.HyperModel):
    """Base HyperModel for GAN families: `fit` trains, then scores the model by
    classifier-FID (lower is better), which is the declared `objective`.

    Args:
        n_eval_samples: generated images used to compute classifier-FID.
        eval_seed: seed of those samples.
        dataset: reference dataset of the evaluator.
    """

    objective = kt.Objective("classifier_fid", direction="min")

    def __init__(self, n_eval_samples=2000, eval_seed=0, dataset="fashion_mnist", **kwargs):
        super().__init__(**kwargs)
        self.n_eval_samples = n_eval_samples
        self.eval_seed = eval_seed
        self.dataset = dataset

    def fit(self, hp, model, *args, **kwargs):
        history = model.fit(*args, **kwargs)
        metrics = evaluate_generator(model, self.n_eval_samples, self.eval_seed, self.dataset)
        return {"classifier_fid": metrics["classifier_fid"],
                "discriminator_loss": float(history.history["discriminator_loss"][-1])}


class DCGANHyperModel(GANHyperModel):
    """Searches DCGAN learning rates, Adam betas, latent size and width."""

    def build(self, hp):
        model = DCGAN(latent_dim=hp.Choice("latent_dim", [32, 64, 128], default=64),
                      width=hp.Choice("width", [16, 32, 48], default=32))
        beta_1 = hp.Choice("beta_1", [0.0, 0.5, 0.9], default=0.5)
        beta_2 = hp.Choice("beta_2", [0.9, 0.999], default=0.999)
        lr_g = hp.Float("generator_lr", 5e-5, 1e-3, sampling="log", default=2e-4)
        lr_d = hp.Float("discriminator_lr", 5e-5, 1e-3, sampling="log", default=2e-4)
        model.compile(optimizers={
            "generator": keras.optimizers.Adam(lr_g, beta_1=beta_1, beta_2=beta_2),
            "discriminator": keras.optimizers.Adam(lr_d, beta_1=beta_1, beta_2=beta_2)})
        return model


class WGANHyperModel(GANHyperModel):
    """Searches WGAN-GP: learning rates, Adam beta_2, n_critic, penalty weight,
    the update rule (alternating / optimistic / extragradient) and width."""

    def build(self, hp):
        model = WGAN(latent_dim=hp.Choice("latent_dim", [32, 64], default=64),
                     width=hp.Choice("width", [16, 32], default=32),
                     n_critic=hp.Choice("n_critic", [1, 2, 5], default=5),
                     gradient_penalty=hp.Float("gradient_penalty", 1.0, 20.0, sampling="log",
                                               default=10.0))
        beta_2 = hp.Choice("beta_2", [0.9, 0.99], default=0.9)
        lr_g = hp.Float("generator_lr", 3e-5, 1e-3, sampling="log", default=1e-4)
        lr_d = hp.Float("discriminator_lr", 3e-5, 1e-3, sampling="log", default=1e-4)
        model.compile(optimizers={
            "generator": keras.optimizers.Adam(lr_g, beta_1=0.5, beta_2=beta_2),
            "discriminator": keras.optimizers.Adam(lr_d, beta_1=0.5, beta_2=beta_2)},
            game=hp.Choice("game", ["alternating", "optimistic", "extragradient"],
                           default="alternating"))
        return model


HYPERMODELS = {"dcgan": DCGANHyperModel, "wgan": WGANHyperModel}


def hypermodel_for(family, **kwargs):
    """The HyperModel of a registered family name."""
    if family not in HYPERMODELS:
        raise ValueError(f"No HyperModel for family {family!r}; available: {sorted(HYPERMODELS)}.")
    return HYPERMODELS[family](**kwargs)
