"""Shared fixtures: the embedded demo data of every format, written once per test session."""
from pathlib import Path

import pytest
from demo_fixtures import write_demos

# Small but with every kind of image in every split: reals, local edits, fully generated and
# mask-less fakes.
DEMO_IMAGES = {"diffseg": 20, "dolos": 3, "semitruths": 30, "cocoglide": 4}
DEMO_SIZE, DEMO_SEED = 64, 3


@pytest.fixture(scope="session")
def demo_roots(tmp_path_factory) -> dict[str, Path]:
    return write_demos(tmp_path_factory.mktemp("demo_roots"), DEMO_IMAGES, DEMO_SIZE, DEMO_SEED)
