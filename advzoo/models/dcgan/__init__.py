from advzoo.models.dcgan.dcgan_model import DCGAN
from advzoo.models.dcgan.dcgan_networks import build_discriminator, build_generator

__all__ = ["DCGAN", "build_discriminator", "build_generator"]
