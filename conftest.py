"""Project-wide pytest plugins: the real S3 server fixtures (moto, SeaweedFS) for every test module."""

pytest_plugins = ["tests.s3servers"]
