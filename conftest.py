"""Project-wide pytest plugins: the real S3 server fixtures (moto, SeaweedFS) for every test module, and the
``network`` marker (tests/network.py)."""

pytest_plugins = ["tests.s3servers", "tests.network"]
