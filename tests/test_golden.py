"""gradcli's output on the benchmark's generated programs is byte for byte what it was when recorded
(tests/golden/make.py): a faster engine must not change one digit, one name or one space."""

from __future__ import annotations

import difflib
import gzip
import sys

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tests" / "golden"))

import make  # noqa: E402


@pytest.mark.parametrize("name, steps, seed, args", make.CASES, ids=[c[0] for c in make.CASES])
def test_output_is_byte_identical_to_the_recorded_one(name: str, steps: int, seed, args: list[str]) -> None:
    expected = gzip.decompress((make.HERE / (name + ".gz")).read_bytes())
    got = make.run(steps, seed, args)
    if got != expected:
        diff = difflib.unified_diff(expected.decode().splitlines(), got.decode().splitlines(), "recorded", "now",
                                    lineterm="", n=1)
        pytest.fail("\n".join(list(diff)[:40]))
