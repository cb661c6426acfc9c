"""BiGAN networks: an encoder x -> z and a joint discriminator D(x, z).

The generator is the DCGAN generator (`advzoo.models.dcgan.dcgan_networks`).
For the paper's ImageNet architecture see `build_alexnet_encoder`,
`build_imagenet_generator` and `build_imagenet_discriminator`.
"""

import keras
from keras import layers


def build_encoder(latent_dim=64, width=32, image_shape=(28, 28, 1), name="encoder"):
    """Small-image encoder: two strided 4x4 convolutions, a dense layer, a
    linear latent output (deterministic E(x), as in the paper)."""
    inputs = keras.Input(tuple(image_shape), name="image")
    x = inputs
    for filters in (width, 2 * width):
        x = layers.Conv2D(filters, 4, strides=2, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization(synchronized=True)(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(8 * width, use_bias=False)(x)
    x = layers.BatchNormalization(synchronized=True)(x)
    x = layers.LeakyReLU(0.2)(x)
    return keras.Model(inputs, layers.Dense(latent_dim, name="latent")(x), name=name)


def build_joint_discriminator(latent_dim=64, width=32, image_shape=(28, 28, 1), dropout=0.2,
                              name="discriminator"):
    """D(x, z): a convolutional branch on x and a dense branch on z, joined by
    a dense layer, one logit out. No batch norm (real and fake pairs never
    share statistics); dropout regularises D as in the paper's code."""
    image = keras.Input(tuple(image_shape), name="image")
    latent = keras.Input((latent_dim,), name="latent")
    x = image
    for filters in (width, 2 * width):
        x = layers.Conv2D(filters, 4, strides=2, padding="same")(x)
        x = layers.LeakyReLU(0.2)(x)
        x = layers.Dropout(dropout)(x)
    x = layers.Flatten()(x)
    z = layers.Dense(8 * width)(latent)
    z = layers.LeakyReLU(0.2)(z)
    z = layers.Dropout(dropout)(z)
    h = layers.Concatenate()([x, z])
    h = layers.Dense(16 * width)(h)
    h = layers.LeakyReLU(0.2)(h)
    h = layers.Dropout(dropout)(h)
    return keras.Model([image, latent], layers.Dense(1, name="logit")(h), name=name)


def build_alexnet_encoder(latent_dim=200, image_shape=(112, 112, 3), name="encoder"):
    """The paper's ImageNet encoder: AlexNet's conv1-conv5 (with BN instead of
    LRN, as in the authors' code) and two fully connected layers to z."""
    inputs = keras.Input(tuple(image_shape), name="image")
    x = inputs
    for filters, kernel, stride, pool in ((96, 11, 4, True), (256, 5, 1, True),
                                          (384, 3, 1, False), (384, 3, 1, False),
                                          (256, 3, 1, True)):
        x = layers.Conv2D(filters, kernel, strides=stride, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization(synchronized=True)(x)
        x = layers.ReLU()(x)
        if pool:
            x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(4096, use_bias=False)(x)
    x = layers.BatchNormalization(synchronized=True)(x)
    x = layers.ReLU()(x)
    return keras.Model(inputs, layers.Dense(latent_dim, name="latent")(x), name=name)


def build_imagenet_generator(latent_dim=200, image_shape=(112, 112, 3), name="generator"):
    """A convolutional generator for 64x64 or 112x112 images (the paper's
    sizes): a dense layer to a 7x7 (112) or 4x4 (64) map, then 4x4 stride-2
    transposed convolutions doubling the resolution up to the image."""
    h, w, c = image_shape
    if (h, w) not in ((64, 64), (112, 112)):
        raise ValueError(f"build_imagenet_generator supports 64x64 or 112x112 images, got "
                         f"{image_shape}.")
    base = 4 if h == 64 else 7
    z = keras.Input((latent_dim,), name="latent")
    x = layers.Dense(base * base * 512, use_bias=False)(z)
    x = layers.BatchNormalization(synchronized=True)(x)
    x = layers.ReLU()(x)
    x = layers.Reshape((base, base, 512))(x)
    for filters in (256, 128, 64):
        x = layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization(synchronized=True)(x)
        x = layers.ReLU()(x)
    x = layers.Conv2DTranspose(c, 4, strides=2, padding="same", activation="tanh",
                               name="to_image")(x)
    return keras.Model(z, x, name=name)


def build_imagenet_discriminator(latent_dim=200, image_shape=(112, 112, 3), dropout=0.2,
                                 name="discriminator"):
    """D(x, z) for ImageNet-sized images: strided convolutions on x, a dense
    branch on z, joined by two dense layers."""
    image = keras.Input(tuple(image_shape), name="image")
    latent = keras.Input((latent_dim,), name="latent")
    x = image
    for filters in (64, 128, 256, 512):
        x = layers.Conv2D(filters, 4, strides=2, padding="same")(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.GlobalAveragePooling2D()(x)
    z = layers.Dense(512)(latent)
    z = layers.LeakyReLU(0.2)(z)
    h = layers.Concatenate()([x, z])
    for units in (1024, 1024):
        h = layers.Dense(units)(h)
        h = layers.LeakyReLU(0.2)(h)
        h = layers.Dropout(dropout)(h)
    return keras.Model([image, latent], layers.Dense(1, name="logit")(h), name=name)
