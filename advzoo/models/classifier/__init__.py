from advzoo.models.classifier.classifier_model import FeatureClassifier

__all__ = ["FeatureClassifier"]
