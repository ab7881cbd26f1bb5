"""A tiny YAML emitter (block style) for certgate configs, plus helpers to find line numbers.

Only what the tests need: dicts, lists, str, int, float, bool, None. Strings are always double-quoted
(JSON escaping is valid YAML), so values like `10s`, `off` or `127.0.0.1:1234` keep their string type.
`Raw("...")` is emitted as written (unquoted), e.g. to write `mode: off` exactly like a user would.
"""

from __future__ import annotations

import json


class Raw(str):
    """A scalar emitted verbatim."""


def _scalar(v) -> str:
    if isinstance(v, Raw):
        return str(v)
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    raise TypeError(f"cannot emit {type(v).__name__} as a YAML scalar")


def _is_scalar(v) -> bool:
    return not isinstance(v, (dict, list, tuple))


def _emit(obj, indent: int, out: list[str]) -> None:
    pad = " " * indent
    if isinstance(obj, dict):
        for k, v in obj.items():
            if _is_scalar(v):
                out.append(f"{pad}{k}: {_scalar(v)}")
            elif not v:
                out.append(f"{pad}{k}: {'{}' if isinstance(v, dict) else '[]'}")
            else:
                out.append(f"{pad}{k}:")
                _emit(v, indent + 2, out)
    elif isinstance(obj, (list, tuple)):
        for item in obj:
            if _is_scalar(item):
                out.append(f"{pad}- {_scalar(item)}")
            elif not item:
                out.append(f"{pad}- {'{}' if isinstance(item, dict) else '[]'}")
            else:
                sub: list[str] = []
                _emit(item, indent + 2, sub)
                # put the first line of the item after "- "
                first = sub[0]
                sub[0] = pad + "- " + first[indent + 2:]
                out.extend(sub)
    else:
        out.append(pad + _scalar(obj))


def dump(obj) -> str:
    out: list[str] = []
    _emit(obj, 0, out)
    return "\n".join(out) + "\n"


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """1-based line number of the nth line containing `needle`."""
    seen = 0
    for i, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            seen += 1
            if seen == nth:
                return i
    raise ValueError(f"{needle!r} (occurrence {nth}) not found in:\n{text}")
