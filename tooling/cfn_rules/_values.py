"""Reading CloudFormation values the way the rules need them: references, ``Fn::If`` branches, ARN text.

A rule must see every value a property can take, so ``branches`` yields both arms of an unresolved ``Fn::If``
(a condition on a parameter other than ``Mode`` stays unknown) rather than guessing one.
"""

from __future__ import annotations

import re
from typing import Any, Iterator


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def ref(value: Any) -> str | None:
    """The logical id in ``{"Ref": X}`` or ``{"Fn::GetAtt": [X, ...]}``."""
    if isinstance(value, dict) and len(value) == 1:
        if "Ref" in value and isinstance(value["Ref"], str):
            return value["Ref"]
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            if isinstance(target, str):
                target = target.split(".", 1)
            if isinstance(target, list) and target and isinstance(target[0], str):
                return target[0]
    return None


def _sub_names(item: Any) -> list[str]:
    text = item if isinstance(item, str) else (item[0] if isinstance(item, list) and item else "")
    return re.findall(r"\$\{([^}!]+)\}", str(text))


def refs_in(value: Any) -> list[str]:
    """Every logical id ``value`` references (``Ref``, ``Fn::GetAtt``, ``${X}`` in ``Fn::Sub``), nested anywhere."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str):
                found.append(item)
            elif key == "Fn::GetAtt":
                target = item.split(".", 1) if isinstance(item, str) else item
                if isinstance(target, list) and target and isinstance(target[0], str):
                    found.append(target[0])
            elif key == "Fn::Sub":
                found += [name.split(".")[0] for name in _sub_names(item)]
                if isinstance(item, list) and len(item) > 1:
                    found += refs_in(item[1])
            else:
                found += refs_in(item)
    elif isinstance(value, list):
        for item in value:
            found += refs_in(item)
    return found


def parameters_in(value: Any, parameters: Any) -> set[str]:
    """Template parameters referenced anywhere in ``value`` (``Ref`` or ``${Name}`` in ``Fn::Sub``)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str) and item in parameters:
                found.add(item)
            elif key == "Fn::Sub":
                found |= {name for name in _sub_names(item) if "." not in name and name in parameters}
                if isinstance(item, list) and len(item) > 1:
                    found |= parameters_in(item[1], parameters)
            else:
                found |= parameters_in(item, parameters)
    elif isinstance(value, list):
        for item in value:
            found |= parameters_in(item, parameters)
    return found


def branches(value: Any) -> Iterator[Any]:
    """The possible values of ``value``: both arms of ``Fn::If``, recursively; ``AWS::NoValue`` dropped."""
    if isinstance(value, dict) and list(value) == ["Fn::If"] and isinstance(value["Fn::If"], list):
        for arm in value["Fn::If"][1:3]:
            yield from branches(arm)
    elif not (isinstance(value, dict) and value.get("Ref") == "AWS::NoValue"):
        yield value


def items(value: Any) -> list[Any]:
    """The possible members of a list property: each branch's list, each member's branches."""
    found: list[Any] = []
    for branch in branches(value):
        for item in as_list(branch):
            found.extend(branches(item))
    return found


def render(value: Any) -> str:
    """A string form of an ARN expression: ``${X}`` / ``${X.Attr}`` for references, ``?`` if unknown."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        (name, arg), = value.items()
        if name == "Fn::Sub":
            return arg if isinstance(arg, str) else (arg[0] if isinstance(arg, list) and arg else "?")
        if name == "Fn::Join" and isinstance(arg, list) and len(arg) == 2:
            return str(arg[0]).join(render(part) for part in as_list(arg[1]))
        if name == "Ref":
            return "${%s}" % arg
        if name == "Fn::GetAtt":
            parts = arg.split(".", 1) if isinstance(arg, str) else arg
            return "${%s}" % ".".join(map(str, parts))
    return "?"


def statements(document: Any) -> list[dict[str, Any]]:
    """The ``Allow`` statements of a policy document."""
    return [s for s in as_list((document or {}).get("Statement") if isinstance(document, dict) else None)
            if isinstance(s, dict) and s.get("Effect") == "Allow"]
