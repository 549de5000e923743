from pathlib import Path

import pytest

from qa import create_app
from qa.engine import Engine

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


@pytest.fixture(scope="session")
def engine():
    """The engine over the seed articles, built once for the whole run."""
    return Engine.from_folder(SEEDS)


@pytest.fixture
def app(engine):
    return create_app({"TESTING": True, "QA_ENGINE": engine})


@pytest.fixture
def client(app):
    return app.test_client()
