"""The one robustness drop of the toolkit, used by the robustness plots' table, the experiments'
tables and the leaderboard's boards:

    relative drop = 1 - mean(distorted values) / clean value

the mean over the distortions of each one's relative drop 1 - value / clean (the same number), so
a board that ranks by the mean over its distortions shows the drop of that mean."""
from __future__ import annotations

import math
from typing import Sequence


def relative_drop(clean: float | None, distorted: Sequence[float | None]) -> float | None:
    """1 - mean(distorted) / clean; None when the clean value is missing or 0, or when there is no
    distorted value or one of them is missing."""
    values = [v for v in distorted if v is not None and not math.isnan(v)]
    if not clean or math.isnan(clean) or not distorted or len(values) != len(distorted):
        return None
    return 1 - sum(values) / len(values) / clean
