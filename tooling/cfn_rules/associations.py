"""How distributions run functions: numbered versions of this template's functions, on valid event types,
kept and republished so CloudFront never runs $LATEST or loses its rollback target."""

import sys
from pathlib import Path

if str(Path(__file__).resolve().parents[2]) not in sys.path:  # cfn-lint loads rule files alone, not as a package
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tooling.cfn_rules import _base  # noqa: E402
from tooling.cfn_rules._model import EVENT_TYPES  # noqa: E402
from tooling.cfn_rules._values import items, parameters_in, ref  # noqa: E402


class VersionedAssociation(_base.ProjectRule):
    id = "E9111"
    shortdesc = "versioned-association"
    description = ("Every LambdaFunctionARN names a published AWS::Lambda::Version of the template (!Ref "
                   "Fn.Version), not $LATEST, an alias or !GetAtt Fn.Arn; every function is associated, unless a "
                   "Function URL or an event source of the template invokes it")

    def findings(self, model):
        for dist, event, arn, _ in model.associations:
            _, problem = model.version_target(arn)
            if problem:
                yield dist, f"{event}: {problem}"
        for name, _ in model.functions("unknown"):
            yield name, ("no distribution runs a version of this function and no Function URL or event source of "
                         "this template invokes it (its kind, hence its limits, is unknown)")


class VersionLifecycle(_base.ProjectRule):
    id = "E9112"
    shortdesc = "version-lifecycle"
    description = ("Associated versions are retained on deletion and replacement (rollback targets; replicated "
                   "versions cannot be deleted at once), and every parameter a function's properties use also "
                   "appears in its version's Description, so changing it publishes a new version instead of only "
                   "updating $LATEST, which CloudFront never runs")

    def findings(self, model):
        versions = sorted({ref(arn) for _, _, arn, _ in model.associations
                           if model.version_target(arn)[0] and not model.version_target(arn)[1]})
        for version in versions:
            resource = model.resources[version]
            for attribute in ("DeletionPolicy", "UpdateReplacePolicy"):
                if resource.get(attribute) != "Retain":
                    yield version, (f"{attribute} is not Retain: CloudFront may still run this version, and it is "
                                    "the rollback target")
            function = ref(model.props(version).get("FunctionName"))
            used = parameters_in(model.props(function), model.parameters)
            tracked = parameters_in(model.props(version).get("Description"), model.parameters)
            for name in sorted(used - tracked):
                yield version, (f"{function} uses parameter {name} but the version does not (name it in "
                                "VersionDescription): changing it would update only $LATEST")


class EventType(_base.ProjectRule):
    id = "E9113"
    shortdesc = "event-type"
    description = ("Every EventType is viewer-request, viewer-response, origin-request or origin-response, at "
                   "most one per event type and behavior, IncludeBody only on request events")

    def findings(self, model):
        for dist, behavior in model.behaviors():
            seen: set[str] = set()
            for assoc in items(behavior.get("LambdaFunctionAssociations")):
                if not isinstance(assoc, dict):
                    continue
                event = assoc.get("EventType")
                if event not in EVENT_TYPES:
                    yield dist, f"EventType {event!r} is not one of {', '.join(EVENT_TYPES)}"
                elif event in seen:
                    yield dist, f"two functions on {event} in one behavior"
                seen.add(event)
                if assoc.get("IncludeBody") in (True, "true") and event not in ("viewer-request", "origin-request"):
                    yield dist, f"IncludeBody is only valid on request events, not {event}"
