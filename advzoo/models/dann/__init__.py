"""Domain-adversarial classifiers: DANN, DAN-style MMD, forgetting, debiasing."""

from advzoo.models.dann.dann_model import DomainAdversarialNet, nuisance_balancing_weights
from advzoo.models.dann.dann_presets import adaptation_dataset
from advzoo.models.dann.dann_schedules import (DANNLearningRate, GradientReversalSchedule,
                                               mk_mmd, reversal_strength)

__all__ = ["DANNLearningRate", "DomainAdversarialNet", "GradientReversalSchedule",
           "adaptation_dataset", "mk_mmd", "nuisance_balancing_weights", "reversal_strength"]
