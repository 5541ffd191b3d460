"""Regional event functions (the purge): invoked by an event source of this template, never by CloudFront.

They may have environment variables and run arm64, but each service that invokes them needs a permission, and
what fails every asynchronous retry must land somewhere this template owns instead of being dropped.
"""

import sys
from pathlib import Path

if str(Path(__file__).resolve().parents[2]) not in sys.path:  # cfn-lint loads rule files alone, not as a package
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tooling.cfn_rules import _base  # noqa: E402
from tooling.cfn_rules._values import ref  # noqa: E402

LAMBDA_MAX_MEMORY, LAMBDA_MAX_TIMEOUT = 10240, 900
REGIONAL_ARCHITECTURES = (["x86_64"], ["arm64"])
#: Where an event function's failed asynchronous invocations may go, and the action its role needs there.
FAILURE_DESTINATIONS = {"AWS::SQS::Queue": "sqs:sendmessage", "AWS::SNS::Topic": "sns:publish"}


class EventFunction(_base.ProjectRule):
    id = "E9301"
    shortdesc = "event-function"
    description = ("A function invoked by an event source of this template (and by no distribution or Function "
                   "URL) runs x86_64 or arm64, MemorySize <= 10240 MB, Timeout <= 900 s (parameters bounded by "
                   "MaxValue), and each S3 notification, EventBridge rule, SNS subscription or log subscription "
                   "filter that invokes it has a Lambda permission for its service on what it invokes")

    def findings(self, model):
        grants = model.service_grants()
        for name, props in model.functions("event"):
            architectures = props.get("Architectures", ["x86_64"])
            if architectures not in REGIONAL_ARCHITECTURES:
                yield name, f"Architectures {architectures!r}: x86_64 or arm64"
            for problem in model.over_limits(props, LAMBDA_MAX_MEMORY, LAMBDA_MAX_TIMEOUT):
                yield name, problem
            for source, service, target in model.event_sources[name]:
                if service and service not in grants.get(target, set()):
                    where = f"{name} (alias {target[1]})" if target[1] else name
                    yield source, (f"invokes {where} but no AWS::Lambda::Permission lets {service} do so: the "
                                   "deployment fails (S3: 'Unable to validate the following destination "
                                   "configurations') or the events are dropped")


class EventFailure(_base.ProjectRule):
    """Polled sources (event source mappings) keep failures with the source; pushed ones need a destination."""

    id = "E9302"
    shortdesc = "event-failure"
    description = ("An event function a service invokes asynchronously (S3, EventBridge, SNS, CloudWatch Logs) has "
                   "an on-failure destination (EventInvokeConfig DestinationConfig.OnFailure or DeadLetterConfig) "
                   "that is an SQS queue or SNS topic of this template, and its role may send there (sqs:SendMessage, "
                   "sns:Publish): otherwise an event that fails Lambda's retries is dropped without a trace")

    def findings(self, model):
        for name, props in model.functions("event"):
            if not any(service for _, service, _ in model.event_sources[name]):
                continue
            targets = [(props.get("DeadLetterConfig") or {}).get("TargetArn")]
            for _, config in model.of_type("AWS::Lambda::EventInvokeConfig"):
                if model.lambda_target(config.get("FunctionName"))[0] == name:
                    targets.append(((config.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination"))
            destinations = [d for d in map(ref, targets) if model.type_of(d) in FAILURE_DESTINATIONS]
            if not destinations:
                yield name, ("invoked asynchronously without an on-failure destination (an SQS queue or SNS topic of "
                             "this template in EventInvokeConfig or DeadLetterConfig): an event that fails every "
                             "retry is dropped")
                continue
            role = ref(props.get("Role")) or ""
            for destination in destinations:
                action = FAILURE_DESTINATIONS[model.type_of(destination)]
                if not model.role_allows(role, action, destination):
                    yield name, (f"its role is not allowed {action} on {destination}: the failed events would be "
                                 "lost (SAM adds no permission to an explicit role)")
