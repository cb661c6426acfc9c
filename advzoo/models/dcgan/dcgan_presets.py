"""The `dcgan` family: how recipes build, feed, evaluate and show a DCGAN."""

from advzoo.models.dcgan.dcgan_model import DCGAN
from advzoo.models.gan_presets import gan_family

FAMILY = gan_family("dcgan", DCGAN)
