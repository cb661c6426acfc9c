"""BiGAN: a GAN with an encoder, for adversarial feature learning."""

from advzoo.models.bigan.bigan_model import BiGAN

__all__ = ["BiGAN"]
