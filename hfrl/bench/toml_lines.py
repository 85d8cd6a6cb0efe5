"""Line numbers of keys in a TOML text (``tomllib`` parses values but forgets where they were).

:class:`KeyLines` scans the text once, following ``[table]`` / ``[[array]]`` headers, dotted
and quoted keys, and remembers the line where each full key path is defined (for example
``("agents", "tamer", "set", "step_size")``). Keys inside one-line inline tables are found
too. Multi-line strings and arrays are skipped over, so their contents never look like keys.
"""

from __future__ import annotations

import re

_BARE = re.compile(r"[A-Za-z0-9_-]+")


def _parse_key(text: str, pos: int) -> tuple[tuple[str, ...], int] | None:
    """Parse a (dotted, possibly quoted) key starting at ``pos``; return it and the end."""
    parts: list[str] = []
    n = len(text)
    while True:
        while pos < n and text[pos] in " \t":
            pos += 1
        if pos >= n:
            return None
        ch = text[pos]
        if ch in "\"'":
            end = pos + 1
            buf = []
            while end < n and text[end] != ch:
                if ch == '"' and text[end] == "\\" and end + 1 < n:
                    buf.append(text[end + 1])
                    end += 2
                    continue
                buf.append(text[end])
                end += 1
            if end >= n:
                return None
            parts.append("".join(buf))
            pos = end + 1
        else:
            m = _BARE.match(text, pos)
            if not m:
                return None
            parts.append(m.group(0))
            pos = m.end()
        while pos < n and text[pos] in " \t":
            pos += 1
        if pos < n and text[pos] == ".":
            pos += 1
            continue
        return tuple(parts), pos


class KeyLines:
    """Where each key path of a TOML document is defined (1-based line numbers)."""

    def __init__(self, text: str) -> None:
        self.lines: dict[tuple[str, ...], int] = {}
        self.text_lines = text.splitlines()
        self._scan()

    def _record(self, path: tuple[str, ...], line: int) -> None:
        self.lines.setdefault(path, line)

    def _scan(self) -> None:
        table: tuple[str, ...] = ()
        depth = 0  # open brackets of a multi-line array
        in_ml: str | None = None  # delimiter of an open multi-line string
        for no, raw in enumerate(self.text_lines, start=1):
            line = raw
            if in_ml is not None:
                if in_ml in line:
                    line = line.split(in_ml, 1)[1]
                    in_ml = None
                else:
                    continue
            if depth > 0:
                depth += _bracket_balance(line)
                continue
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            if stripped.startswith("["):
                array = stripped.startswith("[[")
                parsed = _parse_key(stripped, 2 if array else 1)
                if parsed:
                    table = parsed[0]
                    for cut in range(1, len(table) + 1):
                        self._record(table[:cut], no)
                continue
            parsed = _parse_key(line, 0)
            if not parsed:
                continue
            key, pos = parsed
            if pos >= len(line) or line[pos] != "=":
                continue
            path = table + key
            self._record(path, no)
            value = line[pos + 1 :]
            self._scan_inline(value, path, no)
            for delim in ('"""', "'''"):
                if value.count(delim) == 1:
                    in_ml = delim
            if in_ml is None:
                depth = max(0, _bracket_balance(value))

    def _scan_inline(self, value: str, path: tuple[str, ...], no: int) -> None:
        """Record the keys of a one-line inline table ``{ a = 1, b = { c = 2 } }``."""
        value = value.strip()
        if not value.startswith("{"):
            return
        stack = [path]
        i, n = 1, len(value)
        expect_key = True
        while i < n:
            ch = value[i]
            if ch in " \t,":
                expect_key = expect_key or ch == ","
                i += 1
            elif ch == "}":
                stack.pop()
                if not stack:
                    return
                i += 1
            elif ch in "\"'" and not expect_key:
                end = value.find(ch, i + 1)
                i = n if end < 0 else end + 1
            elif expect_key:
                parsed = _parse_key(value, i)
                if not parsed:
                    return
                key, i = parsed
                self._record(stack[-1] + key, no)
                while i < n and value[i] in " \t=":
                    i += 1
                if i < n and value[i] == "{":
                    stack.append(stack[-1] + key)
                    i += 1
                else:
                    expect_key = False
            else:
                i += 1

    def line_of(self, path: tuple[str, ...], value: str | None = None) -> int | None:
        """Line of ``path``, or of its closest defined parent; None if nothing matches.

        Args:
            path: full key path.
            value: a string element of the key's value (an array item): the line of its
                first quoted occurrence at or after the key's line, if the array spans lines.
        """
        for cut in range(len(path), 0, -1):
            line = self.lines.get(tuple(path[:cut]))
            if line is None:
                continue
            if value is not None and cut == len(path):
                return self._find_value(line, value)
            return line
        return None

    def _find_value(self, start: int, value: str) -> int:
        later = sorted(v for v in self.lines.values() if v > start)
        stop = later[0] if later else len(self.text_lines) + 1
        for no in range(start, stop):
            text = self.text_lines[no - 1]
            if f'"{value}"' in text or f"'{value}'" in text:
                return no
        return start


def _bracket_balance(text: str) -> int:
    """Opened minus closed square brackets outside strings and comments."""
    balance, i, n = 0, 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "#":
            break
        if ch in "\"'":
            end = text.find(ch, i + 1)
            i = n if end < 0 else end + 1
            continue
        if ch == "[":
            balance += 1
        elif ch == "]":
            balance -= 1
        i += 1
    return balance
