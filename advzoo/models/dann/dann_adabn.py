"""Adaptive batch normalisation (AdaBN): re-estimate a network's batch-norm
statistics on the domain it is about to predict on."""

import contextlib

import keras
import numpy as np


def batch_norm_layers(model):
    """Every `keras.layers.BatchNormalization` inside `model` (nested models included)."""
    return [layer for layer in model._flatten_layers()
            if isinstance(layer, keras.layers.BatchNormalization)]


def batch_norm_state(model):
    """The moving statistics of every batch-norm layer, as numpy (for restoring)."""
    return [(np.array(bn.moving_mean), np.array(bn.moving_variance))
            for bn in batch_norm_layers(model)]


def restore_batch_norm(model, state):
    """Puts back statistics saved by `batch_norm_state` (or returned by
    `adapt_batch_norm`)."""
    layers = batch_norm_layers(model)
    if len(layers) != len(state):
        raise ValueError(f"The saved state has {len(state)} batch-norm layers, the model "
                         f"{len(layers)}.")
    for bn, (mean, var) in zip(layers, state):
        bn.moving_mean.assign(mean)
        bn.moving_variance.assign(var)


def adapt_batch_norm(model, images, batch_size=500):
    """AdaBN (Li et al. 2016): sets every batch-norm layer's moving statistics
    to the mean and variance of its inputs over `images`.

    A network trained on one domain normalises another domain's activations
    with the wrong statistics; re-estimating them on unlabelled images of the
    new domain (no gradient step, no labels) removes the first- and
    second-moment shift at every layer. Statistics are averaged over batches
    of `batch_size` (each batch normalised by its own statistics, as in
    training). The weights do not change; on any error the old statistics are
    put back.

    Args:
        model: a Keras model with batch-norm layers, called as `model(x, training=True)`
            (layers such as dropout also run in training mode while the
            statistics are gathered).
        images: float images as the model takes them (e.g. `advzoo.data.to_float(x)`),
            at least `batch_size` of them for a full-size batch.
        batch_size: images per statistics batch.

    Returns:
        The previous statistics; `restore_batch_norm(model, previous)` undoes the change.

    Example:
    >>> model = advzoo.load("dann_fashion_mnist_m")
    >>> previous = adapt_batch_norm(model, advzoo.data.to_float(target_images))
    >>> probs = model.predict(advzoo.data.to_float(target_test_images))
    >>> restore_batch_norm(model, previous)

    Reference:
        Li, Wang, Shi, Liu, Hou. Revisiting Batch Normalization For Practical
        Domain Adaptation. ICLR workshop 2017 (arXiv:1603.04779).
    """
    layers = batch_norm_layers(model)
    if not layers:
        raise ValueError(f"{type(model).__name__} has no BatchNormalization layers; "
                         "adapt_batch_norm has nothing to re-estimate.")
    images = np.asarray(images)
    if images.ndim < 2 or len(images) == 0:
        raise ValueError(f"adapt_batch_norm needs a batch of images, got an array of shape "
                         f"{images.shape}.")
    if not np.issubdtype(images.dtype, np.floating):
        raise ValueError(f"adapt_batch_norm wants float images as the model takes them "
                         f"(advzoo.data.to_float), got dtype {images.dtype}.")
    if batch_size < 2:
        raise ValueError(f"batch_size must be >= 2 (a variance needs two images), got {batch_size}.")
    check = getattr(model, "_check_images", None)
    if check is not None:
        check(images[:1], "adapt_batch_norm")
    previous = batch_norm_state(model)
    momenta = [bn.momentum for bn in layers]
    trainable = [bn.trainable for bn in layers]
    try:
        for bn in layers:  # a frozen layer does not update its statistics
            bn.trainable = True
        for k, start in enumerate(range(0, len(images), batch_size)):
            batch = images[start:start + batch_size]
            if len(batch) < 2:
                break
            for bn in layers:  # running average over batches: k/(k+1) old, 1/(k+1) new
                bn.momentum = k / (k + 1.0)
            model(batch, training=True)
    except BaseException:
        restore_batch_norm(model, previous)
        raise
    finally:
        for bn, momentum, was_trainable in zip(layers, momenta, trainable):
            bn.momentum = momentum
            bn.trainable = was_trainable
    return previous


@contextlib.contextmanager
def batch_norm_adapted(model, images, batch_size=500):
    """`with batch_norm_adapted(model, target_images): ...` predicts with
    statistics re-estimated on `images` inside the block and restores the old
    ones after it."""
    previous = adapt_batch_norm(model, images, batch_size)
    try:
        yield model
    finally:
        restore_batch_norm(model, previous)
