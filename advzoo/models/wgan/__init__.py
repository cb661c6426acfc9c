from advzoo.models.wgan.wgan_model import WGAN

__all__ = ["WGAN"]
