"""Metric core: per-image counting, mergeable accumulation, and reductions under an explicit Policy."""
from .bootstrap import bootstrap_ci
from .detection import balanced_detection, detection_metrics, image_accuracy
from .evaluator import EvalResult, Evaluator
from .policy import Policy
from .ranking import average_precision, roc_auc

__all__ = ["Policy", "Evaluator", "EvalResult", "bootstrap_ci", "balanced_detection", "detection_metrics",
           "image_accuracy", "average_precision", "roc_auc"]
