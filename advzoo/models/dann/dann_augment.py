"""Training-time input augmentation, virtual adversarial training and
mean-teacher consistency for domain adaptation (self-ensembling: French,
Mackiewicz and Fisher 2018; VADA: Shu et al. 2018)."""

from keras import ops, random

AUGMENTATIONS = (None, "intensity")


def intensity_augment(x, seed, flip=0.5, gain=(0.5, 1.5), offset=0.3, noise=0.05):
    """Random per-image, per-channel intensity changes of float images in [-1, 1].

    Each channel of each image is independently inverted with probability
    `flip` (`x -> -x`: dark garments on a light ground, and colours a
    greyscale source never has), scaled by a gain drawn from `gain`, shifted by
    an offset drawn from `[-offset, offset]`; then Gaussian pixel noise of std
    `noise` is added. Nothing here knows how the target domain was made: these
    are the generic intensity augmentations of self-ensembling domain
    adaptation (intensity flip, scale, offset, noise). Under per-image instance
    normalisation the gain and offset cancel; the flips and the noise remain.

    Args:
        x: float images `(batch, height, width, channels)`.
        seed: a `keras.random.SeedGenerator`.
        flip: probability of inverting a channel.
        gain: `(low, high)` range of the per-channel gain.
        offset: half-width of the per-channel offset range.
        noise: std of the added Gaussian noise.

    Returns:
        Augmented images, same shape and dtype (not clipped).
    """
    shape = (ops.shape(x)[0], 1, 1, ops.shape(x)[-1])
    sign = ops.where(random.uniform(shape, seed=seed) < flip, -1.0, 1.0)
    scale = random.uniform(shape, gain[0], gain[1], seed=seed)
    shift = random.uniform(shape, -offset, offset, seed=seed)
    x = ops.cast(x, "float32") * sign * scale + shift
    if noise:
        x = x + noise * random.normal(ops.shape(x), seed=seed)
    return x


def virtual_adversarial_loss(predict, x, probs, weights, seed, radius=2.0, xi=0.1):
    """Virtual adversarial training (Miyato et al. 2018): the KL divergence
    between the prediction at `x` (held fixed) and at `x + r`, where `r`
    (L2 norm `radius` per image) is the direction, found by one power
    iteration, in which the prediction changes fastest.

    Penalising it keeps the classifier locally smooth around every input, so
    that pushing target predictions away from the decision boundary
    (conditional entropy) moves the boundary into low-density regions
    instead of just sharpening it (VADA, Shu et al. 2018).

    `predict(images)` is run twice here (the clean pass `probs` is the
    caller's), in training mode; the state updates of these perturbed passes
    (batch-norm moving statistics) are discarded.

    Args:
        predict: images -> class probabilities (training mode).
        x: the images of the batch.
        probs: `predict(x)`, the clean predictions (held fixed).
        weights: per-example weights (e.g. 1 on unlabelled target images).
        seed: a `keras.random.SeedGenerator` for the initial direction.
        radius: L2 norm of the perturbation, per image.
        xi: L2 norm of the finite-difference step of the power iteration (much
            smaller steps vanish in float32 rounding of the pixels).

    Returns:
        The weighted mean KL divergence (not replica-scaled).
    """
    import tensorflow as tf

    p = ops.stop_gradient(ops.clip(probs, 1e-7, 1.0))

    def kl(q):
        q = ops.clip(q, 1e-7, 1.0)
        return ops.sum(p * (ops.log(p) - ops.log(q)), -1)

    d = _unit(random.normal(ops.shape(x), seed=seed))
    with tf.GradientTape() as tape:
        tape.watch(d)
        with _discarding_scope():
            dist = ops.sum(kl(predict(x + xi * d)))
    r = radius * _unit(ops.stop_gradient(tape.gradient(dist, d)))
    with _discarding_scope():
        adv = kl(predict(x + r))
    return ops.sum(adv * weights) / ops.maximum(ops.sum(weights), 1.0)


def teacher_predictions(predict, variables, optimizer, x):
    """Predictions of the *mean teacher* (Tarvainen and Valpola 2017): the
    network run with the exponential moving average of its weights that the
    optimizer keeps (`use_ema=True`), in inference mode, held fixed.

    Before the first update the average is not set yet; the current weights
    stand in for it. State updates are discarded.

    Args:
        predict: images -> class probabilities, `training=False`.
        variables: the trainable variables the optimizer averages.
        optimizer: a Keras optimizer built on `variables` with `use_ema=True`.
        x: images.
    """
    if not getattr(optimizer, "use_ema", False):
        raise ValueError("A mean teacher needs the task optimizer's moving average of the "
                         "weights: compile with use_ema=True (e.g. {'class_name': 'Adam', "
                         "'config': {'use_ema': True, 'ema_momentum': 0.99}}).")
    started = ops.cast(ops.greater(optimizer.iterations, 0), "float32")
    averages = optimizer._model_variables_moving_average
    mapping = [(v, started * averages[optimizer._get_variable_index(v)] + (1.0 - started) * v)
               for v in variables]
    with _discarding_scope(mapping):
        return ops.stop_gradient(predict(x))


def consistency_loss(probs, teacher, weights, threshold=0.9):
    """Self-ensembling consistency (French et al. 2018): the squared
    difference between the student's and the teacher's class probabilities,
    counted only where the teacher is confident (max probability above
    `threshold`), averaged over the examples with weight (not replica-scaled).
    """
    confident = ops.cast(ops.max(teacher, -1) > threshold, "float32")
    sq = ops.sum(ops.square(probs - teacher), -1)
    return ops.sum(sq * confident * weights) / ops.maximum(ops.sum(weights), 1.0)


def _discarding_scope(mapping=()):
    """A scope that discards state updates (batch-norm statistics) and reads
    variables as the enclosing stateless scope does, if any (e.g. the
    look-ahead weights of the extragradient rule), or as `mapping`
    (`(variable, value)` pairs) says."""
    from advzoo.compat import StatelessScope, get_stateless_scope

    outer = get_stateless_scope()
    scope = StatelessScope(state_mapping=list(mapping))
    if outer is not None:
        scope.state_mapping = {**outer.state_mapping, **scope.state_mapping}
    return scope


def _unit(d):
    norm = ops.sqrt(ops.sum(ops.square(d), axis=(1, 2, 3), keepdims=True))
    return d / ops.maximum(norm, 1e-12)
