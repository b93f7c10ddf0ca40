"""What explain advises for a symbol a policy does not allow: the image that reaches the policy,
by the image table's policies for the arch, and zig where it can target that glibc."""

from __future__ import annotations

from manywheel.diagnose.explain import symbol_fix


def test_the_newest_image_not_newer_than_the_policy() -> None:
    assert symbol_fix("manylinux_2_31_aarch64") == (
        "build against an older glibc: in a manylinux_2_28 image (--platform podman or docker; "
        'manylinux-aarch64-image = "manylinux_2_28"), or without a container with --toolchain zig'
    )


def test_an_arch_whose_oldest_image_is_newer_than_the_policy() -> None:
    assert symbol_fix("manylinux_2_17_armv7l") == (
        "pypa has no manylinux image for armv7l with a glibc that old (the oldest is "
        "manylinux_2_31, glibc 2.31): aim at manylinux_2_31 or a newer policy, or build without "
        "a container with --toolchain zig"
    )


def test_zig_is_not_offered_below_its_glibc_for_the_arch() -> None:
    # zig has no glibc headers older than 2.19 for powerpc64le
    assert "zig" not in symbol_fix("manylinux_2_17_ppc64le")
    assert symbol_fix("manylinux_2_19_ppc64le").endswith("without a container with --toolchain zig")


def test_musllinux_names_musl_and_no_zig() -> None:
    assert symbol_fix("musllinux_1_1_x86_64") == (
        "pypa has no musllinux image for x86_64 with a musl that old (the oldest is "
        "musllinux_1_2, musl 1.2): aim at musllinux_1_2 or a newer policy"
    )
