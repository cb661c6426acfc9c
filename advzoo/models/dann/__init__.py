"""Domain-adversarial classifiers: DANN, DAN-style MMD, forgetting, debiasing."""

from advzoo.models.dann.dann_adabn import (adapt_batch_norm, batch_norm_adapted,
                                            restore_batch_norm)
from advzoo.models.dann.dann_augment import intensity_augment, virtual_adversarial_loss
from advzoo.models.dann.dann_batches import nuisance_balancing_weights
from advzoo.models.dann.dann_model import DomainAdversarialNet
from advzoo.models.dann.dann_presets import adaptation_dataset
from advzoo.models.dann.dann_schedules import (DANNLearningRate, GradientReversalSchedule,
                                               mk_mmd, reversal_strength)

from advzoo.models.dann.dann_presets import FAMILY

__all__ = ["FAMILY", "DANNLearningRate", "DomainAdversarialNet", "GradientReversalSchedule",
           "adapt_batch_norm", "adaptation_dataset", "batch_norm_adapted",
           "intensity_augment",
           "mk_mmd", "nuisance_balancing_weights", "restore_batch_norm",
           "reversal_strength",
           "virtual_adversarial_loss"]
