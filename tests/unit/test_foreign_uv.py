"""uv for emulated images without one (backends/foreign_uv.py): what is cached is used without
fetching; an arch uv has no build for says so. (The fetch itself, and the binary running under
QEMU, are in tests/integration/test_cross.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from manywheel.backends.foreign_uv import NoForeignUv, foreign_uv, host_uv_version


def test_a_cached_binary_is_used_without_fetching(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MANYWHEEL_CACHE_DIR", str(tmp_path / "cache" / "wheels"))
    cached = tmp_path / "cache" / "tools" / f"uv-{host_uv_version()}-aarch64" / "uv"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"\x7fELF")
    assert foreign_uv("aarch64") == cached


def test_an_arch_without_a_uv_build_says_so() -> None:
    with pytest.raises(NoForeignUv, match=r"^uv publishes no build for riscv64$"):
        foreign_uv("riscv64")
