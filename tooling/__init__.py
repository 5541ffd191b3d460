"""Deploy tooling, kept out of the ``imgedge`` runtime package (nothing here ships in a Lambda zip or the
wheel): the SAM translation, the packager (``bundle``), the generation of the bundled ``imgedge/config.json``
(``config_gen``), the cold-start measurement (``python -m tooling.coldstart``) and the project's cfn-lint
rules (``tooling/cfn_rules``, run by ``cfn-lint template.yaml --append-rules tooling/cfn_rules``).
"""

#: Key prefix of stored variants. template.yaml scopes the origin-response role's s3:PutObject and the
#: variant-expiry lifecycle rule to ``_variants/``; the config baked into the zips must agree.
VARIANTS_PREFIX = "_variants"
