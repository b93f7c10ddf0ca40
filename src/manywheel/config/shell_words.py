"""The words of an environment string (``A=1 B="two words" C=$(python -c 'print(3)')``), split
as a shell splits them.

``shlex.split`` knows quotes but not command substitution: it cut
``C=$(python -c 'print(3)')`` into three words, so a value cibuildwheel takes (its bashlex
reading of ``CIBW_ENVIRONMENT``) failed here as "'-c' is not in KEY=VALUE form". Here a
``$(...)`` or backticks stays whole and as written, quotes and all: the shell that evaluates
the value (steps/context.py ``shell_value``) reads them. Elsewhere quotes go as shlex takes
them out: single quotes keep their text, double quotes let a backslash escape ``"`` and
``\\``, and a backslash outside quotes escapes any character.
"""

from __future__ import annotations


def split(text: str) -> list[str]:
    """The words of ``text``; ValueError when a quote, backtick or ``$(`` is not closed."""
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
            word.append(text[i + 1 : end])
            i = end + 1
        elif c == '"':
            i = _double_quoted(text, i + 1, word)
        elif c == "\\":
            word.append(text[i + 1 : i + 2])
            i += 2
        elif text.startswith("$(", i) or c == "`":
            end = _substitution_end(text, i)
            word.append(text[i:end])
            i = end
        else:
            word.append(c)
            i += 1
    if started:
        words.append("".join(word))
    return words


def _closing(text: str, start: int, char: str, what: str) -> int:
    end = text.find(char, start)
    if end < 0:
        raise ValueError(f"No closing {what}")
    return end


def _double_quoted(text: str, i: int, word: list[str]) -> int:
    """Take the double-quoted text from ``i`` into ``word``; the index after its quote."""
    while i < len(text):
        c = text[i]
        if c == '"':
            return i + 1
        if c == "\\" and text[i + 1 : i + 2] in ('"', "\\"):
            word.append(text[i + 1])
            i += 2
        elif text.startswith("$(", i) or c == "`":
            end = _substitution_end(text, i)
            word.append(text[i:end])
            i = end
        else:
            word.append(c)
            i += 1
    raise ValueError("No closing quotation")


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
