"""Compile lines shared between CPythons of the same flags (steps/shared_line.py): a file is
compiled with the reference's line only when the compile is proven the same, on real files in
a temp dir laid out as two jobs under ccache's base directory and two interpreters' include
directories that differ (as 3.10's and 3.11's do)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from manywheel.steps import shared_line
from manywheel.steps.shared_line import SharedLine, dependencies, directives, job_dir


def test_directives_are_the_names_looked_up_outside_comments() -> None:
    text = b"""/* We don't have #include_next.
   #include's protect themselves */ #include <after-a-comment-of-two-lines.h>
# include_next <limits.h>
#if __has_include(<x/y.h>) && defined(__has_include) || __has_include /**/ ("z.h")
  %:  include "q.h" // a comment
#endif
#inc\\
lude <spliced.h>
s = "/* not a comment"; #include <mid-line.h>
/**/ # /* c */ include /* c */ <after-comment.h>
"""
    assert directives(text) == [
        ("include", "<", "after-a-comment-of-two-lines.h"),  # a directive: the comment is a space
        ("include_next", "<", "limits.h"),
        ("has_include", "<", "x/y.h"),
        ("has_include", '"', "z.h"),
        ("include", '"', "q.h"),
        ("include", "<", "spliced.h"),
        ("include", "<", "after-comment.h"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        b"#include HEADER\n",  # computed: the name is a macro's
        b"#if __has_include(HEADER)\n#endif\n",
        b"#define HAS(x) __has_include(x)\n",
        b"??=include <a.h>\n",  # a trigraph
        b'const char *s = R"(#include <a.h>)";\n',  # a raw string literal
        b'#pragma GCC dependency "parse.y"\n',
    ],
)
def test_directives_not_told_are_none(text: bytes) -> None:
    assert directives(text) is None


def test_dependencies_of_a_dependency_file() -> None:
    text = "build/a.o: c/a.c /usr/include/stdio.h \\\n c/with\\ space.h c/\\#hash.h c/$$d.h\n"
    assert dependencies(text) == [
        "c/a.c",
        "/usr/include/stdio.h",
        "c/with space.h",
        "c/#hash.h",
        "c/$d.h",
    ]
    assert dependencies("build/a.o: c/a.c\nc/a.c: other.h\n") is None  # -MP's rules: not read
    assert dependencies("no rule here") is None


def test_job_dir_is_the_directory_under_the_base_that_holds_the_project() -> None:
    assert job_dir("/tmp/manywheel/cp310-1/brotli-1.2.1", "/tmp/manywheel") == (
        "/tmp/manywheel/cp310-1"
    )
    assert job_dir("/elsewhere/project", "/tmp/manywheel") == "/elsewhere/project"
    assert job_dir("/tmp/manywheel/cp310-1/p", "") == "/tmp/manywheel/cp310-1/p"


@dataclass
class Layout:
    """Two jobs' copies of one project under ccache's base directory, two interpreters'
    include directories (``py_a``: the reference's, ``py_b``: the other's) and a system one."""

    base: Path
    py_a: Path
    py_b: Path
    system: Path

    def project(self, job: str) -> Path:
        return self.base / job / "proj"

    def argv(self, py: Path, *extra: str) -> list[str]:
        return [
            "gcc",
            "-O2",
            *extra,
            "-Ic/include",
            f"-I{py}",
            f"-I{self.system}",
            "-c",
            "c/a.c",
            "-o",
            "build/a.o",
            "-MD",
        ]


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def in_both(layout: Layout, name: str, text: str) -> None:
    """``name`` in both jobs' copies of the project."""
    for job in ("ref", "other"):
        write(layout.project(job) / name, text)


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    found = Layout(tmp_path / "work", tmp_path / "py310", tmp_path / "py311", tmp_path / "sys")
    write(found.py_a / "Python.h", "/* 3.10 */\n")
    write(found.py_b / "Python.h", "/* 3.11 */\n")
    write(found.py_b / "only311.h", "/* a header 3.10's directory lacks */\n")
    write(found.system / "std.h", "#pragma once\n")
    write(found.system / "only311.h", "/* the system's, found past 3.10's directory */\n")
    in_both(found, "c/a.c", '#include "a.h"\n#include <std.h>\n')
    in_both(found, "c/a.h", "int a(void);\n")
    return found


def reference_records(
    layout: Layout,
    monkeypatch: pytest.MonkeyPatch,
    deps: list[str],
    *extra: str,
    **more: str,
) -> Path:
    """The reference's record of its compile of c/a.c, which read ``deps``."""
    record = layout.base.parent / "lines" / "ref.json"
    monkeypatch.chdir(layout.project("ref"))
    write(Path("build/a.d"), "build/a.o: " + " ".join(deps) + "\n")
    env = {
        "MANYWHEEL_SHARED_LINE": f"write:{record}",
        "CCACHE_BASEDIR": str(layout.base),
        **more,
    }
    writer = SharedLine.from_environ(env)
    assert writer is not None
    writer.note("c/a.c", layout.argv(layout.py_a, *extra), "build/a.o")
    writer.save()
    return record


def line_of_the_other(
    layout: Layout, monkeypatch: pytest.MonkeyPatch, record: Path, *extra: str, **env: str
) -> list[str]:
    monkeypatch.chdir(layout.project("other"))
    environ = {
        "MANYWHEEL_SHARED_LINE": f"read:{record}",
        "CCACHE_BASEDIR": str(layout.base),
        **env,
    }
    reader = SharedLine.from_environ(environ)
    assert reader is not None
    return reader.line_for("c/a.c", layout.argv(layout.py_b, *extra))


DEPS = ["c/a.c", "c/a.h"]


def test_a_compile_proven_the_same_takes_the_reference_line(
    layout: Layout, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = reference_records(layout, monkeypatch, [*DEPS, f"{layout.system}/std.h"])
    line = line_of_the_other(layout, monkeypatch, record)
    assert line == layout.argv(layout.py_a)  # 3.10's directory in place of 3.11's, all else its own


def test_a_warning_option_ccache_leaves_out_does_not_part_the_lines(
    layout: Layout, monkeypatch: pytest.MonkeyPatch
) -> None:
    """3.10's line has -Wno-unused-result, 3.11's not: alike to ccache, which is told to leave
    it out of its hash (CCACHE_IGNOREOPTIONS); apart when it is not told."""
    deps = [*DEPS, f"{layout.system}/std.h"]
    ignore = {"CCACHE_IGNOREOPTIONS": "-Wno-unused-result -DUNUSED=*"}
    record = reference_records(layout, monkeypatch, deps, "-Wno-unused-result", **ignore)
    line = line_of_the_other(layout, monkeypatch, record, **ignore)
    assert line == layout.argv(layout.py_a)
    record = reference_records(layout, monkeypatch, deps, "-Wno-unused-result")
    assert line_of_the_other(layout, monkeypatch, record) == layout.argv(layout.py_b)


def test_a_name_found_in_only_one_interpreter_directory_keeps_the_own_line(
    layout: Layout, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reference found the system's only311.h past its include directory; with 3.11's the
    compile would find 3.11's: not the same compile."""
    in_both(layout, "c/a.h", "#include <only311.h>\n")
    deps = [*DEPS, f"{layout.system}/std.h", f"{layout.system}/only311.h"]
    record = reference_records(layout, monkeypatch, deps)
    assert line_of_the_other(layout, monkeypatch, record) == layout.argv(layout.py_b)


def test_a_name_found_beside_the_including_file_is_the_same_either_way(
    layout: Layout, monkeypatch: pytest.MonkeyPatch
) -> None:
    in_both(layout, "c/a.h", '#include "only311.h"\n')
    in_both(layout, "c/only311.h", "/* the project's own */\n")
    deps = [*DEPS, "c/only311.h", f"{layout.system}/std.h"]
    record = reference_records(layout, monkeypatch, deps)
    assert line_of_the_other(layout, monkeypatch, record) == layout.argv(layout.py_a)


def test_has_include_of_a_name_in_one_directory_keeps_the_own_line(
    layout: Layout, monkeypatch: pytest.MonkeyPatch
) -> None:
    in_both(layout, "c/a.h", "#if __has_include(<only311.h>)\n#endif\n")
    (layout.system / "only311.h").unlink()  # looked up, found nowhere by the reference
    record = reference_records(layout, monkeypatch, [*DEPS, f"{layout.system}/std.h"])
    assert line_of_the_other(layout, monkeypatch, record) == layout.argv(layout.py_b)


def test_a_file_read_from_an_interpreter_directory_keeps_the_own_line(
    layout: Layout, monkeypatch: pytest.MonkeyPatch
) -> None:
    deps = [*DEPS, f"{layout.py_a}/Python.h", f"{layout.system}/std.h"]
    record = reference_records(layout, monkeypatch, deps)
    assert line_of_the_other(layout, monkeypatch, record) == layout.argv(layout.py_b)


def test_a_file_not_the_same_bytes_keeps_the_own_line(
    layout: Layout, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = reference_records(layout, monkeypatch, [*DEPS, f"{layout.system}/std.h"])
    write(layout.project("other") / "c" / "a.h", "int a(int);\n")  # before-build changed it
    assert line_of_the_other(layout, monkeypatch, record) == layout.argv(layout.py_b)


def test_lines_that_differ_by_more_than_include_directories_stay_apart(
    layout: Layout, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = reference_records(layout, monkeypatch, [*DEPS, f"{layout.system}/std.h"])
    assert line_of_the_other(layout, monkeypatch, record, "-DX=1") == layout.argv(
        layout.py_b, "-DX=1"
    )
    # a -D changes what the preprocessor sees: apart even when ccache is told to leave it out
    ignore = {"CCACHE_IGNOREOPTIONS": "-DX=*"}
    record = reference_records(layout, monkeypatch, [*DEPS, f"{layout.system}/std.h"], **ignore)
    line = line_of_the_other(layout, monkeypatch, record, "-DX=1", **ignore)
    assert line == layout.argv(layout.py_b, "-DX=1")


def test_no_record_or_a_computed_include_keeps_the_own_line(
    layout: Layout, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = layout.base.parent / "lines" / "none.json"
    assert line_of_the_other(layout, monkeypatch, missing) == layout.argv(layout.py_b)
    in_both(layout, "c/a.h", "#include HEADER\n")
    record = reference_records(layout, monkeypatch, [*DEPS, f"{layout.system}/std.h"])
    assert line_of_the_other(layout, monkeypatch, record) == layout.argv(layout.py_b)


def test_the_reference_reads_again_only_the_files_that_changed(
    layout: Layout, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A later run's record keeps what the earlier one read of a file of the same bytes (a
    one-file edit scans only the edited file), and it still proves the same."""
    deps = [*DEPS, f"{layout.system}/std.h"]
    record = reference_records(layout, monkeypatch, deps)
    scanned: list[bytes] = []
    real = shared_line.directives

    def counted(data: bytes) -> list[tuple[str, str, str]] | None:
        scanned.append(data)
        return real(data)

    monkeypatch.setattr(shared_line, "directives", counted)
    in_both(layout, "c/a.h", "int a(long);\n")  # the edit
    record = reference_records(layout, monkeypatch, deps)
    assert scanned == [b"int a(long);\n"]
    assert line_of_the_other(layout, monkeypatch, record) == layout.argv(layout.py_a)


def test_a_record_not_of_ours_is_not_used_and_fails_nothing(
    layout: Layout, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = layout.base.parent / "lines" / "ref.json"
    environ = {"CPATH": "", "C_INCLUDE_PATH": "", "CPLUS_INCLUDE_PATH": "", "OBJC_INCLUDE_PATH": ""}
    write(record, json.dumps({"format": 1, "environ": environ, "files": [1], "sources": 2}))
    monkeypatch.chdir(layout.project("ref"))
    writer = SharedLine.from_environ({"MANYWHEEL_SHARED_LINE": f"write:{record}"})
    assert writer is not None
    assert writer.files.known == {}
    assert line_of_the_other(layout, monkeypatch, record) == layout.argv(layout.py_b)


def test_a_source_named_with_a_leading_dot_is_its_dependency_files_first(
    layout: Layout, monkeypatch: pytest.MonkeyPatch
) -> None:
    """setup.py's "./src/..." sources: the compiler lists them without the "./"."""
    record = layout.base.parent / "lines" / "ref.json"
    env = {"CCACHE_BASEDIR": str(layout.base)}
    monkeypatch.chdir(layout.project("ref"))
    write(Path("build/a.d"), f"build/a.o: c/a.c c/a.h {layout.system}/std.h\n")
    writer = SharedLine.from_environ({"MANYWHEEL_SHARED_LINE": f"write:{record}", **env})
    assert writer is not None
    dotted = [w if w != "c/a.c" else "./c/a.c" for w in layout.argv(layout.py_a)]
    writer.note("./c/a.c", dotted, "build/a.o")
    writer.save()
    monkeypatch.chdir(layout.project("other"))
    reader = SharedLine.from_environ({"MANYWHEEL_SHARED_LINE": f"read:{record}", **env})
    assert reader is not None
    mine = [w if w != "c/a.c" else "./c/a.c" for w in layout.argv(layout.py_b)]
    assert reader.line_for("./c/a.c", mine) == dotted
