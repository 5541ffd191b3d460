"""Deployment helpers: the SAM template's loader and translator, the resolution of its conditions for one
``Mode``, the Lambda@Edge and regional rules checked on it, the packager, the generation of the bundled
``imgedge/config.json`` and the cold-start measurement (``python -m imgedge.deploy.coldstart``). Used by
``scripts/package.py`` and ``tests/deploy``; never shipped in a Lambda zip.
"""

#: Key prefix of stored variants. template.yaml scopes the origin-response role's s3:PutObject and the
#: variant-expiry lifecycle rule to ``_variants/``; the config baked into the zips must agree.
VARIANTS_PREFIX = "_variants"
