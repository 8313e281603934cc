"""Shared fixtures: every hot path is tested through both of its twins."""

from __future__ import annotations

import importlib
import os

import pytest


def twin_params(pure: str, compiled: str) -> list:
    """pytest params for a hot path's pure module and, when built, its compiled one.

    With ``L2LAB_REQUIRE_NATIVE=1`` (as CI sets) a compiled twin that was not
    built is a failure, not a skip.
    """
    params = [pytest.param(importlib.import_module(pure), id="pure")]
    try:
        params.append(pytest.param(importlib.import_module(compiled), id="compiled"))
    except ImportError:
        if os.environ.get("L2LAB_REQUIRE_NATIVE") == "1":
            raise
        params.append(
            pytest.param(None, id="compiled", marks=pytest.mark.skip(reason=f"{compiled} not built"))
        )
    return params


# Property tests explore new inputs on every developer run, but CI runs a fixed
# derivation so a green main stays green; neither has a deadline on a busy machine.
from hypothesis import settings  # noqa: E402

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(params=["toy", "evm"])
def l1_kind(request: pytest.FixtureRequest) -> str:
    """Which L1 a scenario runs on: the toy L1 (Python contracts) or anvil (their Solidity twins);
    build it with ``tests.evm_twin.new_l1(l1_kind, funded)``."""
    return str(request.param)
