"""The setuptools plugin (steps/setuptools_plugin.py) with real setuptools: build_ext builds the
extensions N at a time only when it is safe, says why not otherwise, and leaves a setting of
the project's alone; an extension's sources compile at a time within the build's share, read
from its file; asked to, bdist_wheel writes the wheel uncompressed, unless the project says
otherwise. Run in an interpreter of its own by test_setuptools_plugin.py (a real build:
test_parallel_extensions.py). No process is started here."""

from __future__ import annotations

import os
import threading
import time
import zipfile
from distutils.ccompiler import new_compiler  # setuptools' own (it replaces the stdlib's)
from distutils.errors import DistutilsExecError
from pathlib import Path
from typing import Any

import pytest
from setuptools import Extension
from setuptools.command.build_ext import build_ext
from setuptools.dist import Distribution
from setuptools.errors import CompileError

from manywheel.steps import setuptools_plugin
from manywheel.steps.setuptools_plugin import Slots, jobs_setting

JOBS = setuptools_plugin.JOBS_VARIABLE
STORED = setuptools_plugin.STORED_VARIABLE


def decide(tmp_path: Path, extensions: list[Extension], **attrs: Any) -> Any:
    """The build_ext command of a distribution of ``extensions``, as it is once it has checked
    its extensions, right before it builds them."""
    dist = Distribution({"name": "demo", "ext_modules": extensions, **attrs})
    setuptools_plugin.finalize(dist)
    cmd = dist.get_command_obj("build_ext")
    cmd.ensure_finalized()
    cmd.compiler = new_compiler()  # as build_ext.run makes it, before build_extensions
    cmd.check_extensions_list(cmd.extensions)
    return cmd


def ext(name: str, *sources: str, **kwargs: Any) -> Extension:
    return Extension(name, list(sources), **kwargs)


@pytest.fixture(autouse=True)
def two_jobs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(JOBS, "2")
    monkeypatch.chdir(tmp_path)


def said(capsys: pytest.CaptureFixture[str]) -> str:
    return capsys.readouterr().err


def test_extensions_of_their_own_sources_build_two_at_a_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cmd = decide(tmp_path, [ext("a", "src/a.c", "src/util_a.c"), ext("b", "src/b.c")])
    assert cmd.parallel == 2
    assert said(capsys) == (
        "[manywheel] setuptools: building its 2 extensions 2 at a time, the largest first\n"
        "[manywheel] setuptools: compiling each extension's sources 2 at a time\n"
    )


@pytest.mark.parametrize(
    ("second", "why"),
    [
        # lz4: its bundled library in each extension, one object path
        (("b", "b.c", "lib/lz4.c"), "a and b both compile lib/lz4.c"),
        (("b", "./lib/../lib/lz4.c"), "a and b both compile ./lib/../lib/lz4.c (lib/lz4.c in a)"),
        # lz4.cpp compiles to lz4.o too
        (("b", "lib/lz4.cpp"), "a and b both compile lib/lz4.cpp (lib/lz4.c in a)"),
    ],
)
def test_extensions_that_share_an_object_build_one_at_a_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], second: tuple[str, ...], why: str
) -> None:
    cmd = decide(tmp_path, [ext("a", "a.c", "lib/lz4.c"), ext(*second)])
    assert cmd.parallel is None
    # within one extension, each source is an object of its own
    assert said(capsys) == (
        f"[manywheel] setuptools: building extensions one at a time: {why}\n"
        "[manywheel] setuptools: compiling each extension's sources 2 at a time\n"
    )


def test_a_project_build_extension_is_not_run_in_threads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    class OwnBuild(build_ext):
        def build_extension(self, ext: Extension) -> None:
            os.chdir("somewhere")  # what threads must not do at once

    cmd = decide(tmp_path, [ext("a", "a.c"), ext("b", "b.c")], cmdclass={"build_ext": OwnBuild})
    assert cmd.parallel is None
    assert "the project's build_ext builds each extension its own way (" in said(capsys)


def test_a_project_build_extensions_around_the_stock_one_is_fine(tmp_path: Path) -> None:
    class Configuring(build_ext):  # pycryptodome's: it checks the compiler, then calls super()
        def build_extensions(self) -> None:
            super().build_extensions()

    cmd = decide(tmp_path, [ext("a", "a.c"), ext("b", "b.c")], cmdclass={"build_ext": Configuring})
    assert cmd.parallel == 2


@pytest.mark.parametrize(
    ("first", "why"),
    [
        (ext("a", "a.pyx"), "Cython compiles a.pyx of a"),
        (ext("a", "a.c", library_dirs=["build/lib"]), "a links what the build writes (build/lib)"),
    ],
)
def test_builds_that_depend_on_each_other_or_on_cython_are_serial(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], first: Extension, why: str
) -> None:
    cmd = decide(tmp_path, [first, ext("b", "b.c")], options={"build": {"build_lib": "build/lib"}})
    assert cmd.parallel is None
    assert said(capsys) == f"[manywheel] setuptools: building extensions one at a time: {why}\n"


def test_the_projects_own_setting_wins(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # [build_ext] parallel = 0 in setup.cfg (or DIST_EXTRA_CONFIG) keeps the build serial
    options = {"build_ext": {"parallel": "0"}}
    cmd = decide(tmp_path, [ext("a", "a.c"), ext("b", "b.c")], options=options)
    assert cmd.parallel == 0
    assert said(capsys) == ""


def test_one_extension_says_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cmd = decide(tmp_path, [ext("a", "a.c")])
    assert cmd.parallel is None
    assert said(capsys) == ""


def test_without_the_variable_nothing_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(JOBS, "1")
    assert decide(tmp_path, [ext("a", "a.c"), ext("b", "b.c")]).parallel is None


class Failed(OSError, DistutilsExecError):
    """A compiler's failure, as each setuptools' _compile catches it (OSError since the
    compilers moved to compilers/C, DistutilsExecError before)."""


class Spawns:
    """The compiler's commands (spawn, or call since setuptools 80), recorded: each takes a
    moment, and the most that ran at once is kept (no process is started)."""

    def __init__(self, failing: str = "") -> None:
        self.argvs: list[list[str]] = []
        self.running = self.most = 0
        self.failing = failing
        self._lock = threading.Lock()

    def __call__(self, argv: list[str], **kwargs: Any) -> None:
        with self._lock:
            self.argvs.append(argv)
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(0.05)
        with self._lock:
            self.running -= 1
        if self.failing and self.failing in argv:
            raise Failed(f"command {argv[0]!r} failed with exit code 1")


def test_an_extensions_sources_compile_at_a_time_within_the_slots(tmp_path: Path) -> None:
    compiler = new_compiler()
    compiler.set_executables(compiler_so=["cc"])
    assert setuptools_plugin.compile_in_threads(compiler, Slots(2, None)) is None
    compiler.spawn = compiler.call = spawns = Spawns()
    sources = [f"src/f{i}.c" for i in range(5)]
    objects = compiler.compile(sources, output_dir="build")
    assert objects == [f"build/src/f{i}.o" for i in range(5)]
    assert sorted(a[a.index("-o") + 1] for a in spawns.argvs) == objects
    assert spawns.most == 2  # never more compilers than slots


def test_an_extensions_largest_sources_compile_first(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    for name, size in (("a", 10), ("b", 3000), ("c", 200)):
        (tmp_path / "src" / f"{name}.c").write_text("x" * size)
    compiler = new_compiler()
    compiler.set_executables(compiler_so=["cc"])
    setuptools_plugin.compile_in_threads(compiler, Slots(2, None))
    compiler.spawn = compiler.call = spawns = Spawns()
    objects = compiler.compile(["src/a.c", "src/b.c", "src/c.c"], output_dir="build")
    assert objects == ["build/src/a.o", "build/src/b.o", "build/src/c.o"]  # the sources' order
    started = [argv[argv.index("-o") + 1] for argv in spawns.argvs]
    # b and c first, two at a time; a, the smallest, once one of them is done
    assert sorted(started[:2]) == ["build/src/b.o", "build/src/c.o"]
    assert started[2] == "build/src/a.o"


def test_the_largest_extensions_build_first(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "small.c").write_text("int small;\n")
    (src / "mid.c").write_text("int mid;\n" * 100)
    # a small file that includes a large header of the project's (mldsa_avx2_bmi2.c)
    (src / "big.c").write_text('#include "big.h"\n#include <stdio.h>\n')
    (src / "big.h").write_text("/* " + "x" * 5000 + " */\n")
    extensions = [ext("small", "src/small.c"), ext("big", "src/big.c"), ext("mid", "src/mid.c")]
    cmd = decide(tmp_path, extensions)
    assert [e.name for e in cmd.extensions] == ["big", "mid", "small"]


def test_a_sources_size_counts_the_projects_headers_it_includes_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    (project / "include").mkdir()
    (tmp_path / "outside.h").write_text("x" * 1000)  # not the project's: not counted
    source = (
        '#include "a.h"\n'
        '  #  include "common.h"\n'  # found in the include dirs given
        '#include "../../outside.h"\n'
        "#include <stdio.h>\n"
        '#include "missing.h"\n'
    )
    (project / "src" / "a.c").write_text(source)
    (project / "src" / "a.h").write_text('#include "a.h"\n#include "common.h"\n')  # once each
    (project / "include" / "common.h").write_text("int common;\n")
    monkeypatch.chdir(project)
    expected = len(source) + len('#include "a.h"\n#include "common.h"\n') + len("int common;\n")
    assert setuptools_plugin.source_size("src/a.c", ["include"]) == expected


def test_a_size_that_cannot_be_told_keeps_the_order() -> None:
    def size(name: str) -> int:
        raise ValueError(f"no size for {name}")

    assert setuptools_plugin.largest_first(["b", "a"], size) == ["b", "a"]
    assert setuptools_plugin.largest_first(["b", "a", "c"], {"a": 1, "b": 1, "c": 2}.get) == [
        "c",
        "b",
        "a",
    ]


@pytest.mark.timeout(30)
def test_a_directory_that_links_to_its_parent_is_read_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "up").symlink_to(tmp_path / "src")
    (tmp_path / "src" / "a.c").write_text('#include "a.h"\n')
    (tmp_path / "src" / "a.h").write_text('#include "up/a.h"\n')  # itself, through the link
    expected = len('#include "a.h"\n') + len('#include "up/a.h"\n')
    assert setuptools_plugin.source_size("src/a.c", []) == expected


def test_a_failing_source_fails_the_compile(tmp_path: Path) -> None:
    compiler = new_compiler()
    compiler.set_executables(compiler_so=["cc"])
    setuptools_plugin.compile_in_threads(compiler, Slots(2, None))
    compiler.spawn = compiler.call = Spawns(failing="src/bad.c")
    with pytest.raises(CompileError, match="exit code 1"):
        compiler.compile(["src/good.c", "src/bad.c", "src/other.c"], output_dir="build")


def test_a_compiler_the_project_changed_compiles_one_at_a_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the CUDA recipe: _compile set on the compiler object, swapping compiler_so around it
    class CudaBuild(build_ext):
        def build_extensions(self) -> None:
            stock = self.compiler._compile

            def _compile(obj: str, src: str, *args: Any) -> None:
                self.compiler.compiler_so = ["nvcc"] if src.endswith(".cu") else ["cc"]
                stock(obj, src, *args)

            self.compiler._compile = _compile
            super().build_extensions()

    dist = Distribution(
        {
            "name": "demo",
            "ext_modules": [ext("a", "a.c", "k.cu")],
            "cmdclass": {"build_ext": CudaBuild},
        }
    )
    setuptools_plugin.finalize(dist)
    cmd = dist.get_command_obj("build_ext")
    cmd.ensure_finalized()
    cmd.compiler = new_compiler()
    cmd.compiler.spawn = cmd.compiler.call = Spawns()
    cmd.build_extensions = lambda: CudaBuild.build_extensions(cmd)  # up to the check
    cmd.build_extension = lambda ext: None
    cmd.build_extensions()
    assert "compile" not in vars(cmd.compiler)
    assert said(capsys).startswith(
        "[manywheel] setuptools: compiling each extension's sources one at a time: the "
        "compiler's _compile is not distutils' own ("
    )


def test_the_setting_is_a_number_or_a_number_and_a_file() -> None:
    assert jobs_setting("4") == (4, None)
    assert jobs_setting("2:/tmp/w/setuptools-plugin/cores") == (2, "/tmp/w/setuptools-plugin/cores")
    assert jobs_setting("") == (0, None)
    assert jobs_setting("many") == (0, None)


def test_the_compilers_at_once_follow_the_file(tmp_path: Path) -> None:
    # manywheel rewrites the file as other builds start and end: 1 core while another builds,
    # both once it ended; never more than the most it was given
    cores = tmp_path / "cores"
    cores.write_text("1\n")
    compiler = new_compiler()
    compiler.set_executables(compiler_so=["cc"])
    slots = Slots(2, str(cores))
    setuptools_plugin.compile_in_threads(compiler, slots)
    compiler.spawn = compiler.call = spawns = Spawns()
    compiler.compile([f"a{i}.c" for i in range(4)], output_dir="build")
    assert spawns.most == 1
    assert slots.at_a_time() == "as many at a time as the build has cores (1 now, up to 2)"
    cores.write_text("8\n")
    time.sleep(0.25)  # read again at most every 0.2 s
    compiler.compile([f"b{i}.c" for i in range(4)], output_dir="build")
    assert spawns.most == 2
    cores.write_text("")  # being rewritten: the last number holds
    time.sleep(0.25)
    assert slots.now() == 2


def compile_lines(monkeypatch: pytest.MonkeyPatch, compiler_so: list[str], **env: str) -> Any:
    """The compile lines of two sources through the plugin's compile, with ``env`` set."""
    for name in ("CCACHE_DEPEND", "CCACHE_NODEPEND"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    compiler = new_compiler()
    compiler.set_executables(compiler_so=compiler_so)
    setuptools_plugin.compile_in_threads(compiler, Slots(2, None))
    compiler.spawn = compiler.call = spawns = Spawns()
    compiler.compile(["src/a.c", "src/b.c"], output_dir="build")
    return spawns.argvs


def test_depend_mode_has_the_compiles_write_dependency_files(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # what ccache's depend mode needs (steps/depend_mode.py): -MD at the end, nothing else
    # changes
    plain = sorted(compile_lines(monkeypatch, ["gcc", "-fPIC"]))
    depend = sorted(compile_lines(monkeypatch, ["gcc", "-fPIC"], CCACHE_DEPEND="1"))
    assert depend == [[*argv, "-MD"] for argv in plain]
    for argv in compile_lines(monkeypatch, ["x86_64-linux-gnu-gcc-12"], CCACHE_DEPEND="1"):
        assert argv[-1] == "-MD", argv


def test_dependency_files_only_for_depend_mode_and_a_gcc_like_compiler(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def with_md(compiler_so: list[str], **env: str) -> bool:
        return any("-MD" in argv for argv in compile_lines(monkeypatch, compiler_so, **env))

    assert not with_md(["gcc"])  # no depend mode asked for
    assert not with_md(["gcc"], CCACHE_DEPEND="1", CCACHE_NODEPEND="1")  # the user's "no"
    assert not with_md(["nvcc"], CCACHE_DEPEND="1")  # not gcc's kind of compiler
    assert not with_md(["zig", "cc"], CCACHE_DEPEND="1")
    assert not with_md(["/tmp/w/zig/zig-cc"], CCACHE_DEPEND="1")  # manywheel's zig toolchain
    assert not with_md(["gcc", "-MMD"], CCACHE_DEPEND="1")  # asks for its own already
    assert with_md(["ccache", "clang"], CCACHE_DEPEND="1")


def built_wheel(tmp_path: Path, **attrs: Any) -> zipfile.ZipFile:
    """The wheel bdist_wheel writes for a small distribution (one package, one module), with
    the plugin's finalize run when setuptools runs it (after ``attrs``, before the project's
    config files)."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("ANSWER = 42\n" * 200)
    metadata = {"name": "demo", "version": "1.0", "packages": ["pkg"], "script_name": "setup.py"}
    dist = Distribution({**metadata, **attrs})
    setuptools_plugin.finalize(dist)
    dist.parse_config_files()
    cmd = dist.get_command_obj("bdist_wheel")
    cmd.dist_dir = str(tmp_path / "dist")
    cmd.ensure_finalized()
    cmd.run()
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    return zipfile.ZipFile(wheel)


def compressions(wheel: zipfile.ZipFile) -> set[int]:
    return {info.compress_type for info in wheel.infolist()}


def test_asked_to_the_wheel_is_written_uncompressed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(STORED, "1")
    wheel = built_wheel(tmp_path)
    assert compressions(wheel) == {zipfile.ZIP_STORED}
    assert wheel.read("pkg/__init__.py") == b"ANSWER = 42\n" * 200


def test_not_asked_the_wheel_is_compressed(tmp_path: Path) -> None:
    assert compressions(built_wheel(tmp_path)) == {zipfile.ZIP_DEFLATED}


def test_the_projects_compression_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(STORED, "1")
    # setup.cfg, read after the plugin
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "setup.cfg").write_text("[bdist_wheel]\ncompression = deflated\n")
    monkeypatch.chdir(tmp_path / "cfg")
    assert compressions(built_wheel(tmp_path / "cfg")) == {zipfile.ZIP_DEFLATED}
    # setup(options=...), given before it
    (tmp_path / "attrs").mkdir()
    monkeypatch.chdir(tmp_path / "attrs")
    options = {"bdist_wheel": {"compression": "deflated"}}
    assert compressions(built_wheel(tmp_path / "attrs", options=options)) == {zipfile.ZIP_DEFLATED}
