"""Test-wide setup: Qt runs headless; the PostgreSQL half of the suite uses
CRM_TEST_DATABASE_URL and fails (never skips) when that is set but unreachable."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
