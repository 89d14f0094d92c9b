"""The predictions format (what `bench predict` writes and the leaderboard receives): its names
(`spec`), mask codecs and guards (`codecs`), reader (`reader`), writer (`writer`), the problems
they report with their codes (`problems`), the check against a split (`validate`) and `bench
pack` for detectors outside the toolkit (`pack`)."""
from .pack import pack_predictions
from .problems import PredictionsError, Problem
from .reader import Predictions
from .validate import validate_predictions
from .writer import write_predictions

__all__ = ["Predictions", "PredictionsError", "Problem", "pack_predictions", "validate_predictions",
           "write_predictions"]
