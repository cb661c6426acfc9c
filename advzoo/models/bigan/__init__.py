"""BiGAN: a GAN with an encoder, for adversarial feature learning."""

from advzoo.models.bigan.bigan_model import BiGAN

from advzoo.models.bigan.bigan_presets import FAMILY

__all__ = ["FAMILY", "BiGAN"]
