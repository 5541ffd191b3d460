"""Deployment helpers: the SAM template's loader and translator, the Lambda@Edge rules checked on it, and the
generation of the bundled ``imgedge/config.json``. Used by ``scripts/package.py`` and ``tests/deploy``;
never shipped in either Lambda zip.
"""

#: Key prefix of stored variants. template.yaml scopes the origin-response role's s3:PutObject and the
#: variant-expiry lifecycle rule to ``_variants/``; the config baked into the zips must agree.
VARIANTS_PREFIX = "_variants"
