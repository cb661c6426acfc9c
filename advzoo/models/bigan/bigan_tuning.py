"""keras-tuner search space of the `bigan` family."""

import keras

from advzoo.models.gan_tuning import GANHyperModel


class BiGANHyperModel(GANHyperModel):
    """Searches BiGAN: learning rates, discriminator dropout, latent size, width.
    The objective is classifier-FID of its samples (as for every GAN family)."""

    def build(self, hp):
        from advzoo.models.bigan.bigan_model import BiGAN

        model = BiGAN(latent_dim=hp.Choice("latent_dim", [32, 64, 128], default=64),
                      width=hp.Choice("width", [16, 32], default=32),
                      discriminator_dropout=hp.Float("discriminator_dropout", 0.0, 0.5,
                                                     step=0.1, default=0.2))
        lr_g = hp.Float("generator_lr", 5e-5, 1e-3, sampling="log", default=2e-4)
        lr_d = hp.Float("discriminator_lr", 5e-5, 1e-3, sampling="log", default=2e-4)
        model.compile(optimizers={"generator": keras.optimizers.Adam(lr_g, beta_1=0.5),
                                  "discriminator": keras.optimizers.Adam(lr_d, beta_1=0.5)})
        return model
