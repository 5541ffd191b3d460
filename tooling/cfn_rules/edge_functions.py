"""Lambda@Edge function rules: what CloudFront refuses at deploy time, which cfn-lint and SAM accept.

An edge function is one a distribution associates (or one nothing invokes, held to the edge rules); the runtime
rule covers every function, since every zip is built for the same Amazon Linux 2023 wheels.
"""

import sys
from pathlib import Path

if str(Path(__file__).resolve().parents[2]) not in sys.path:  # cfn-lint loads rule files alone, not as a package
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tooling.cfn_rules import _base  # noqa: E402

EDGE_RUNTIMES = ("python3.12", "python3.13")
VIEWER_MAX_MEMORY, VIEWER_MAX_TIMEOUT = 128, 5
#: The quota table says "same as Lambda" (10,240 MB); the CloudFront comparison table says 3,008 MB.
ORIGIN_MAX_MEMORY, ORIGIN_MAX_TIMEOUT = 3008, 30
EDGE = ("edge", "unknown")


class Runtime(_base.ProjectRule):
    id = "E9101"
    shortdesc = "runtime"
    description = ("Every function's Runtime (edge, generator or event function) is python3.12 or python3.13 "
                   "(Amazon Linux 2023; the wheels are manylinux_2_28)")

    def findings(self, model):
        for name, props in model.of_type("AWS::Lambda::Function"):
            if props.get("Runtime") not in EDGE_RUNTIMES:
                yield name, f"Runtime {props.get('Runtime')!r} is not one of {', '.join(EDGE_RUNTIMES)}"


class Architecture(_base.ProjectRule):
    id = "E9102"
    shortdesc = "architecture"
    description = "Every Lambda@Edge function is x86_64 (Lambda@Edge refuses arm64)"

    def findings(self, model):
        for name, props in model.functions(*EDGE):
            architectures = props.get("Architectures", ["x86_64"])
            if architectures != ["x86_64"]:
                yield name, f"Architectures {architectures!r}: Lambda@Edge runs x86_64 only"


class NoEnvironment(_base.ProjectRule):
    id = "E9103"
    shortdesc = "no-environment"
    description = "No Lambda@Edge function sets Environment (Lambda@Edge has no environment variables)"

    def findings(self, model):
        for name, props in model.functions(*EDGE):
            if "Environment" in props:
                yield name, "Environment is set: Lambda@Edge has no environment variables"


class NoLayers(_base.ProjectRule):
    id = "E9104"
    shortdesc = "no-layers"
    description = "No Lambda@Edge function uses Layers (Lambda@Edge refuses them)"

    def findings(self, model):
        for name, props in model.functions(*EDGE):
            if props.get("Layers"):
                yield name, "Layers are set: Lambda@Edge does not support layers"


class UnsupportedFeature(_base.ProjectRule):
    id = "E9105"
    shortdesc = "unsupported-feature"
    description = ("No VPC, dead-letter queue, X-Ray tracing, ephemeral storage > 512 MB, container image, pinned "
                   "runtime management, file systems, reserved or provisioned concurrency at the edge")

    def findings(self, model):
        for name, props in model.functions(*EDGE):
            for problem in self.problems(props):
                yield name, f"{problem} is not supported by Lambda@Edge"
        for name, props in model.of_type("AWS::Lambda::Alias", "AWS::Lambda::Version"):
            if props.get("ProvisionedConcurrencyConfig"):
                yield name, "provisioned concurrency is not supported at the edge"

    @staticmethod
    def problems(props):
        if props.get("VpcConfig"):
            yield "VpcConfig"
        if props.get("DeadLetterConfig"):
            yield "DeadLetterConfig"
        if (props.get("TracingConfig") or {}).get("Mode") == "Active":
            yield "active X-Ray tracing"
        size = (props.get("EphemeralStorage") or {}).get("Size")
        if size is not None and (not str(size).isdigit() or int(size) > 512):
            yield f"EphemeralStorage {size}"
        if props.get("PackageType") == "Image" or props.get("ImageConfig"):
            yield "a container image"
        management = (props.get("RuntimeManagementConfig") or {}).get("UpdateRuntimeOn")
        if management not in (None, "Auto"):
            yield f"runtime management {management}"
        if props.get("FileSystemConfigs"):
            yield "FileSystemConfigs"
        if "ReservedConcurrentExecutions" in props:
            yield "ReservedConcurrentExecutions"


class ViewerLimits(_base.ProjectRule):
    id = "E9106"
    shortdesc = "viewer-limits"
    description = (f"Functions on viewer events have MemorySize <= {VIEWER_MAX_MEMORY} MB "
                   f"and Timeout <= {VIEWER_MAX_TIMEOUT} s")

    def findings(self, model):
        for name, props in model.functions("edge"):
            if any(event.startswith("viewer-") for event in model.edge_events[name]):
                for problem in model.over_limits(props, VIEWER_MAX_MEMORY, VIEWER_MAX_TIMEOUT):
                    yield name, problem


class OriginLimits(_base.ProjectRule):
    id = "E9107"
    shortdesc = "origin-limits"
    description = (f"Functions on origin events have Timeout <= {ORIGIN_MAX_TIMEOUT} s and MemorySize <= "
                   f"{ORIGIN_MAX_MEMORY} MB (parameters bounded by MaxValue)")

    def findings(self, model):
        for name, props in model.functions("edge"):
            if any(event.startswith("origin-") for event in model.edge_events[name]):
                for problem in model.over_limits(props, ORIGIN_MAX_MEMORY, ORIGIN_MAX_TIMEOUT):
                    yield name, problem
