"""keras-tuner search spaces of the `wgan` family (clipped and gradient penalty)."""

import keras

from advzoo.models.gan_tuning import GANHyperModel
from advzoo.models.wgan.wgan_model import WGAN


class WGANHyperModel(GANHyperModel):
    """Searches a WGAN, in one of two variants:

    * `"gp"` (WGAN-GP): Adam learning rates and beta_2, n_critic, penalty
      weight, the update rule (alternating / optimistic / extragradient), width;
    * `"clip"` (the original weight-clipped WGAN): RMSProp learning rates,
      clip value, n_critic, batch norm in the critic, the update rule, width.

    Args:
        variant: `"gp"` or `"clip"` (`hypermodel_for("wgan", recipe)` picks
            it from the recipe).
        **kwargs: see `GANHyperModel`.
    """

    VARIANTS = ("gp", "clip")

    def __init__(self, variant="gp", **kwargs):
        if variant not in self.VARIANTS:
            raise ValueError(f"WGANHyperModel variant must be one of {self.VARIANTS}, "
                             f"got {variant!r}.")
        super().__init__(**kwargs)
        self.variant = variant

    def build(self, hp):
        common = {"latent_dim": hp.Choice("latent_dim", [32, 64], default=64),
                  "width": hp.Choice("width", [16, 32], default=32),
                  "n_critic": hp.Choice("n_critic", [1, 2, 5], default=5)}
        if self.variant == "gp":
            model = WGAN(gradient_penalty=hp.Float("gradient_penalty", 1.0, 20.0,
                                                   sampling="log", default=10.0), **common)
            beta_2 = hp.Choice("beta_2", [0.9, 0.99], default=0.9)
            lr_g = hp.Float("generator_lr", 3e-5, 1e-3, sampling="log", default=1e-4)
            lr_d = hp.Float("discriminator_lr", 3e-5, 1e-3, sampling="log", default=1e-4)
            optimizers = {"generator": keras.optimizers.Adam(lr_g, beta_1=0.5, beta_2=beta_2),
                          "discriminator": keras.optimizers.Adam(lr_d, beta_1=0.5, beta_2=beta_2)}
        else:
            model = WGAN(gradient_penalty=0.0,
                         clip_value=hp.Choice("clip_value", [0.005, 0.01, 0.02], default=0.01),
                         critic_batch_norm=hp.Boolean("critic_batch_norm", default=True),
                         **common)
            lr_g = hp.Float("generator_lr", 1e-5, 5e-4, sampling="log", default=5e-5)
            lr_d = hp.Float("discriminator_lr", 1e-5, 5e-4, sampling="log", default=5e-5)
            optimizers = {"generator": keras.optimizers.RMSprop(lr_g),
                          "discriminator": keras.optimizers.RMSprop(lr_d)}
        model.compile(optimizers=optimizers,
                      game=hp.Choice("game", ["alternating", "optimistic", "extragradient"],
                                     default="alternating"))
        return model
