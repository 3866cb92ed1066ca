"""The vendored UI libraries are exactly the files recorded in their checksum list, each with its licence."""

from __future__ import annotations

import hashlib

from kefu.entrypoints.web import STATIC

VENDOR = STATIC / "vendor"


def test_every_vendored_file_matches_its_recorded_checksum() -> None:
    lines = (VENDOR / "SHA256SUMS").read_text().splitlines()
    assert lines, "SHA256SUMS lists the vendored files"
    for line in lines:
        digest, name = line.split()
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name


def test_each_library_ships_its_licence_and_no_bare_imports() -> None:
    assert "MIT" in (VENDOR / "LICENSE-preact").read_text()
    assert "Apache License" in (VENDOR / "LICENSE-htm").read_text()
    # A bare specifier ("preact") would need an import map, which the CSP does not allow inline.
    assert 'from"preact"' not in (VENDOR / "hooks.module.js").read_text()
