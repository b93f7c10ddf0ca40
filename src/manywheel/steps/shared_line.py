"""Compile lines shared between CPythons of the same compile flags, once proven equivalent.

Shipped beside the setuptools plugin (steps/setuptools_plugin.py, which imports it as
``manywheel_shared_line``) and run in the build backend's process: Python 3.6+ and the standard
library only.

Two CPythons with the same compile flags (3.10 and 3.11; 3.12 and 3.13) compile a C file that
does not include Python.h (a vendored library: brotli's 35 of its 36 files) to the same object,
but their compile lines differ by the interpreter's include directories. ccache's direct mode
keys on the line, so the second CPython found the first one's objects only by their
preprocessed source: a preprocessor run per file (brotli: 1.2 s of a core per build), and the
first CPython's build ran the preprocessor too, only to store that key (1.5 s more).

So the first job of a flag signature in a run (the *reference*, ``write:PATH``) records, for
each file it compiles, the line and what the compile read: the dependency file the compiler
writes (``-MD``), each file's sha256, and every name a directive in those files looks up
(``#include``, ``#include_next``, ``#import``, ``#embed``, ``__has_include``,
``__has_include_next``, ``__has_embed``). The other jobs of the signature (``read:PATH``)
compile a file with the reference's line, include directories and all, only when that compile
is proven to be their own: their line differs from the reference's only by ``-I`` directories
(and by the options ccache leaves out of its hash, ``CCACHE_IGNOREOPTIONS``); the file and
each file it read are the same bytes; none of them lies under a directory that differs; and
each name looked up finds the same thing in the reference's directory as in their own (the
lookup stops in a directory both lines share, or the name is in both of the differing
directories or in neither). Then the preprocessor sees the same text either way, and ccache's
direct mode finds the reference's object with no preprocessor run; both builds use ccache's
depend mode, which runs none on a miss either. Anything not proven (a computed ``#include
MACRO``, a file read from an interpreter's directory, a line that differs otherwise, no record)
compiles with the job's own line.
"""

import hashlib
import json
import os
import re
import threading
from typing import Any, Dict, List, Optional, Sequence, Tuple

VARIABLE = "MANYWHEEL_SHARED_LINE"  # "write:PATH" (the reference) or "read:PATH"
MODULE = "manywheel_shared_line"  # its name beside the plugin
FORMAT = 1
# variables that add include directories or change what the preprocessor does: the same for
# both, or nothing is shared
_ENVIRONMENT = ("CPATH", "C_INCLUDE_PATH", "CPLUS_INCLUDE_PATH", "OBJC_INCLUDE_PATH")
# options that change how includes are searched in ways the proof does not follow
_UNFOLLOWED = ("-nostdinc", "-iprefix", "-iwithprefix", "--sysroot", "-isysroot")

# in one pass: a comment, a string or character literal (each ending at its line's end at the
# latest), a directive that looks a name up (first on its line, or right after a comment, which
# is a space: groups 1, 2), and __has_include and its kind (groups 3, 4, 5)
_SPACE = rb"(?:[ \t\f\v]|/\*.*?\*/)*"  # blanks and comments, which are spaces
# a header name, whole (a /* in it starts no comment), or the one character that stands there
_HEADER_NAME = rb"(<[^>\n]*>|\"[^\"\n]*\"|.?)"
_TOKENS = re.compile(
    rb"//[^\n]*|/\*.*?(?:\*/|\Z)|\"(?:\\.|[^\"\\\n])*\"?|'(?:\\.|[^'\\\n])*'?"
    rb"|(?:^|(?<=\*/))[ \t\f\v]*(?:#|%:)"
    + _SPACE
    + rb"(include_next|include|import|embed)\b"
    + _SPACE
    + _HEADER_NAME
    + rb"|__has_(include_next|include|embed)(?:__)?\b"
    + _SPACE
    + rb"(\(?)"
    + _SPACE
    + _HEADER_NAME,
    re.DOTALL | re.MULTILINE,
)
_PRAGMA_DEPENDENCY = re.compile(rb"(?:#|%:)[ \t]*pragma[ \t]+GCC[ \t]+dependency\b")
_RAW_STRING = re.compile(rb"(?:^|[^A-Za-z0-9_])(?:u8|[uUL])?R\"")
_NAME = {b"<": b">", b'"': b'"'}

Directive = Tuple[str, str, str]  # (kind, '<' or '"', name)


def _named(kind: bytes, name: bytes) -> Optional[Directive]:
    """The directive of ``kind`` looking ``name`` up (with its ``<>`` or quotes), or None (not a
    literal name)."""
    if len(name) < 2 or name[:1] not in _NAME or name[-1:] != _NAME[name[:1]]:
        return None
    return (kind.decode(), name[:1].decode(), os.fsdecode(name[1:-1]))


def directives(data: bytes) -> Optional[List[Directive]]:
    """The names ``data`` (a C or C++ file) looks up, with how; None when one cannot be told (a
    computed include, ``__has_include`` of a macro, a trigraph, a raw string literal, ``#pragma
    GCC dependency``). Directives in comments do not count; those in ``#if 0`` do: more names
    to check, never fewer."""
    if b"??=" in data:
        return None
    if b'R"' in data and _RAW_STRING.search(data):
        return None
    if b"dependency" in data and _PRAGMA_DEPENDENCY.search(data):
        return None
    text = data.replace(b"\\\r\n", b"").replace(b"\\\n", b"")  # spliced lines
    found = []  # type: List[Directive]
    for match in _TOKENS.finditer(text):
        if match.group(1):
            named = _named(match.group(1), match.group(2))
        elif match.group(3):
            if not match.group(4):  # #ifdef __has_include, defined(__has_include): no lookup
                continue
            named = _named(b"has_" + match.group(3), match.group(5))
        else:
            continue  # a comment or a literal
        if named is None:
            return None
        found.append(named)
    return found


def dependencies(text: str) -> Optional[List[str]]:
    """The files a dependency file (``-MD``'s) lists, the target left out; None when it
    cannot be read plainly."""
    joined = text.replace("\\\r\n", " ").replace("\\\n", " ")
    _, colon, rest = joined.partition(": ")
    if not colon:
        return None
    paths = []
    word = ""
    i = 0
    while i < len(rest):
        c = rest[i]
        if c == "\\" and i + 1 < len(rest) and rest[i + 1] in " #\\":
            word += rest[i + 1]
            i += 2
            continue
        if c == "$" and rest[i + 1 : i + 2] == "$":
            word += "$"
            i += 2
            continue
        if c in " \t\n":
            if word:
                paths.append(word)
            word = ""
        elif c in "\\:":  # another rule, or an escape not read here
            return None
        else:
            word += c
        i += 1
    if word:
        paths.append(word)
    return paths


def without_option(words: Sequence[str], option: str) -> List[str]:
    """``words`` without ``option`` and the word after it (``-o OBJ``)."""
    out = []  # type: List[str]
    skip = False
    for word in words:
        if skip:
            skip = False
        elif word == option:
            skip = True
        else:
            out.append(word)
    return out


def ignored(word: str, patterns: Sequence[str]) -> bool:
    """Whether ``word`` is a warning option ccache leaves out of its hash
    (``CCACHE_IGNOREOPTIONS``: exact, or a prefix ending in ``*``). Only a warning option: one
    that changes what the preprocessor does (``-D``) keeps the lines apart, whatever ccache is
    told."""
    if not word.startswith("-W") or word.startswith(("-Wp,", "-Wa,", "-Wl,")):
        return False
    for pattern in patterns:
        if pattern.endswith("*") and word.startswith(pattern[:-1]):
            return True
        if word == pattern:
            return True
    return False


class Files:
    """What this build read so far: sha256 and directives per path (each file read once)."""

    def __init__(self) -> None:
        self._seen = {}  # type: Dict[str, Tuple[Optional[str], Optional[List[Directive]]]]
        # the directives an earlier record has of a file, by its sha256 then: not read again
        self.known = {}  # type: Dict[str, Tuple[str, List[Directive]]]
        self._isfile = {}  # type: Dict[str, bool]
        self._real = {}  # type: Dict[str, str]
        self._lock = threading.Lock()

    def read(self, path: str, scan: bool = True) -> Tuple[Optional[str], Optional[List[Directive]]]:
        """The file's sha256 and, when ``scan``, its directives."""
        with self._lock:
            if path in self._seen:
                return self._seen[path]
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError:
            found = (None, None)  # type: Tuple[Optional[str], Optional[List[Directive]]]
        else:
            digest = hashlib.sha256(data).hexdigest()
            earlier = self.known.get(path)
            if not scan:
                found = (digest, [])
            elif earlier is not None and earlier[0] == digest:
                found = (digest, earlier[1])
            else:
                found = (digest, directives(data))
        with self._lock:
            self._seen[path] = found
        return found

    def real(self, path: str) -> str:
        return str(self._memo(self._real, path, os.path.realpath))

    def isfile(self, path: str) -> bool:
        return bool(self._memo(self._isfile, path, os.path.isfile))

    def _memo(self, known: Dict[str, Any], path: str, ask: Any) -> Any:
        """``ask(path)``, asked once a build (a file's existence does not change meanwhile)."""
        with self._lock:
            if path in known:
                return known[path]
        found = ask(path)
        with self._lock:
            known[path] = found
        return found


class SharedLine:
    """One build's part: recording its compiles (``write``), or compiling as the record says
    (``read``)."""

    def __init__(self, mode: str, path: str, environ: Any) -> None:
        self.mode, self.path = mode, path
        self.cwd = os.getcwd()
        self.job = job_dir(self.cwd, environ.get("CCACHE_BASEDIR") or "")
        self.patterns = (environ.get("CCACHE_IGNOREOPTIONS") or "").split()
        self.environ = {name: environ.get(name, "") for name in _ENVIRONMENT}
        self.files = Files()
        self.sources = {}  # type: Dict[str, Dict[str, Any]]
        self.record = None  # type: Optional[Dict[str, Any]]
        self.loaded = False
        self.counts = [0, 0]  # compiled with the reference's line, compiled in all
        self._alike = {}  # type: Dict[Tuple[str, Any], bool]  # a file's lookups find alike
        self._same = {}  # type: Dict[Tuple[str, Any], bool]  # a file is the same, not under them
        self._lock = threading.Lock()

    @classmethod
    def from_environ(cls, environ: Any) -> "Optional[SharedLine]":
        mode, _, path = (environ.get(VARIABLE) or "").partition(":")
        if mode not in ("write", "read") or not path:
            return None
        shared = cls(mode, path, environ)
        if mode == "write":  # what the last record says of a file of the same bytes is kept
            try:
                earlier = shared._load() or {"files": {}}
                for name, entry in earlier["files"].items():
                    if entry.get("sha256") and isinstance(entry.get("directives"), list):
                        found = [tuple(d) for d in entry["directives"]]
                        shared.files.known[shared._here(name)] = (entry["sha256"], found)
            except (AttributeError, KeyError, TypeError, ValueError):  # not one of ours
                shared.files.known.clear()
        return shared

    # the paths of one build, as the other sees them: under its job's directory, relative (as
    # ccache's base directory makes them: -ffile-prefix-map=JOBDIR=. is the same option)
    def _norm(self, word: str) -> str:
        return word.replace(self.job + os.sep, "{job}/").replace(self.job, "{job}")

    def _denorm(self, word: str) -> str:
        return word.replace("{job}", self.job)

    def _full(self, path: str) -> str:
        return os.path.join(self.cwd, path)

    def _here(self, path: str) -> str:
        return os.path.join(self.cwd, self._denorm(path))

    def _words(self, argv: Sequence[str]) -> List[str]:
        return [self._norm(w) for w in without_option(argv, "-o") if not ignored(w, self.patterns)]

    # --- the reference: what each compile read
    def note(self, source: str, argv: Sequence[str], obj: str) -> None:
        """After ``source``'s compile by ``argv`` into ``obj`` succeeded: what it read."""
        entry = {"words": self._words(argv)}  # type: Dict[str, Any]
        deps = None
        if "-MD" in argv and not any(w.startswith("-MF") for w in argv):
            try:
                with open(os.path.splitext(obj)[0] + ".d", encoding="utf-8") as fh:
                    deps = dependencies(fh.read())
            except (OSError, ValueError):
                deps = None
        if deps is None:
            entry = {"unsure": "no dependency file to read"}
        else:
            entry["deps"] = [self._norm(self._full(d)) for d in deps]
            for dep in entry["deps"]:  # read now, while the other compiles run
                self.files.read(self._here(dep))
        with self._lock:
            self.sources[self._norm(source)] = entry

    def save(self) -> None:
        """The record, written whole (another build reads the old one or this one)."""
        files = {}  # type: Dict[str, Any]
        with self._lock:
            sources = dict(self.sources)
        for entry in sources.values():
            for dep in entry.get("deps", ()):
                if dep not in files:
                    digest, found = self.files.read(self._here(dep))
                    files[dep] = {"sha256": digest, "directives": found}
        record = {"format": FORMAT, "environ": self.environ, "files": files, "sources": sources}
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        partial = "{}.{}.{}".format(self.path, os.getpid(), threading.get_ident())
        with open(partial, "w", encoding="utf-8") as fh:
            json.dump(record, fh)
        os.replace(partial, self.path)

    # --- the others: the reference's line where it is proven the same compile
    def line_for(self, source: str, argv: List[str]) -> List[str]:
        """The argv to compile ``source`` with: the reference's include directories where
        proven (the module's docstring), else ``argv``."""
        with self._lock:
            self.counts[1] += 1
        pairs = self._pairs(source, argv)
        if not pairs:
            return argv
        theirs = {"-I" + mine: "-I" + ref for ref, mine in pairs}
        with self._lock:
            self.counts[0] += 1
        return [theirs.get(word, word) for word in argv]

    def _load(self) -> Optional[Dict[str, Any]]:
        with self._lock:
            if not self.loaded:
                self.loaded = True
                try:
                    with open(self.path, encoding="utf-8") as fh:
                        record = json.load(fh)
                except (OSError, ValueError):
                    record = None
                ok = (
                    isinstance(record, dict)
                    and record.get("format") == FORMAT
                    and isinstance(record.get("sources"), dict)
                    and isinstance(record.get("files"), dict)
                )
                self.record = record if ok and record.get("environ") == self.environ else None
            return self.record

    def _pairs(self, source: str, argv: Sequence[str]) -> List[Tuple[str, str]]:
        """The (reference's, own) include directories the lines differ by, when the compile
        is proven the same with the reference's; else none."""
        record = self._load()
        if record is None or any(w == "-I-" or w.startswith(_UNFOLLOWED) for w in argv):
            return []
        entry = record["sources"].get(self._norm(source))
        first = self._norm(os.path.normpath(self._full(source)))
        if not entry or not entry.get("deps") or os.path.normpath(entry["deps"][0]) != first:
            return []  # no record of its compile, or one that does not start with the file
        mine, ref = self._words(argv), entry["words"]
        if len(mine) != len(ref):
            return []
        pairs = []
        for a, b in zip(ref, mine):
            if a == b:
                continue
            if not (a.startswith("-I") and b.startswith("-I") and len(a) > 2 and len(b) > 2):
                return []
            pairs.append((self._denorm(a[2:]), self._denorm(b[2:])))
        if not pairs or not self._same_files(record, entry, pairs):
            return []
        if not self._same_lookups(record, entry, pairs, argv):
            return []
        return pairs

    def _same_files(
        self, record: Dict[str, Any], entry: Dict[str, Any], pairs: List[Tuple[str, str]]
    ) -> bool:
        """Each file the reference's compile read is here, the same bytes, and in none of the
        directories that differ."""
        differing = tuple(
            self.files.real(os.path.join(self.cwd, d)) + os.sep for p in pairs for d in p
        )
        for dep in entry["deps"]:
            same = self._same.get((dep, differing))  # each file checked once a build
            if same is None:
                same = self._same_file(record["files"].get(dep), self._here(dep), differing)
                self._same[dep, differing] = same
            if not same:
                return False
        return True

    def _same_file(self, known: Any, here: str, differing: Tuple[str, ...]) -> bool:
        if not known or known.get("directives") is None:
            return False
        if self.files.real(here).startswith(differing):
            return False
        digest, _ = self.files.read(here, scan=False)  # its directives are recorded
        return digest is not None and digest == known.get("sha256")

    def _same_lookups(
        self,
        record: Dict[str, Any],
        entry: Dict[str, Any],
        pairs: List[Tuple[str, str]],
        argv: Sequence[str],
    ) -> bool:
        """Each name a directive looks up finds the same with either line (the module's
        docstring)."""
        quote, search = _search_dirs(argv)
        own = {os.path.join(self.cwd, mine) for _, mine in pairs}
        where = [os.path.join(self.cwd, d) for d in search]
        before = []  # the directories searched before the first that differs
        for d in where:
            if d in own:
                break
            before.append(d)
        both = [(os.path.join(self.cwd, r), os.path.join(self.cwd, m)) for r, m in pairs]
        quoted = [os.path.join(self.cwd, d) for d in quote]
        context = (tuple(quoted), tuple(before), tuple(both))
        for dep in entry["deps"]:
            known = self._alike.get((dep, context))  # each file checked once a build
            if known is not None:
                if not known:
                    return False
                continue
            if not self._lookups_alike(record, dep, quoted, before, both):
                self._alike[dep, context] = False
                return False
            self._alike[dep, context] = True
        return True

    def _lookups_alike(
        self,
        record: Dict[str, Any],
        dep: str,
        quoted: List[str],
        before: List[str],
        both: List[Tuple[str, str]],
    ) -> bool:
        """Whether each name ``dep``'s directives look up finds the same with either line."""
        found = record["files"][dep]["directives"]
        here = os.path.dirname(self._here(dep))
        for kind, delim, name in found or ():
            if os.path.isabs(name):
                continue
            if not kind.endswith("_next"):
                first = [here, *quoted] if delim == '"' else []
                if any(self.files.isfile(os.path.join(d, name)) for d in first + before):
                    continue  # found before the directories that differ
            for ref_dir, my_dir in both:
                if self.files.isfile(os.path.join(ref_dir, name)) != self.files.isfile(
                    os.path.join(my_dir, name)
                ):
                    return False
        return True

    def said(self) -> Optional[str]:
        """What this build did, for its log."""
        if self.mode == "write":
            return "recording what each compile read, for the CPythons that compile with its flags"
        done, total = self.counts
        if not total:
            return None
        return (
            f"{done} of {total} compiles with the line of the first CPython of these flags "
            "(the same files read, each include found alike: its objects are found in the "
            "compiler cache's direct mode); the others with this build's own"
        )


def job_dir(cwd: str, base: str) -> str:
    """The directory of the job ``cwd`` builds in: the one under ccache's base directory
    (``CCACHE_BASEDIR``, where each job has its own) that holds it; else ``cwd`` itself."""
    base = base.rstrip(os.sep)
    if base and cwd.startswith(base + os.sep):
        return os.path.join(base, cwd[len(base) + 1 :].split(os.sep, maxsplit=1)[0])
    return cwd


def _search_dirs(argv: Sequence[str]) -> Tuple[List[str], List[str]]:
    """The ``-iquote`` directories and the ``-I`` ones, in the order the compiler searches."""
    quote, search = [], []  # type: List[str], List[str]
    take = None  # type: Optional[List[str]]
    for word in argv:
        if take is not None:
            take.append(word)
            take = None
        elif word in ("-I", "-iquote"):
            take = search if word == "-I" else quote
        elif word.startswith("-iquote"):
            quote.append(word[len("-iquote") :])
        elif word.startswith("-I"):
            search.append(word[2:])
    return quote, search
