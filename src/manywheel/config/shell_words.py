r"""The words of an environment string (``A=1 B="two words" C=$(python -c 'print(3)')``), split
as a shell splits them, each value written as it would be between double quotes.

``shlex.split`` knows quotes but not command substitution: it cut
``C=$(python -c 'print(3)')`` into three words, so a value cibuildwheel takes (its bashlex
reading of ``CIBW_ENVIRONMENT``) failed here as "'-c' is not in KEY=VALUE form". Here a
``$(...)`` or backticks stays whole and as written, quotes and all, for the shell that
evaluates the value (steps/context.py ``shell_value``, which reads it between double quotes).
The rest is rewritten for that reading too, which is how cibuildwheel reads a TOML table's
values (``NAME="value"``) and how config/expansion.py reads every value: double-quoted text as
it is, single-quoted text with ``\``, ``$``, backtick and ``"`` escaped (``'$HOME'`` stays
``$HOME``), and an unquoted backslash escaping the character after it.
"""

from __future__ import annotations

_SPECIAL = ("\\", "$", "`", '"')  # what a backslash escapes between double quotes


def split(text: str) -> list[str]:
    """The words of ``text``, each as it reads between double quotes; ValueError when a quote,
    backtick or ``$(`` is not closed."""
    words: list[str] = []
    word: list[str] = []
    started = False
    i = 0
    while i < len(text):
        c = text[i]
        if c.isspace():
            if started:
                words.append("".join(word))
                word, started = [], False
            i += 1
            continue
        started = True
        if c == "'":
            end = _closing(text, i + 1, "'", "quotation")
            word.extend("\\" + ch if ch in _SPECIAL else ch for ch in text[i + 1 : end])
            i = end + 1
        elif c == '"':
            i = _double_quoted(text, i + 1, word)
        elif c == "\\":
            escaped = text[i + 1 : i + 2]
            word.append("\\" + escaped if escaped in _SPECIAL else escaped)
            i += 2
        else:
            i = _taken(text, i, word)
    if started:
        words.append("".join(word))
    return words


def _closing(text: str, start: int, char: str, what: str) -> int:
    end = text.find(char, start)
    if end < 0:
        raise ValueError(f"No closing {what}")
    return end


def _double_quoted(text: str, i: int, word: list[str]) -> int:
    """Take the double-quoted text from ``i`` into ``word`` as it is (its escapes too); the
    index after its quote."""
    while i < len(text):
        c = text[i]
        if c == '"':
            return i + 1
        if c == "\\":
            word.append(text[i : i + 2])
            i += 2
        else:
            i = _taken(text, i, word)
    raise ValueError("No closing quotation")


def _taken(text: str, i: int, word: list[str]) -> int:
    """Take the ``$(...)`` or backticks at ``i`` whole, as written, or else the character at
    ``i``, into ``word``; the index after it."""
    if text.startswith("$(", i) or text[i] == "`":
        end = _substitution_end(text, i)
        word.append(text[i:end])
        return end
    word.append(text[i])
    return i + 1


def _substitution_end(text: str, i: int) -> int:
    """The index after the ``$(...)`` or backticks starting at ``i`` (quotes, escapes and
    parentheses inside it counted)."""
    if text[i] == "`":
        return _closing(text, i + 1, "`", "backtick") + 1
    depth, i = 1, i + 2
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == "'":
            i = _closing(text, i + 1, "'", "quotation") + 1
            continue
        if c == '"':
            i = _double_quoted(text, i + 1, [])
            continue
        depth += {"(": 1, ")": -1}.get(c, 0)
        i += 1
        if depth == 0:
            return i
    raise ValueError("No closing parenthesis of $(")
