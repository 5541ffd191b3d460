"""Every ordinary mistake ends ``imgedge`` with one line on stderr, no traceback, and its own exit code;
and nothing is deleted before every step that can fail has been checked."""

from __future__ import annotations

import socket

import pytest

from imgedge.cli.exits import Exit
from imgedge.store import DirectoryStore
from tests.cli.clirun import FAKE_AWS, NO_AWS, ROOT, assert_one_line_failure, run_cli
from tests.s3servers import run_moto_server

PHOTO = ROOT / "fixtures" / "photos" / "cat.png"
VARIANT = "_variants/photos/lake.jpg/w320-q80.webp"


@pytest.fixture
def bucket(tmp_path) -> DirectoryStore:
    """A directory bucket with one original and one of its variants (what purge would delete)."""
    store = DirectoryStore(tmp_path / "bucket")
    store.put_original("photos/lake.jpg", PHOTO.read_bytes())
    store.put_new(VARIANT, b"variant", content_type="image/webp", cache_control="public", metadata={})
    return store


@pytest.fixture(scope="module")
def moto(tmp_path_factory):
    with run_moto_server(tmp_path_factory.mktemp("moto")) as server:
        yield server


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- resize -------------------------------------------------------------------------------------------------


def test_output_folder_missing(tmp_path):
    proc = run_cli("resize", str(PHOTO), "no/such/folder/out.webp", cwd=tmp_path)
    assert_one_line_failure(proc, Exit.OUTPUT, "resize", "no folder")


def test_config_key_typo(tmp_path):
    (tmp_path / "config.json").write_text('{"ladderr": [320, 640]}')
    proc = run_cli("resize", str(PHOTO), "out.webp", "--config", "config.json", cwd=tmp_path)
    assert_one_line_failure(proc, Exit.CONFIG, "resize", "unknown config keys: ladderr")
    assert not (tmp_path / "out.webp").exists()


@pytest.mark.parametrize("content, says", [(None, "no such file"), ("{not json", "not JSON"),
                                           ('{"ladder": [640, 320]}', "strictly increasing")])
def test_config_missing_unreadable_or_invalid(tmp_path, content, says):
    if content is not None:
        (tmp_path / "config.json").write_text(content)
    proc = run_cli("warm", "photos/", "--config", "config.json", cwd=tmp_path)
    assert_one_line_failure(proc, Exit.CONFIG, "warm", says)


def test_input_missing(tmp_path):
    proc = run_cli("resize", "missing.jpg", "out.jpg", cwd=tmp_path)
    assert_one_line_failure(proc, Exit.INPUT, "resize", "missing.jpg: no such file")


def test_not_an_image(tmp_path):
    (tmp_path / "notes.jpg").write_text("not an image")
    proc = run_cli("resize", "notes.jpg", "out.jpg", cwd=tmp_path)
    assert_one_line_failure(proc, Exit.IMAGE, "resize", "415")


def test_bad_query(tmp_path):
    proc = run_cli("resize", str(PHOTO), "out.jpg", "--query", "widht=320", cwd=tmp_path)
    assert_one_line_failure(proc, Exit.USAGE, "resize", "unknown parameter 'widht'")


def test_extension_contradicting_the_format(tmp_path):
    proc = run_cli("resize", str(PHOTO), "x.png", "--query", "w=64&fmt=webp", cwd=tmp_path)
    assert_one_line_failure(proc, Exit.USAGE, "resize", "webp", "png")
    assert not (tmp_path / "x.png").exists()


# -- AWS and the store --------------------------------------------------------------------------------------


def test_no_aws_credentials(tmp_path):
    proc = run_cli("warm", "photos/", "--bucket", "imgedge-originals", cwd=tmp_path, env=NO_AWS)
    assert_one_line_failure(proc, Exit.CREDENTIALS, "warm", "no AWS credentials")


def test_purge_without_credentials_deletes_nothing(bucket, tmp_path):
    proc = run_cli("purge", "photos/lake.jpg", "--root", str(bucket.root), "--distribution-id", "E2EXAMPLE",
                   cwd=tmp_path, env=NO_AWS)
    assert_one_line_failure(proc, Exit.CREDENTIALS, "purge", "no AWS credentials")
    assert (bucket.root / VARIANT).exists()


def test_endpoint_down(tmp_path):
    port = closed_port()
    proc = run_cli("warm", "photos/", "--s3-endpoint", f"http://127.0.0.1:{port}", "--bucket", "b",
                   cwd=tmp_path, env=FAKE_AWS)
    assert_one_line_failure(proc, Exit.UNREACHABLE, "warm", "did not answer")


def test_purge_with_the_local_edge_down_deletes_nothing(bucket, tmp_path):
    proc = run_cli("purge", "photos/lake.jpg", "--root", str(bucket.root),
                   "--local-edge", f"http://127.0.0.1:{closed_port()}", cwd=tmp_path)
    assert_one_line_failure(proc, Exit.UNREACHABLE, "purge", "local edge", "did not answer")
    assert (bucket.root / VARIANT).exists()


def test_bucket_missing(moto, tmp_path):
    proc = run_cli("purge", "photos/lake.jpg", "--s3-endpoint", moto.endpoint_url, "--bucket", "no-such-bucket",
                   cwd=tmp_path, env=moto.env())
    assert_one_line_failure(proc, Exit.MISSING, "purge", "bucket no-such-bucket", "does not exist")


def test_directory_bucket_missing(tmp_path):
    proc = run_cli("purge", "photos/lake.jpg", "--root", "nowhere", cwd=tmp_path)
    assert_one_line_failure(proc, Exit.MISSING, "purge", "no directory bucket")


def test_purge_of_an_unknown_distribution_deletes_nothing(moto, bucket, tmp_path):
    env = {**moto.env(), "AWS_ENDPOINT_URL_CLOUDFRONT": moto.endpoint_url}
    proc = run_cli("purge", "photos/lake.jpg", "--root", str(bucket.root), "--distribution-id", "ENOSUCHDIST",
                   cwd=tmp_path, env=env)
    assert_one_line_failure(proc, Exit.MISSING, "purge", "distribution ENOSUCHDIST does not exist")
    assert (bucket.root / VARIANT).exists()


# -- serve and sign -----------------------------------------------------------------------------------------


def test_port_in_use(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = run_cli("serve", "--port", str(port), "--root", "bucket", cwd=tmp_path)
    assert_one_line_failure(proc, Exit.PORT, "serve", f"cannot listen on 127.0.0.1:{port}")


def test_template_missing(tmp_path):
    proc = run_cli("serve", "--port", "0", "--template", "template.yaml", "--root", "bucket", cwd=tmp_path)
    assert_one_line_failure(proc, Exit.TEMPLATE, "serve", "no template at template.yaml")


def test_template_parameter_unknown(tmp_path):
    proc = run_cli("serve", "--port", "0", "--parameter", "Mood=edge", "--root", "bucket", cwd=tmp_path)
    assert_one_line_failure(proc, Exit.TEMPLATE, "serve", "unknown template parameters: Mood")


def test_sign_without_a_key(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    proc = run_cli("sign", "/photos/lake.jpg?w=640", "--config", "config.json", cwd=tmp_path)
    assert_one_line_failure(proc, Exit.NO_KEY, "sign", "no signing key")


def test_the_readme_documents_every_exit_code():
    from imgedge.cli.exits import EXIT_CODES

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for code, meaning in EXIT_CODES.items():
        assert f"| {int(code)} | {meaning} |" in readme
    assert len(set(EXIT_CODES)) == len(Exit)
