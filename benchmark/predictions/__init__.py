"""The predictions format (what `bench predict` writes and the leaderboard receives), its
validator and `bench pack` for detectors outside the toolkit."""
from .format import Predictions, write_predictions
from .pack import pack_predictions
from .validate import PredictionsError, validate_predictions

__all__ = ["Predictions", "PredictionsError", "pack_predictions", "validate_predictions", "write_predictions"]
