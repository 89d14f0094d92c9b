"""Shared fixtures: the embedded demo data of every format, written once per test session, and the
results-store URLs (SQLite, and one throwaway PostgreSQL server for the session)."""
from pathlib import Path

import pytest
from demo_fixtures import write_demos

# The baselines' contract tests, also for any baseline a test module registers (benchmark.baselines.testing).
pytest_plugins = ["benchmark.baselines.testing", "pytester"]

# Small but with every kind of image in every split: reals, local edits, fully generated and
# mask-less fakes.
DEMO_IMAGES = {"diffseg": 20, "dolos": 3, "semitruths": 30, "cocoglide": 4}
DEMO_SIZE, DEMO_SEED = 64, 3


@pytest.fixture(scope="session")
def demo_roots(tmp_path_factory) -> dict[str, Path]:
    return write_demos(tmp_path_factory.mktemp("demo_roots"), DEMO_IMAGES, DEMO_SIZE, DEMO_SEED)


@pytest.fixture(scope="session")
def postgres():
    """One throwaway PostgreSQL server for the session (a database per test), or a skip with the reason."""
    from pg_server import PostgresServer

    server = PostgresServer()
    reason = server.start()
    if reason:
        server.stop()
        print(f"PostgreSQL store tests skipped: {reason}")
        pytest.skip(f"PostgreSQL unavailable: {reason}")
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path) -> str:
    """A new results store URL: a SQLite file, then a fresh database on the session's PostgreSQL."""
    import uuid

    if request.param == "sqlite":
        return str(tmp_path / "board.db")
    return request.getfixturevalue("postgres").new_database(f"bench_{uuid.uuid4().hex[:12]}")
