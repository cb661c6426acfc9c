from advzoo.models.classifier.classifier_model import FeatureClassifier

from advzoo.models.classifier.classifier_presets import FAMILY

__all__ = ["FAMILY", "FeatureClassifier"]
