"""The only code that knows what a CloudFront Lambda@Edge event looks like.

``viewer_request.handle`` and ``origin_response.handle`` take the event dict as AWS sends it and return
the request or response dict CloudFront expects; everything between is the plain library.
"""
