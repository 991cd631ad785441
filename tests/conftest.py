import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def zoo_tmp(tmp_path, monkeypatch):
    """An empty zoo directory for the test."""
    monkeypatch.setenv("BOOK_ZOO_DIR", str(tmp_path / "zoo"))
    return tmp_path / "zoo"
