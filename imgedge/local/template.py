"""Read a CloudFormation/SAM template and resolve its Conditions: the one path the local edge
(``imgedge.local.behaviour``) and the project's cfn-lint rules (``tooling/cfn_rules``) share, so the emulator
plays the distribution the rules checked.

``load_template(path)`` parses with SAM's own YAML loader (short tags such as ``!Ref X`` and ``!GetAtt A.B``
become ``{"Ref": "X"}`` / ``{"Fn::GetAtt": ["A", "B"]}``). SAM's translator is not a dependency of the runtime
package (the ``template`` extra, which the README's serve command installs): without it ``load_template``
raises ``TemplateUnreadable`` and the local edge falls back to its built-in copy of the distribution (and
says so).

``resolve_conditions(template, {"Mode": "regional"})`` returns the template CloudFormation would deploy for
those values, as far as they decide it:

* a condition is evaluated only when every parameter it reads is fixed (``Fn::Equals``, ``Fn::Not``,
  ``Fn::And``, ``Fn::Or``, ``Condition``); conditions on other parameters (or on ``AWS::Region``) stay
  unknown, and so do the ``Fn::If`` that use them, so the rules still see both of their branches;
* a resource or output whose condition is false is dropped; a known ``Fn::If`` becomes its branch; an
  ``AWS::NoValue`` that results is removed from its object or list;
* the fixed parameters are pinned (``Default`` and ``AllowedValues`` become the value), so resolving again
  changes nothing.

The local edge fixes every parameter (defaults, overrides, pseudo parameters), so nothing stays unknown there.
"""

from __future__ import annotations

import copy
import os
from typing import Any, Mapping


class TemplateUnreadable(ImportError):
    """The template cannot be parsed here: SAM's translator (the ``template`` or ``test`` extra) is missing."""


def load_template(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The template at ``path`` as CloudFormation's JSON form, parsed by SAM's own YAML loader (short tags
    become their ``Fn::`` forms, as ``sam`` and CloudFormation read them). SAM's translator rather than
    cfn-lint's decoder: the local edge needs only the parser, and cfn-lint brings ~160 MB of dependencies
    that ``imgedge serve`` has no other use for."""
    try:
        import yaml
        from samtranslator.yaml_helper import yaml_parse
    except ImportError as exc:
        raise TemplateUnreadable("reading template.yaml needs SAM's translator "
                                 "(pip install 'imgedge[template]')") from exc
    try:
        with open(path, encoding="utf-8") as fh:
            template = yaml_parse(fh.read())
    except yaml.YAMLError as exc:  # carries the line and column
        raise ValueError(f"{path}: {exc}") from exc
    if not isinstance(template, dict):
        raise ValueError(f"{path}: not a template")
    return template


_UNKNOWN = object()
_NO_VALUE = {"Ref": "AWS::NoValue"}


def resolve_conditions(template: Mapping[str, Any], parameters: Mapping[str, Any]) -> dict[str, Any]:
    resolved = copy.deepcopy(dict(template))
    fixed = {str(k): str(v) for k, v in parameters.items()}
    conditions = resolved.get("Conditions") or {}
    memo: dict[str, Any] = {}

    def condition(name: str) -> Any:
        if name not in memo:
            memo[name] = _UNKNOWN  # a cycle is unknown, not an infinite loop
            memo[name] = evaluate(conditions.get(name, _UNKNOWN))
        return memo[name]

    def operand(value: Any) -> Any:
        if isinstance(value, (str, int, float, bool)):
            return str(value).lower() if isinstance(value, bool) else str(value)
        if isinstance(value, dict) and list(value) == ["Ref"]:
            return fixed.get(value["Ref"], _UNKNOWN)
        return _UNKNOWN

    def evaluate(expr: Any) -> Any:
        if not isinstance(expr, dict) or len(expr) != 1:
            return _UNKNOWN
        (fn, args), = expr.items()
        if fn == "Condition" and isinstance(args, str):
            return condition(args)
        if fn == "Fn::Equals" and isinstance(args, list) and len(args) == 2:
            a, b = operand(args[0]), operand(args[1])
            return _UNKNOWN if _UNKNOWN in (a, b) else a == b
        if fn == "Fn::Not" and isinstance(args, list) and len(args) == 1:
            value = evaluate(args[0])
            return _UNKNOWN if value is _UNKNOWN else not value
        if fn in ("Fn::And", "Fn::Or") and isinstance(args, list):
            values = [evaluate(a) for a in args]
            decisive = fn == "Fn::Or"  # Or: any True decides; And: any False decides
            if decisive in values:
                return decisive
            return _UNKNOWN if _UNKNOWN in values else not decisive
        return _UNKNOWN

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            if list(value) == ["Fn::If"] and isinstance(value["Fn::If"], list) and len(value["Fn::If"]) == 3:
                name, then, otherwise = value["Fn::If"]
                known = condition(name) if isinstance(name, str) else _UNKNOWN
                if known is not _UNKNOWN:
                    return walk(then if known else otherwise)
                return {"Fn::If": [name, walk(then), walk(otherwise)]}
            out = {}
            for key, item in value.items():
                item = walk(item)
                if item != _NO_VALUE or key == "Fn::If":
                    out[key] = item
            return out
        if isinstance(value, list):
            return [item for item in (walk(v) for v in value) if item != _NO_VALUE]
        return value

    for section in ("Resources", "Outputs"):
        kept = {}
        for name, item in (resolved.get(section) or {}).items():
            if isinstance(item, dict) and isinstance(item.get("Condition"), str):
                known = condition(item["Condition"])
                if known is False:
                    continue
                if known is True:
                    item = {k: v for k, v in item.items() if k != "Condition"}
            kept[name] = walk(item)
        if section in resolved:
            resolved[section] = kept
    for name, value in fixed.items():
        parameter = (resolved.get("Parameters") or {}).get(name)
        if isinstance(parameter, dict):
            parameter["Default"] = value
            if "AllowedValues" in parameter:
                parameter["AllowedValues"] = [value]
    return resolved
