"""PyPI's metadata rules: a wheel whose METADATA breaks one gets PyPI's own reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from trove_classifiers import deprecated_classifiers

from manywheel.release.check import check_file
from manywheel.release.problems import Problem
from tests.distributions import make_sdist, make_wheel

HEAD = "Metadata-Version: 2.4\nName: demo\nVersion: 1.0\n"
LONG_LABEL = "Documentation for the whole thing"  # 33 characters


def problems(tmp_path: Path, fields: str, body: str = "", **wheel: str) -> tuple[Problem, ...]:
    metadata = HEAD + fields + (f"\n{body}" if body else "")
    return check_file(make_wheel(tmp_path, metadata=metadata, **wheel)).problems


def test_metadata_pypi_takes(tmp_path: Path) -> None:
    fields = (
        "Summary: A tiny C extension\n"
        "Author-email: Some One <someone@example.org>\n"
        "License-Expression: MIT\n"
        "Classifier: Programming Language :: Python :: 3\n"
        "Project-URL: Source, https://example.org/demo\n"
        "Requires-Dist: packaging>=24; python_version >= '3.9'\n"
        "Description-Content-Type: text/markdown\n"
        "Dynamic: Classifier\n"
    )
    assert problems(tmp_path, fields, "# Demo\n\n  *odd* markdown renders anyway\n") == ()


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        (
            "Requires-Dist: foo @ git+https://example.org/foo.git\n",
            "Can't have direct dependency: foo @ git+https://example.org/foo.git.",
        ),
        (
            "Provides-Dist: foo @ https://example.org/foo.tar.gz\n",
            "Can't have direct dependency: 'foo @ https://example.org/foo.tar.gz'.",
        ),
        (
            "Classifier: Programming Language :: Cobol\n",
            "'Programming Language :: Cobol' is not a valid classifier.",
        ),
        (
            "Classifier: License :: OSI Approved :: Intel Open Source License\n",
            "The classifier 'License :: OSI Approved :: Intel Open Source License' has been "
            "deprecated.",
        ),
        (
            f"Project-URL: {LONG_LABEL}, https://example.org/docs\n",
            f"'{LONG_LABEL}' must be 32 characters or less.",
        ),
        (
            "Project-URL: Docs, ftp://example.org/docs\n",
            "'ftp://example.org/docs' is not a valid url.",
        ),
        ("Home-page: example.org\n", "'example.org' is not a valid url."),
        (
            "Author-email: Some One <someone>\n",
            "'someone' is not a valid email address: An email address must have an @-sign.",
        ),
        ("Summary: " + "x" * 513 + "\n", "'summary' field must be 512 characters or less."),
        ("Summary: first line\n second line\n", "'summary' must be a single line."),
        (
            "License: MIT\nLicense-Expression: MIT\n",
            "License is deprecated when License-Expression is present. "
            "Only License-Expression should be present.",
        ),
        ("Dynamic: Dynamic\n", "Dynamic field 'dynamic' is not a valid dynamic field."),
        ("Requires-Python: >=3.x\n", "'>=3.x' is invalid for 'requires-python'."),
    ],
)
def test_each_metadata_rule_gives_pypis_reason(tmp_path: Path, fields: str, reason: str) -> None:
    assert problems(tmp_path, fields) == (Problem("PyPI", reason),)


def test_a_deprecated_classifier_names_its_replacements(tmp_path: Path) -> None:
    old, new = next((c, r) for c, r in sorted(deprecated_classifiers.items()) if r)
    assert problems(tmp_path, f"Classifier: {old}\n") == (
        Problem("PyPI", f"The classifier {old!r} has been deprecated, use one of {new} instead."),
    )


def test_a_local_version(tmp_path: Path) -> None:
    metadata = "Metadata-Version: 2.4\nName: demo\nVersion: 1.0+ubuntu1\n"
    wheel = make_wheel(tmp_path, version="1.0+ubuntu1", metadata=metadata)
    assert check_file(wheel).problems == (
        Problem("PyPI", "The use of local versions in '1.0+ubuntu1' is not allowed."),
    )


def test_a_metadata_version_pypi_does_not_know(tmp_path: Path) -> None:
    metadata = "Metadata-Version: 2.6\nName: demo\nVersion: 1.0\n"
    # packaging knows 2.6 from release 26 on (before, it says the same itself)
    assert check_file(make_wheel(tmp_path, metadata=metadata)).problems == (
        Problem("PyPI", "'2.6' is not a valid metadata version."),
    )


def test_a_description_that_does_not_render(tmp_path: Path) -> None:
    body = "Title\n=====\n\n  indented\n unindented\n"
    assert problems(tmp_path, "", body) == (
        Problem(
            "PyPI",
            "The description failed to render in the default format of reStructuredText. "
            "(<string>:5: (WARNING/2) Block quote ends without a blank line; unexpected "
            "unindent.)",
        ),
    )
    declared = problems(tmp_path, "Description-Content-Type: text/x-rst\n", body)
    assert [p.message.split(" (")[0] for p in declared] == [
        "The description failed to render for 'text/x-rst'."
    ]
    assert problems(tmp_path, "Description-Content-Type: text/plain\n", body) == ()


def test_unknown_values_are_dropped_as_pypi_does(tmp_path: Path) -> None:
    """Old setuptools wrote UNKNOWN for every missing field; PyPI ignores such a field."""
    fields = "Home-page: UNKNOWN\nAuthor-email: UNKNOWN\nLicense: UNKNOWN\nPlatform: UNKNOWN\n"
    assert problems(tmp_path, fields, "UNKNOWN\n") == ()


def test_twine_refuses_a_field_it_does_not_know(tmp_path: Path) -> None:
    assert problems(tmp_path, "X-Thing: 1\n") == (
        Problem(
            "twine", "Invalid distribution metadata: unrecognized or malformed field 'x-thing'"
        ),
    )


def test_license_file_in_old_metadata_is_left_out_as_twine_does(tmp_path: Path) -> None:
    """setuptools < 77 wrote it under Metadata-Version 2.1; twine never sends it to PyPI."""
    metadata = "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nLicense-File: LICENSE\n"
    assert check_file(make_wheel(tmp_path, metadata=metadata)).ok

    metadata = "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nDynamic: version\n"
    assert check_file(make_wheel(tmp_path, metadata=metadata)).problems == (
        Problem("PyPI", "dynamic introduced in metadata version 2.2, not 2.1."),
    )


def test_an_sdist_gets_the_same_rules(tmp_path: Path) -> None:
    pkg_info = HEAD + "Classifier: Programming Language :: Cobol\n"
    assert check_file(make_sdist(tmp_path, pkg_info=pkg_info)).problems == (
        Problem("PyPI", "'Programming Language :: Cobol' is not a valid classifier."),
    )


def test_a_local_build_is_delivered_despite_pypis_policy(tmp_path: Path) -> None:
    """The output dir takes a wheel with a local version or an unknown classifier; check and
    publish refuse it."""
    metadata = HEAD.replace("1.0", "1.0+local") + "Classifier: Programming Language :: Cobol\n"
    wheel = make_wheel(tmp_path, version="1.0+local", metadata=metadata)
    assert check_file(wheel, pypi_rules=False).ok
    assert len(check_file(wheel).problems) == 2
