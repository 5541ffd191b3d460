"""The local edge: CloudFront + both Lambda@Edge steps + the origins on one machine (``imgedge serve``).

* ``edge``: the CloudFront request path (viewer-request → cache → origin → origin-response), ``LocalEdge``;
  ``policies`` (cache key, forwarding, CloudFront's own headers), ``cache`` (TTLs, request collapsing) and
  ``behaviour``/``template`` (the distribution as template.yaml deploys it) feed it.
* ``origins``: the S3 origin for a store, and the origin group of a regional-mode stack.
* ``gate``: the render gate that bounds the origin side like Lambda's concurrency and timeout.
* ``server``: the HTTP front door; ``samples`` seeds the embedded bucket; ``demo`` is the page at ``/``.
"""
