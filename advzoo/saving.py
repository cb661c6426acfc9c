"""keras-hub style preset methods for advzoo's model classes.

`DCGAN.from_preset("dcgan_fashion_mnist")`, `DCGAN.from_preset("./my_dcgan")`
and `model.save_to_preset("./my_dcgan")` are the class-side spelling of
`advzoo.load` and `advzoo.save_to_preset`; they go through the same registry,
weights store and verification.
"""


class PresetMixin:
    """Adds `from_preset` and `save_to_preset` to a Keras model class."""

    @classmethod
    def from_preset(cls, preset, **kwargs):
        """Loads a registered preset or a preset directory as this class.

        Args:
            preset: a registered name (`advzoo.list_models()`) or a directory
                written by `save_to_preset`.
            **kwargs: passed to `advzoo.load` (`weights`, `strategy`, `progress`).

        Returns:
            A compiled model of this class, with verified weights.

        Example:
        >>> model = DCGAN.from_preset("dcgan_fashion_mnist")
        """
        from advzoo.api import load  # the loader imports the families, not the reverse

        model = load(preset, **kwargs)
        if not isinstance(model, cls):
            raise ValueError(f"{str(preset)!r} is a {type(model).__name__}, not a {cls.__name__}: "
                             f"use {type(model).__name__}.from_preset({str(preset)!r}) or "
                             f"advzoo.load({str(preset)!r}).")
        return model

    def save_to_preset(self, directory, **kwargs):
        """Saves this model as a preset directory (see `advzoo.save_to_preset`)."""
        from advzoo.api import save_to_preset

        return save_to_preset(self, directory, **kwargs)
