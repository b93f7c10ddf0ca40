"""A distribution's metadata (METADATA, PKG-INFO) as twine sends it and PyPI validates it.

twine parses the file with packaging, refuses fields it does not know, leaves out License-File
under Metadata-Version < 2.4, validates the rest (packaging.metadata) and posts it as a form:
the name in its "safe" spelling, no field whose value is UNKNOWN, no empty field. PyPI builds
packaging's Metadata from that form and adds its own rules: supported metadata versions, no
local version, a summary of at most 512 characters, valid e-mail addresses and URLs, known and
current trove classifiers, Project-URL labels of at most 32 characters, no direct-URL
dependency, the dynamic fields it knows, no License beside License-Expression, and a long
description that renders (reStructuredText can fail to; Markdown and plain text cannot).
"""

from __future__ import annotations

import email.utils
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, TypeVar, cast

from packaging.metadata import ExceptionGroup, InvalidMetadata, Metadata, RawMetadata, parse_email
from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version
from trove_classifiers import all_classifiers, deprecated_classifiers

from manywheel.release.problems import Problem, pypi, sentence, twine

SUPPORTED_METADATA_VERSIONS = frozenset({"1.0", "1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5"})
SUMMARY_LIMIT = 512
LABEL_LIMIT = 32
_DYNAMIC_FIELDS = frozenset(
    field.lower()
    for field in (
        *("Platform", "Supported-Platform", "Summary", "Description"),
        *("Description-Content-Type", "Keywords", "Home-Page", "Download-Url"),
        *("Author", "Author-Email", "Maintainer", "Maintainer-Email"),
        *("License", "License-Expression", "License-File", "Classifier"),
        *("Requires-Dist", "Requires-Python", "Requires-External", "Project-Url"),
        *("Provides-Extra", "Provides-Dist", "Obsoletes-Dist"),
        *("Requires", "Provides", "Obsoletes", "Import-Name", "Import-Namespace"),
    )
)
_RST = (None, "", "text/x-rst")

T = TypeVar("T")


@dataclass(frozen=True)
class UploadMetadata:
    """The metadata PyPI sees (validate=False: a field that is invalid raises on access),
    and what twine and PyPI refuse in it."""

    metadata: Metadata
    problems: tuple[Problem, ...]

    def field(self, name: str) -> Any:
        """A field's value, or None when it is missing or invalid (reported already)."""
        try:
            return getattr(self.metadata, name)
        except InvalidMetadata:
            return None


def read_metadata(data: bytes, *, pypi_rules: bool = True) -> UploadMetadata:
    """Parse and check METADATA / PKG-INFO; ``pypi_rules=False`` keeps to what the core
    metadata specification requires (what twine checks)."""
    raw, unparsed = parse_email(data)
    if _version(raw.get("metadata_version", "0")) < Version("2.4"):
        # setuptools < 77 writes License-File under 2.1/2.2; twine leaves it out
        raw.pop("license_files", None)
        unparsed.pop("license-file", None)
    problems = [
        twine(f"Invalid distribution metadata: unrecognized or malformed field {key!r}")
        for key in unparsed
    ]
    form = _as_posted(raw)
    # twine validates what it read and stops there; PyPI validates what it was sent
    messages = _packaging_errors(raw) or _packaging_errors(form)
    problems += [pypi(sentence(message)) for message in messages]
    metadata = UploadMetadata(Metadata.from_raw(form, validate=False), ())
    if pypi_rules:
        problems += [pypi(sentence(m)) for m in _pypi_errors(metadata)]
        problems += _description_problems(metadata)
    return UploadMetadata(metadata.metadata, tuple(problems))


def _version(text: str) -> Version:
    try:
        return Version(text)
    except InvalidVersion:
        return Version("0")  # packaging reports the bad metadata version


def _packaging_errors(raw: RawMetadata) -> list[str]:
    try:
        Metadata.from_raw(raw, validate=True)
    except ExceptionGroup as group:
        return [str(exc) for exc in group.exceptions]
    except InvalidMetadata as exc:
        return [str(exc)]
    return []


def _safe_name(name: str) -> str:
    """twine posts pkg_resources' spelling of the name."""
    return re.sub("[^A-Za-z0-9.]+", "-", name)


def _as_posted(raw: RawMetadata) -> RawMetadata:
    """The metadata after the trip through twine's form and PyPI's sanitizing of it."""
    posted: dict[str, Any] = {}
    for key, found in raw.items():
        value = _safe_name(found) if key == "name" and isinstance(found, str) else found
        if isinstance(value, list):
            # PyPI drops a repeated field when its last value is UNKNOWN
            last = ", ".join(value) if key == "keywords" else (value[-1] if value else "")
            if last.strip() == "UNKNOWN" or not last:
                continue
        elif isinstance(value, str):
            if value.strip() == "UNKNOWN" or not value:
                continue
            value = value.replace("\x00", "\\x00")
        posted[key] = value
    return cast(RawMetadata, posted)


def _pypi_errors(meta: UploadMetadata) -> Iterator[str]:
    for rule in _RULES:
        yield from rule(meta)


def _metadata_version(meta: UploadMetadata) -> Iterator[str]:
    found = meta.field("metadata_version")
    if found is not None and found not in SUPPORTED_METADATA_VERSIONS:
        yield f"{found!r} is not a valid metadata version"


def _local_version(meta: UploadMetadata) -> Iterator[str]:
    version = meta.field("version")
    if version is not None and version.local:
        yield f"The use of local versions in '{version}' is not allowed."


def _summary(meta: UploadMetadata) -> Iterator[str]:
    summary = meta.field("summary")
    if isinstance(summary, str) and len(summary) > SUMMARY_LIMIT:
        yield f"'summary' field must be {SUMMARY_LIMIT} characters or less."


def _emails(meta: UploadMetadata) -> Iterator[str]:
    import email_validator  # imported when used: a run that checks no wheel starts sooner

    for name in ("author_email", "maintainer_email"):
        value = meta.field(name)
        _, address = email.utils.parseaddr(value or "")
        if not address:
            continue
        try:
            email_validator.validate_email(address, check_deliverability=False)
        except email_validator.EmailNotValidError as exc:
            yield f"{address!r} is not a valid email address: {exc}"


def _classifiers(meta: UploadMetadata) -> Iterator[str]:
    found = set(meta.field("classifiers") or [])
    for classifier in sorted(found - set(all_classifiers)):
        yield f"{classifier!r} is not a valid classifier."
    for classifier in sorted(found & deprecated_classifiers.keys()):
        replacements = deprecated_classifiers[classifier]
        instead = f", use one of {replacements} instead" if replacements else ""
        yield f"The classifier {classifier!r} has been deprecated{instead}."


def valid_url(url: str) -> bool:
    """PyPI's test: an http(s) URL with a scheme, valid host, port, path and query."""
    from rfc3986 import exceptions as uri_exceptions
    from rfc3986 import uri_reference, validators

    validator = (
        validators.Validator()
        .allow_schemes("http", "https")
        .require_presence_of("scheme")
        .check_validity_of("scheme", "host", "port", "path", "query")
    )
    try:
        validator.validate(uri_reference(url).normalize())
    except uri_exceptions.ValidationError:
        return False
    return True


def _urls(meta: UploadMetadata) -> Iterator[str]:
    for name in ("home_page", "download_url"):
        url = meta.field(name)
        if url is not None and not valid_url(url):
            yield f"{url!r} is not a valid url."
    for label, url in (meta.field("project_urls") or {}).items():
        if not label:
            yield "Must have a label"
        elif len(label) > LABEL_LIMIT:
            yield f"{label!r} must be {LABEL_LIMIT} characters or less."
        elif not url:
            yield "Must have a URL"
        elif not valid_url(url):
            yield f"{url!r} is not a valid url"


def _dependencies(meta: UploadMetadata) -> Iterator[str]:
    for name in ("provides_dist", "obsoletes_dist"):
        for text in meta.field(name) or []:
            try:
                requirement = Requirement(text)
            except InvalidRequirement as exc:
                yield f"{text!r} is invalid: {exc}"
            else:
                if requirement.url is not None:
                    yield f"Can't have direct dependency: {text!r}"
    for requirement in meta.field("requires_dist") or []:
        if requirement.url is not None:
            yield f"Can't have direct dependency: {requirement}"


def _dynamic(meta: UploadMetadata) -> Iterator[str]:
    for key in meta.field("dynamic") or []:
        if key not in _DYNAMIC_FIELDS:
            yield f"Dynamic field {key!r} is not a valid dynamic field."


def _license(meta: UploadMetadata) -> Iterator[str]:
    if meta.field("license") and meta.field("license_expression"):
        yield (
            "License is deprecated when License-Expression is present. "
            "Only License-Expression should be present."
        )


_RULES: tuple[Callable[[UploadMetadata], Iterator[str]], ...] = (
    _metadata_version,
    _local_version,
    _summary,
    _emails,
    _classifiers,
    _urls,
    _dependencies,
    _dynamic,
    _license,
)


def _description_problems(meta: UploadMetadata) -> list[Problem]:
    description = meta.field("description")
    if not description:
        return []
    declared = meta.field("description_content_type")
    if _content_type(declared) not in _RST:
        return []  # PyPI's Markdown and plain-text renderers always give a page
    import readme_renderer.rst

    warnings = io.StringIO()
    if readme_renderer.rst.render(description, stream=warnings) is not None:
        return []
    if declared:
        message = f"The description failed to render for '{declared}'."
    else:
        message = "The description failed to render in the default format of reStructuredText."
    return [pypi(f"{message} ({warnings.getvalue().strip()})")]


def _content_type(declared: str | None) -> str | None:
    if not declared:
        return declared
    message = EmailMessage()
    message["content-type"] = declared
    return message.get_content_type()
