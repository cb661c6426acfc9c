"""The `wgan` family (WGAN with clipping and WGAN-GP share one model class)."""

from advzoo.models.gan_presets import gan_family
from advzoo.models.wgan.wgan_model import WGAN

FAMILY = gan_family("wgan", WGAN)
