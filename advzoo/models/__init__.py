"""Model families. Importing this package registers them all."""

from advzoo.models.classifier import classifier_presets  # noqa: F401
from advzoo.models.dcgan import dcgan_presets  # noqa: F401
from advzoo.models.wgan import wgan_presets  # noqa: F401,E402
from advzoo.models.dann import dann_presets  # noqa: F401,E402
from advzoo.models.bigan import bigan_presets  # noqa: F401,E402
from advzoo.models.aae import aae_presets  # noqa: F401,E402
from advzoo.models.triplet import triplet_presets  # noqa: F401,E402
