"""``patient_expect``: the console's browser tests wait for the page as long as the page's own deadline.

Playwright's assertions wait 5 s by default; the suite shares two cores with other work, and a console step
(an API call, then a reload of the list) can take longer under load. A deadline, not a pause: an assertion
that holds returns at once.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import UI_TIMEOUT_MS

PLAYWRIGHT_DEFAULT_MS = 5_000


@pytest.fixture
def patient_expect() -> Iterator[None]:
    expect.set_options(timeout=UI_TIMEOUT_MS)
    yield
    expect.set_options(timeout=PLAYWRIGHT_DEFAULT_MS)
