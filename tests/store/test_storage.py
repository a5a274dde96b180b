"""One contract suite for every blob storage backend, plus the local-only guarantees.

The S3 backend runs against moto's server mode on 127.0.0.1 (a real HTTP S3 API in a
thread), started once per session; every test gets a fresh bucket.
"""

from __future__ import annotations

import itertools
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from jobdock.storage import (
    InvalidKey,
    LocalStorage,
    S3Storage,
    Storage,
    StorageError,
    open_storage,
    validate_key,
)
from jobdock.storage.keys import validate_prefix

ACCESS_KEY = "testing-access"
SECRET_KEY = "testing-secret"
REGION = "us-east-1"

BAD_KEYS = ["", "/abs", "../x", "a/../b", "a//b", "a\\b", "a/./b", "x\x00y"]
BAD_PREFIXES = ["/", "/abs", "../x", "a/../b", "a//b", "a\\b", "a/./b", "x\x00y"]

_bucket_numbers = itertools.count(1)


# ---- fixtures ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
        if server._server is not None:  # stop() shuts down but leaves the socket open
            server._server.server_close()


@pytest.fixture(scope="session")
def s3_client(s3_endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )


@pytest.fixture
def s3_bucket(s3_client: Any) -> str:
    bucket = f"jobdock-test-{next(_bucket_numbers)}"
    s3_client.create_bucket(Bucket=bucket)
    return bucket


def make_s3(endpoint: str, bucket: str, prefix: str = "") -> S3Storage:
    return S3Storage(
        bucket,
        prefix=prefix,
        endpoint=endpoint,
        region=REGION,
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        allow_http=True,
    )


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    backend: Storage
    if request.param == "local":
        backend = LocalStorage(tmp_path / "blobs")
    else:
        endpoint = request.getfixturevalue("s3_endpoint")
        backend = make_s3(endpoint, request.getfixturevalue("s3_bucket"))
    yield backend
    backend.close()


@pytest.fixture
def local(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "blobs")


# ---- key validation ------------------------------------------------------------------


@pytest.mark.parametrize(
    "key", ["a", "a/b.json", "documents/u1/d1/stage-chunking.json", ".hidden", "a..b", "é/ü"]
)
def test_validate_key_accepts_relative_keys(key: str) -> None:
    assert validate_key(key) == key


@pytest.mark.parametrize("key", [*BAD_KEYS, "a/", "x\ny", "a/.tmp-1", "k" * 1025])
def test_validate_key_rejects_unsafe_keys(key: str) -> None:
    with pytest.raises(InvalidKey):
        validate_key(key)


def test_validate_key_allows_the_maximum_length() -> None:
    assert validate_key("k" * 1024) == "k" * 1024


def test_invalid_key_is_a_value_error_with_the_reason() -> None:
    with pytest.raises(ValueError, match=r"'\.\.'"):
        validate_key("a/../b")


@pytest.mark.parametrize("prefix", ["", "a", "a/", "a/b/"])
def test_validate_prefix_accepts_empty_and_trailing_slash(prefix: str) -> None:
    assert validate_prefix(prefix) == prefix


@pytest.mark.parametrize("prefix", BAD_PREFIXES)
def test_validate_prefix_rejects_unsafe_prefixes(prefix: str) -> None:
    with pytest.raises(InvalidKey):
        validate_prefix(prefix)


# ---- the contract, on every backend --------------------------------------------------


def test_backend_satisfies_the_protocol(storage: Storage) -> None:
    assert isinstance(storage, Storage)
    assert storage.url


def test_put_get_round_trip(storage: Storage) -> None:
    storage.put("documents/u1/d1/chunks.json", b'{"chunks": []}')
    assert storage.get("documents/u1/d1/chunks.json") == b'{"chunks": []}'


def test_put_overwrites(storage: Storage) -> None:
    storage.put("k", b"old")
    storage.put("k", b"new")
    assert storage.get("k") == b"new"
    assert storage.list("") == ["k"]


def test_get_missing_returns_none(storage: Storage) -> None:
    assert storage.get("missing") is None
    assert storage.get("missing/deeper") is None


def test_binary_data_round_trip(storage: Storage) -> None:
    data = bytes(range(256)) * 64 + b"\x00\r\n\xff"
    storage.put("bin/blob.dat", data)
    assert storage.get("bin/blob.dat") == data


def test_empty_blob_round_trip(storage: Storage) -> None:
    storage.put("empty", b"")
    assert storage.get("empty") == b""
    assert storage.exists("empty")
    assert storage.size("empty") == 0


def test_put_stream_writes_the_pieces_in_order(storage: Storage) -> None:
    # 12 MB in 1 MB pieces: more than one 5 MB part of an S3 multipart upload
    pieces = [bytes([i]) * 1_000_000 for i in range(12)]
    storage.put_stream("big/chunks.json", iter(pieces))
    assert storage.get("big/chunks.json") == b"".join(pieces)
    storage.put_stream("small", [b"a", b"", b"bc"])
    assert storage.get("small") == b"abc"
    storage.put_stream("none", [])
    assert storage.get("none") == b""


def test_put_stream_pieces_may_read_the_same_storage(storage: Storage) -> None:
    # process_document builds chunks.json from work files it reads as the upload goes
    for i in range(3):
        storage.put(f"parts/{i}", bytes([65 + i]) * 3_000_000)

    def pieces() -> Iterator[bytes]:
        for i in range(3):
            data = storage.get(f"parts/{i}")
            assert data is not None
            yield data

    storage.put_stream("joined", pieces())
    assert storage.get("joined") == b"A" * 3_000_000 + b"B" * 3_000_000 + b"C" * 3_000_000


def test_put_stream_that_fails_keeps_the_old_blob(storage: Storage) -> None:
    storage.put("k", b"old")

    def pieces() -> Iterator[bytes]:
        yield b"new, partly"
        raise RuntimeError("the producer failed")

    with pytest.raises(RuntimeError, match="the producer failed"):
        storage.put_stream("k", pieces())
    assert storage.get("k") == b"old"
    assert storage.list("") == ["k"]


def test_delete_is_idempotent(storage: Storage) -> None:
    storage.put("a/b", b"x")
    storage.delete("a/b")
    storage.delete("a/b")
    storage.delete("never/existed")
    assert storage.get("a/b") is None
    assert storage.list("") == []


def test_delete_many_removes_given_keys_and_ignores_missing(storage: Storage) -> None:
    for key in ("a/1", "a/2", "b/1"):
        storage.put(key, b"x")
    count = storage.delete_many(["a/1", "a/2", "a/1", "missing"])
    assert count == 3  # distinct keys processed, whether or not they existed
    assert storage.list("") == ["b/1"]
    assert storage.delete_many(["a/1", "a/2"]) == 2
    assert storage.delete_many([]) == 0


def test_delete_many_validates_every_key_before_deleting_any(storage: Storage) -> None:
    storage.put("keep", b"x")
    with pytest.raises(InvalidKey):
        storage.delete_many(["keep", "../escape"])
    assert storage.get("keep") == b"x"


def test_list_is_recursive_sorted_and_scoped_to_the_prefix(storage: Storage) -> None:
    for key in ("a/z", "a/b/y", "a/b/c/x", "ab/other", "b/q", "top"):
        storage.put(key, b"x")
    assert storage.list("a") == ["a/b/c/x", "a/b/y", "a/z"]
    assert storage.list("a/") == ["a/b/c/x", "a/b/y", "a/z"]
    assert storage.list("a/b") == ["a/b/c/x", "a/b/y"]
    assert storage.list("") == ["a/b/c/x", "a/b/y", "a/z", "ab/other", "b/q", "top"]
    assert storage.list("nothing") == []


def test_list_prefix_naming_a_blob_lists_nothing(storage: Storage) -> None:
    storage.put("top", b"x")
    assert storage.list("top") == []


def test_exists(storage: Storage) -> None:
    storage.put("a/b", b"x")
    assert storage.exists("a/b")
    assert not storage.exists("a/c")
    assert not storage.exists("a")  # a "directory" is not a blob


def test_size(storage: Storage) -> None:
    storage.put("a/b", b"12345")
    assert storage.size("a/b") == 5
    assert storage.size("missing") is None
    assert storage.size("a") is None


_METHODS: dict[str, Callable[[Storage, str], object]] = {
    "put": lambda s, k: s.put(k, b"x"),
    "get": lambda s, k: s.get(k),
    "delete": lambda s, k: s.delete(k),
    "delete_many": lambda s, k: s.delete_many([k]),
    "exists": lambda s, k: s.exists(k),
    "size": lambda s, k: s.size(k),
}


@pytest.mark.parametrize("method", sorted(_METHODS))
@pytest.mark.parametrize("key", BAD_KEYS, ids=repr)
def test_invalid_keys_are_rejected_by_every_method(storage: Storage, method: str, key: str) -> None:
    with pytest.raises(InvalidKey):
        _METHODS[method](storage, key)
    assert storage.list("") == []


@pytest.mark.parametrize("prefix", BAD_PREFIXES, ids=repr)
def test_list_rejects_invalid_prefixes(storage: Storage, prefix: str) -> None:
    with pytest.raises(InvalidKey):
        storage.list(prefix)


# ---- local files: atomicity and confinement ------------------------------------------


def _files_on_disk(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_local_crash_before_rename_keeps_old_content(
    local: LocalStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    local.put("docs/chunks.json", b"old")

    def crash(src: object, dst: object) -> None:
        raise OSError("simulated crash before rename")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(StorageError, match="simulated crash"):
        local.put("docs/chunks.json", b"new, half written")
    monkeypatch.undo()

    assert local.get("docs/chunks.json") == b"old"
    assert local.list("") == ["docs/chunks.json"]
    assert _files_on_disk(local.root) == ["docs/chunks.json"]  # temp file cleaned up


def test_local_temp_file_left_by_a_killed_writer_is_not_listed(local: LocalStorage) -> None:
    local.put("docs/chunks.json", b"old")
    (local.root / "docs" / ".tmp-killed-writer").write_bytes(b"torn")
    assert local.list("") == ["docs/chunks.json"]
    assert local.get("docs/chunks.json") == b"old"


def test_local_put_fsyncs_file_and_directory(
    local: LocalStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[int] = []
    real_fsync = os.fsync

    def spy(fd: int) -> None:
        synced.append(os.fstat(fd).st_mode)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spy)
    local.put("a/b", b"x")
    kinds = {"file" if stat.S_ISREG(mode) else "dir" for mode in synced}
    assert kinds == {"file", "dir"}


def test_local_symlinked_directory_pointing_outside_root_is_refused(
    local: LocalStorage, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_bytes(b"secret")
    (local.root / "link").symlink_to(outside, target_is_directory=True)

    with pytest.raises(InvalidKey, match="escapes"):
        local.put("link/planted", b"x")
    with pytest.raises(InvalidKey, match="escapes"):
        local.get("link/secret")
    with pytest.raises(InvalidKey, match="escapes"):
        local.list("link")
    assert sorted(p.name for p in outside.iterdir()) == ["secret"]


def test_local_symlinked_file_pointing_outside_root_is_refused(
    local: LocalStorage, tmp_path: Path
) -> None:
    secret = tmp_path / "secret"
    secret.write_bytes(b"secret")
    (local.root / "innocent").symlink_to(secret)
    with pytest.raises(InvalidKey):
        local.get("innocent")
    with pytest.raises(InvalidKey):
        local.put("innocent", b"overwrite")
    assert secret.read_bytes() == b"secret"


def test_local_delete_removes_empty_parents_but_not_the_root(local: LocalStorage) -> None:
    local.put("a/b/c/x", b"1")
    local.put("a/y", b"2")
    local.delete("a/b/c/x")
    assert not (local.root / "a" / "b").exists()
    assert (local.root / "a" / "y").is_file()
    local.delete("a/y")
    assert local.root.is_dir()
    assert list(local.root.iterdir()) == []


def test_local_creates_its_root(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "deep" / "root")
    assert storage.root.is_dir()
    assert storage.url == storage.root.as_uri()


# ---- S3 specifics --------------------------------------------------------------------


def test_s3_prefixes_isolate_storages_in_one_bucket(s3_endpoint: str, s3_bucket: str) -> None:
    one = make_s3(s3_endpoint, s3_bucket, prefix="tenant-1")
    two = make_s3(s3_endpoint, s3_bucket, prefix="tenant-2/")
    one.put("k", b"1")
    two.put("k", b"2")
    assert (one.get("k"), two.get("k")) == (b"1", b"2")
    assert one.list("") == ["k"]
    whole = make_s3(s3_endpoint, s3_bucket)
    assert whole.list("") == ["tenant-1/k", "tenant-2/k"]


def test_s3_plain_http_endpoint_needs_allow_http() -> None:
    with pytest.raises(StorageError, match="allow_http"):
        S3Storage("bucket", endpoint="http://127.0.0.1:9")


# ---- open_storage --------------------------------------------------------------------


def test_open_storage_plain_path_is_local(tmp_path: Path) -> None:
    storage = open_storage(str(tmp_path / "blobs"))
    assert isinstance(storage, LocalStorage)
    assert storage.root == (tmp_path / "blobs").resolve()


def test_open_storage_file_url_is_local(tmp_path: Path) -> None:
    storage = open_storage((tmp_path / "blobs").as_uri())
    assert isinstance(storage, LocalStorage)
    assert storage.root == (tmp_path / "blobs").resolve()


def test_open_storage_rejects_file_url_with_a_host() -> None:
    with pytest.raises(StorageError, match="file:///"):
        open_storage("file://server/share")


def test_open_storage_s3_url_with_env_credentials(
    s3_endpoint: str, s3_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    url = f"s3://{s3_bucket}/jobs/blobs?endpoint={s3_endpoint}&region={REGION}&allow_http=true"
    storage = open_storage(url)
    assert isinstance(storage, S3Storage)
    storage.put("k", b"v")
    assert make_s3(s3_endpoint, s3_bucket).get("jobs/blobs/k") == b"v"
    assert SECRET_KEY not in storage.url


def test_open_storage_s3_url_with_query_credentials(
    s3_endpoint: str, s3_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    storage = open_storage(
        f"s3://{s3_bucket}?endpoint={s3_endpoint}&allow_http=1"
        f"&access_key={ACCESS_KEY}&secret_key={SECRET_KEY}"
    )
    storage.put("k", b"v")
    assert storage.get("k") == b"v"
    assert SECRET_KEY not in storage.url


def test_open_storage_unknown_scheme_lists_supported_ones() -> None:
    with pytest.raises(StorageError, match=r"supported: .*file:///.*s3://") as info:
        open_storage("ftp://example/blobs")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "url",
    [
        "s3://bucket?endpont=http://x",  # typo: unknown parameter
        "s3://bucket?allow_http=maybe",
        "s3://bucket?region=a&region=b",
        "s3://?region=us-east-1",  # no bucket
    ],
)
def test_open_storage_rejects_malformed_s3_urls(url: str) -> None:
    with pytest.raises(StorageError):
        open_storage(url)
