from advzoo.models.wgan.wgan_model import WGAN

from advzoo.models.wgan.wgan_presets import FAMILY

__all__ = ["FAMILY", "WGAN"]
