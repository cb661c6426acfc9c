from advzoo.models.dcgan.dcgan_model import DCGAN
from advzoo.models.dcgan.dcgan_networks import build_discriminator, build_generator

from advzoo.models.dcgan.dcgan_presets import FAMILY

__all__ = ["FAMILY", "DCGAN", "build_discriminator", "build_generator"]
