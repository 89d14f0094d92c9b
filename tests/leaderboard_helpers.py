"""The leaderboard demo's submission writers (tools/leaderboard_demo.py), for the tests."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
from leaderboard_demo import demo, predictions, write_parts  # noqa: E402

__all__ = ["demo", "predictions", "write_parts"]
