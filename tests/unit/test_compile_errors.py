"""The compile errors a build's log shows, picked for the failure's explanation."""

from __future__ import annotations

from pathlib import Path

from manywheel.diagnose.compile_errors import compile_errors

LOG = """\
[manywheel] build: $ uv build --wheel ...
building 'yaml._yaml' extension
gcc -fPIC -I/opt/python/cp311-cp311/include/python3.11 -c yaml/_yaml.c -o build/_yaml.o
yaml/_yaml.h:2:10: fatal error: yaml.h: No such file or directory
    2 | #include <yaml.h>
compilation terminated.
src/ext.cc:12: error: 'foo' was not declared in this scope
warning: src/x.c:3:1: error-prone code
src/x.c:3:1: warning: unused variable 'y'
/usr/bin/ld: cannot find -lyaml: No such file or directory
error: command '/usr/bin/gcc' failed with exit code 1
yaml/_yaml.h:2:10: fatal error: yaml.h: No such file or directory
Error compiling module, falling back to pure Python
[manywheel] build: exit 0 after 2.61 s
"""


def test_the_compiler_s_and_the_linker_s_errors_once_each_in_order(tmp_path: Path) -> None:
    log = tmp_path / "job.log"
    log.write_text(LOG)
    assert compile_errors(log, limit=5) == [
        "yaml/_yaml.h:2:10: fatal error: yaml.h: No such file or directory",
        "src/ext.cc:12: error: 'foo' was not declared in this scope",
        "/usr/bin/ld: cannot find -lyaml: No such file or directory",
    ]
    assert compile_errors(log, limit=1) == [
        "yaml/_yaml.h:2:10: fatal error: yaml.h: No such file or directory"
    ]


def test_only_the_log_s_first_bytes_when_an_end_is_given(tmp_path: Path) -> None:
    log = tmp_path / "job.log"
    log.write_text(LOG)
    assert compile_errors(log, end=LOG.index("src/ext.cc")) == [
        "yaml/_yaml.h:2:10: fatal error: yaml.h: No such file or directory"
    ]


def test_a_missing_log_has_none(tmp_path: Path) -> None:
    assert compile_errors(tmp_path / "gone.log") == []
