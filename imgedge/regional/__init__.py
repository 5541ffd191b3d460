"""Regional mode: the generator as a plain HTTP application, for one regional Lambda behind a Function URL.

CloudFront reaches it through an origin group: S3 first, this generator when S3 answers 403/404 (the
variant is not stored yet). The request path is the canonical variant URI the viewer-request function
rewrote to, so cache keys and variant keys are the same in both modes.

* ``app.GeneratorApp``: ``(method, path, headers, body) -> Response(status, headers, body)``; no Lambda and
  no CloudFront in it. ``GET /<variant key>`` renders, stores and returns the variant through
  ``imgedge.generate.generate_variant``, the step the Lambda@Edge adapter and the local edge share.
* ``function_url``: the thin adapter for Function URL events (payload format 2.0, base64 bodies).
* ``settings``: the regional function's configuration from its environment variables.
* ``imgedge.local.origins.OriginGroup`` plays CloudFront's origin-group failover around it
  (``imgedge serve --mode regional``).
* ``wsgi``: the same app as a WSGI application and a stdlib server (for the Lambda Web Adapter or any host).

Importing this package (or ``app``, ``function_url``, ``settings``) loads neither Pillow nor boto3: the
handler creates its S3 client at init, and Pillow loads with the first render. The regional zip carries no
numpy (no render uses it).
"""
