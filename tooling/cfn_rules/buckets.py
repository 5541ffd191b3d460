"""The images bucket stays private: only CloudFront reads it, and only for this template's distribution."""

import sys
from pathlib import Path

if str(Path(__file__).resolve().parents[2]) not in sys.path:  # cfn-lint loads rule files alone, not as a package
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tooling.cfn_rules import _base  # noqa: E402
from tooling.cfn_rules._model import CLOUDFRONT_PRINCIPAL  # noqa: E402
from tooling.cfn_rules._values import as_list, render, statements  # noqa: E402

CLOUDFRONT_READ_ACTIONS = ("s3:getobject", "s3:listbucket")


class BucketPrivate(_base.ProjectRule):
    id = "E9501"
    shortdesc = "bucket-private"
    description = ("Every bucket blocks public access (all four settings true), has no public ACL or website and has "
                   "default encryption")

    def findings(self, model):
        for name, props in model.of_type("AWS::S3::Bucket"):
            block = props.get("PublicAccessBlockConfiguration") or {}
            for setting in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"):
                if block.get(setting) not in (True, "true"):
                    yield name, f"PublicAccessBlockConfiguration.{setting} is not true"
            if props.get("AccessControl") in ("PublicRead", "PublicReadWrite", "AuthenticatedRead"):
                yield name, f"AccessControl {props['AccessControl']} is public"
            if props.get("WebsiteConfiguration"):
                yield name, "WebsiteConfiguration serves the bucket publicly"
            if not (props.get("BucketEncryption") or {}).get("ServerSideEncryptionConfiguration"):
                yield name, "BucketEncryption is not configured"


class BucketPolicy(_base.ProjectRule):
    id = "E9502"
    shortdesc = "bucket-policy"
    description = ("Bucket policies allow nobody publicly; CloudFront's service principal only reads (s3:GetObject, "
                   "s3:ListBucket) and only for this account's distribution (AWS:SourceArn)")

    def findings(self, model):
        for name, props in model.of_type("AWS::S3::BucketPolicy"):
            for statement in statements(props.get("PolicyDocument")):
                principal = statement.get("Principal")
                if principal == "*" or "NotPrincipal" in statement:
                    yield name, "Allow to every principal"
                    continue
                principal = principal if isinstance(principal, dict) else {}
                if "*" in as_list(principal.get("AWS")):
                    yield name, "Allow to every AWS principal"
                if CLOUDFRONT_PRINCIPAL in as_list(principal.get("Service")):
                    yield from self.cloudfront(name, statement)

    @staticmethod
    def cloudfront(name, statement):
        actions = [str(a).lower() for a in as_list(statement.get("Action"))]
        extra = [a for a in actions if a not in CLOUDFRONT_READ_ACTIONS]
        if extra or "NotAction" in statement:
            yield name, f"CloudFront may only read, not {extra or 'NotAction'}"
        scoped = any(isinstance(block, dict) and "AWS:SourceArn" in block
                     and ":distribution/" in render(block["AWS:SourceArn"])
                     for op, block in (statement.get("Condition") or {}).items()
                     if op in ("StringEquals", "ArnEquals", "StringLike", "ArnLike"))
        if not scoped:
            yield name, ("CloudFront access is not scoped by AWS:SourceArn to a distribution: any distribution could "
                         "read the bucket")
