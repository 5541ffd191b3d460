"""The local edge: CloudFront + both Lambda@Edge steps + an S3 origin on one machine (``imgedge serve``)."""
