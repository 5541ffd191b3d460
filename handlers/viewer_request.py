"""Lambda@Edge viewer-request entry point. Keep it thin: the logic is imgedge.edge.viewer_request."""

from imgedge.edge import viewer_request


def handler(event, context):
    return viewer_request.handle(event)
