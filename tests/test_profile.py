import pytest
import torch

import utils
from utils.profile import get_device, get_profile, seed_everything, setup


def test_profile_from_env(monkeypatch):
    monkeypatch.setenv("BOOK_PROFILE", "full")
    assert get_profile() == "full"
    monkeypatch.setenv("BOOK_PROFILE", " Quick ")
    assert get_profile() == "quick"


def test_profile_default_follows_cuda(monkeypatch):
    monkeypatch.delenv("BOOK_PROFILE", raising=False)
    assert get_profile() == ("full" if torch.cuda.is_available() else "quick")


def test_unknown_profile_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("BOOK_PROFILE", "huge")
    with pytest.raises(ValueError, match="BOOK_PROFILE.*'huge'"):
        get_profile()


def test_by_profile(monkeypatch):
    monkeypatch.setenv("BOOK_PROFILE", "quick")
    assert utils.by_profile(quick=1, full=2) == 1
    assert utils.by_profile(quick=1, full=2, profile="full") == 2
    with pytest.raises(ValueError, match="profile"):
        utils.by_profile(quick=1, full=2, profile="medium")


def test_device():
    assert get_device("cpu").type == "cpu"
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="prefer"):
            get_device("cuda")
    with pytest.raises(ValueError, match="prefer"):
        get_device(3)


def test_seeding_repeats():
    seed_everything(7)
    a = torch.rand(3)
    seed_everything(7)
    assert torch.equal(a, torch.rand(3))
    with pytest.raises(ValueError, match="seed"):
        seed_everything(-1)
    with pytest.raises(ValueError, match="seed"):
        seed_everything("1")


def test_setup_reads_seed_env(monkeypatch):
    monkeypatch.setenv("BOOK_SEED", "5")
    assert setup(verbose=False).seed == 5
    monkeypatch.setenv("BOOK_SEED", "x")
    with pytest.raises(ValueError, match="BOOK_SEED"):
        setup(verbose=False)


def test_setup_threads(monkeypatch):
    monkeypatch.setenv("BOOK_PROFILE", "quick")
    before = torch.get_num_threads()
    try:
        utils.setup(threads=1, verbose=False)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
    for bad in (0, -2, 1.5, "2", True):
        with pytest.raises(ValueError, match="threads"):
            utils.setup(threads=bad, verbose=False)


def test_every_submodule_is_reachable_as_an_attribute():
    """``utils.<module>`` works for every module of the package, imported on first use."""
    import pkgutil

    import utils

    for mod in pkgutil.iter_modules(utils.__path__):
        if not mod.name.startswith("_"):
            assert getattr(utils, mod.name).__name__ == f"utils.{mod.name}"
    with pytest.raises(AttributeError, match="no attribute"):
        utils.not_a_module
