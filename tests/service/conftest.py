"""The service's tests share one running ``hub serve`` per module (starting one costs a second)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.service.served import Served, make_service


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    service = make_service(tmp_path_factory.mktemp("served"))
    try:
        yield service
    finally:
        service.stop()
