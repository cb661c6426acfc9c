"""keras-tuner search space of the `dcgan` family."""

import keras

from advzoo.models.dcgan.dcgan_model import DCGAN
from advzoo.models.gan_tuning import GANHyperModel


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
