"""Why a wheel does or does not satisfy each manylinux/musllinux policy, with the fix.

The analysis is auditwheel's (``analyze_wheel_abi``); pyelftools (which auditwheel uses) only
names the symbols behind a too-new symbol version, which auditwheel's result leaves out.
"""

from __future__ import annotations

import functools
import re
import tempfile
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from manywheel.diagnose.libc_floor import platform_floor
from manywheel.errors import ConfigError, ToolError
from manywheel.planning import image_table
from manywheel.release.vendored import Vendored, vendored_libraries
from manywheel.toolchains.zig import ZIG_GLIBC_FLOOR, ZIG_TARGETS

Kind = Literal["library", "missing-library", "symbol", "blacklist", "isa", "abi"]
# policies people target, oldest first; the verdicts cover these and the one the wheel has
COMMON = (
    "manylinux_2_5",
    "manylinux_2_12",
    "manylinux_2_17",
    "manylinux_2_28",
    "manylinux_2_34",
    "musllinux_1_1",
    "musllinux_1_2",
)
_VERSION = re.compile(r"^(?P<name>[A-Z][A-Z_]*[A-Z])_(?P<version>[0-9][0-9.]*)$")

FIX_LIBRARY = (
    "vendor it into the wheel with auditwheel repair (manywheel build repairs by "
    "default: check repair-wheel-command)"
)
FIX_MISSING = (
    "it cannot be found on this machine, so repair cannot vendor it: install it "
    "where the build runs (system-packages or before-all) or add its directory to "
    "LD_LIBRARY_PATH"
)
_POLICY_ARCH = re.compile(r"^(?P<kind>manylinux|musllinux)_\d+_\d+_(?P<arch>.+)$")


@functools.cache
def symbol_fix(policy: str) -> str:
    """How to meet ``policy`` (``manylinux_2_17_x86_64``) when the build used a newer C
    library: the newest of pypa's images (the image table's) that is not newer than the policy,
    for its arch; where pypa has none that old, the oldest there is."""
    match = _POLICY_ARCH.match(policy)
    wanted = platform_floor(policy)
    if match is None or wanted is None:
        return "build against an older C library"
    kind, arch = match["kind"], match["arch"]
    images = sorted(
        (floor, name)
        for name, archs in image_table.table()["policies"].items()
        if name.startswith(kind)
        and arch in archs
        and (floor := platform_floor(f"{name}_{arch}")) is not None
    )
    zig_floor = tuple(int(p) for p in ZIG_GLIBC_FLOOR.get(arch, "2.17").split("."))
    zig = kind == "manylinux" and arch in ZIG_TARGETS and wanted.version >= max(zig_floor, (2, 17))
    fitting = [name for floor, name in images if floor <= wanted]
    if fitting:
        text = (
            f"build against an older {wanted.libc}: in a {fitting[-1]} image (--platform podman "
            f'or docker; {kind}-{arch}-image = "{fitting[-1]}")'
        )
        return text + (", or without a container with --toolchain zig" if zig else "")
    if not images:
        return f"build against an older {wanted.libc} (pypa has no {kind} image for {arch})"
    oldest_floor, oldest = images[0]
    text = (
        f"pypa has no {kind} image for {arch} with a {wanted.libc} that old (the oldest is "
        f"{oldest}, {oldest_floor}): aim at {oldest} or a newer policy"
    )
    return text + (", or build without a container with --toolchain zig" if zig else "")


FIX_ISA = "compile for the arch's baseline instruction set (drop -march=native, -mavx2, ...)"


class NoCompiledCode(ConfigError):
    """The wheel holds no ELF file (extension module or shared library): auditwheel has
    nothing to check or repair in it, whatever its tags say."""


@dataclass(frozen=True)
class Violation:
    kind: Kind
    detail: str
    fix: str


@dataclass(frozen=True)
class Verdict:
    policy: str
    aliases: tuple[str, ...]
    ok_as_built: bool
    ok_after_repair: bool
    violations: tuple[Violation, ...] = ()


@dataclass(frozen=True)
class Explanation:
    wheel: str
    best_as_built: str
    best_after_repair: str
    verdicts: tuple[Verdict, ...] = field(default_factory=tuple)
    vendored: tuple[Vendored, ...] = ()  # libraries already grafted in (a repaired wheel)
    python: str = ""  # the interpreters its tags name: "PyPy 3.9 (pp39-pypy39_pp73)"
    # its extensions link no C library: read as glibc's, and repaired only with --plat
    links_no_libc: bool = False


def _analyze(wheel: Path, allow_graft: bool, libc: Any = None) -> Any:
    from auditwheel.error import InvalidLibcError, NonPlatformWheelError
    from auditwheel.wheel_abi import analyze_wheel_abi

    try:
        return analyze_wheel_abi(
            libc, None, wheel, frozenset(), disable_isa_ext_check=False, allow_graft=allow_graft
        )
    except InvalidLibcError as exc:
        if libc is not None:
            raise ToolError(f"auditwheel cannot analyse {wheel.name}", exc) from None
        raise _NoLibc from None
    except NonPlatformWheelError:
        raise NoCompiledCode(
            f"{wheel.name} holds no compiled code (no extension module, no shared library): "
            "no manylinux policy applies to it."
        ) from None
    except Exception as exc:  # auditwheel's own errors (InvalidLibcError, ...) and its bugs
        raise ToolError(f"auditwheel cannot analyse {wheel.name}", exc) from None


def symbols_by_version(
    wheel: Path, linked: dict[str, Path] | None = None
) -> dict[str, set[tuple[str, str]]]:
    """'GLIBC_2.27' -> {'memfd_create'}: undefined symbols of the wheel's ELF files, and
    ``name (in libfoo.so.1)`` for those of the libraries it links (``linked``: soname -> path)."""
    found: dict[str, set[tuple[str, str]]] = defaultdict(set)
    with (
        tempfile.TemporaryDirectory(prefix="manywheel-explain-") as tmp,
        zipfile.ZipFile(wheel) as zf,
    ):
        for name in zf.namelist():
            if name.endswith(".so") or ".so." in name:
                _scan(Path(zf.extract(name, tmp)), found, "")
    for soname, path in (linked or {}).items():
        _scan(path, found, f" (in {soname})")
    return found


def _scan(path: Path, found: dict[str, set[tuple[str, str]]], suffix: str) -> None:
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile
    from elftools.elf.gnuversions import GNUVerSymSection

    try:
        with path.open("rb") as fh:
            elf = ELFFile(fh)
            dynsym: Any = elf.get_section_by_name(".dynsym")
            versym = elf.get_section_by_name(".gnu.version")
            verneed: Any = elf.get_section_by_name(".gnu.version_r")
            if dynsym is None or not isinstance(versym, GNUVerSymSection) or verneed is None:
                return
            names = {
                aux["vna_other"]: aux.name for _, auxes in verneed.iter_versions() for aux in auxes
            }
            for index, symbol in enumerate(dynsym.iter_symbols()):
                if symbol["st_shndx"] != "SHN_UNDEF" or not symbol.name:
                    continue
                ndx = versym.get_symbol(index)["ndx"]
                if isinstance(ndx, int) and ndx in names:
                    found[names[ndx]].add((symbol.name, suffix))
    except (ELFError, OSError):
        return


def _symbol_violations(
    policy: Any, versioned: dict[str, set[str]], symbols: dict[str, set[tuple[str, str]]]
) -> list[Violation]:
    out = []
    for library, versions in sorted(versioned.items()):
        for version in sorted(versions):
            match = _VERSION.match(version)
            if not match:
                continue
            allowed = policy.symbol_versions.get(match["name"])
            if allowed is None or match["version"] in allowed:
                continue
            names = sorted(symbols.get(version, ())) or [("(a symbol)", "")]
            shown = ", ".join(f"{n}@{version}{where}" for n, where in names[:4])
            newest = max(allowed, key=_version_key, default="none")
            out.append(
                Violation(
                    "symbol",
                    f"{shown} from {library} needs {match['name']} {match['version']}, newer than "
                    f"the {newest} this policy allows",
                    symbol_fix(policy.name),
                )
            )
    return out


def _version_key(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".") if p.isdigit())


def _verdict(
    policy: Any, built: Any, repaired: Any, symbols: dict[str, set[tuple[str, str]]]
) -> Verdict:
    violations: list[Violation] = []
    ref = built.external_refs.get(policy.name)
    if ref is not None:
        for lib, path in sorted(ref.libs.items()):
            if path is None:
                violations.append(
                    Violation(
                        "missing-library",
                        f"needs {lib}, which is not in the policy's allow-list",
                        FIX_MISSING,
                    )
                )
            else:
                violations.append(
                    Violation(
                        "library",
                        f"links {lib} ({path}), which is not in the policy's allow-list",
                        FIX_LIBRARY,
                    )
                )
        for lib, syms in sorted(ref.blacklist.items()):
            violations.append(
                Violation(
                    "blacklist",
                    f"uses {', '.join(syms[:4])} from {lib}, which the policy forbids",
                    symbol_fix(policy.name),
                )
            )
    violations += _symbol_violations(policy, built.versioned_symbols, symbols)
    if built.machine_policy < policy:
        violations.append(
            Violation(
                "isa",
                "uses instruction-set extensions beyond the policy's baseline for this arch",
                FIX_ISA,
            )
        )
    if built.ucs_policy < policy or built.pyfpe_policy < policy:
        violations.append(
            Violation(
                "abi",
                "uses CPython ABI features (UCS2 or PyFPE) that no manylinux policy allows",
                "rebuild with a standard CPython",
            )
        )
    return Verdict(
        policy.name,
        tuple(policy.aliases),
        not (built.overall_policy < policy),
        not (repaired.overall_policy < policy),
        tuple(violations),
    )


class _NoLibc(Exception):
    """auditwheel could not tell the wheel's libc: its extensions link no C library."""


def explain(wheel: Path) -> Explanation:
    if not wheel.is_file():
        raise ConfigError(f"'{wheel}' does not exist; give the path of a .whl file.")
    libc = None
    try:
        built = _analyze(wheel, allow_graft=False)
    except _NoLibc:  # tornado's speedups.abi3.so: glibc's policies, as a repair --plat gives
        from auditwheel.libc import Libc

        libc = Libc.GLIBC
        built = _analyze(wheel, allow_graft=False, libc=libc)
    repaired = _analyze(wheel, allow_graft=True, libc=libc)
    linked = {
        lib: path
        for ref in built.external_refs.values()
        for lib, path in ref.libs.items()
        if path is not None
    }
    symbols = symbols_by_version(wheel, linked)
    wanted = {f"{c}_" for c in COMMON}
    verdicts = [
        _verdict(p, built, repaired, symbols)
        for p in built.policies
        if p.name != built.policies.linux.name
        and (any(p.name.startswith(w) for w in wanted) or p == built.overall_policy)
    ]
    return Explanation(
        wheel.name,
        built.overall_policy.name,
        repaired.overall_policy.name,
        tuple(
            sorted(
                verdicts, key=lambda v: _version_key(v.policy.split("_", 1)[1].replace("_", "."))
            )
        ),
        vendored_libraries(wheel),
        python_of(wheel.name),
        links_no_libc=libc is not None,
    )


def python_of(wheel_name: str) -> str:
    """The interpreters a wheel's tags name: 'PyPy 3.9 (pp39-pypy39_pp73)', 'CPython 3.8 and
    newer, stable ABI (cp38-abi3)'."""
    try:
        tags = parse_wheel_filename(wheel_name)[3]
    except InvalidWheelFilename:  # auditwheel analysed it all the same: say nothing
        return ""
    pairs = sorted({(t.interpreter, t.abi) for t in tags})
    return "; ".join(f"{_python_named(i, a)} ({i}-{a})" for i, a in pairs)


def _python_named(interpreter: str, abi: str) -> str:
    prefix, digits = interpreter[:2], interpreter[2:]
    version = f"{digits[0]}.{digits[1:]}" if len(digits) > 1 else digits
    if prefix == "pp":
        return f"PyPy {version}"
    if prefix == "py":
        return f"Python {version}"
    if prefix != "cp":
        return interpreter
    if abi.startswith("abi3"):
        return f"CPython {version} and newer, stable ABI"
    return f"CPython {version}{' (free-threaded)' if abi.endswith('t') else ''}"


def _named(name: str, aliases: tuple[str, ...]) -> str:
    return f"{name} ({', '.join(aliases)})" if aliases else name


def render(explanation: Explanation) -> str:
    lines = [
        explanation.wheel,
        *([f"  for: {explanation.python}"] if explanation.python else []),
        f"  as built it satisfies: {explanation.best_as_built} and newer policies",
        f"  after auditwheel repair: {explanation.best_after_repair} and newer policies",
    ]
    if explanation.links_no_libc:
        lines.append(
            "  links no C library: read as glibc's (a musl build is as good); auditwheel repair "
            "needs --plat to tell, as manywheel build gives it"
        )
    if explanation.vendored:
        where = "from its SBOM" if explanation.vendored[0].source == "sbom" else "no SBOM"
        shown = ", ".join(v.shown() for v in explanation.vendored)
        lines.append(f"  vendored libraries ({where}): {shown}")
    for verdict in explanation.verdicts:
        state = (
            "yes" if verdict.ok_as_built else ("after repair" if verdict.ok_after_repair else "no")
        )
        lines.append(f"  {_named(verdict.policy, verdict.aliases)}: {state}")
        if verdict.ok_as_built:
            continue
        fixes: list[str] = []
        for v in verdict.violations:
            if verdict.ok_after_repair and v.kind == "library":
                lines.append(f"    - {v.detail}: repair vendors it")
                continue
            lines.append(f"    - {v.detail}")
            if v.fix not in fixes:
                fixes.append(v.fix)
        lines += [f"    fix: {fix}" for fix in fixes]
    return "\n".join(lines)
