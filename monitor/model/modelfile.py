"""Reading a model file without trusting it, and writing one so that a reader never sees a
half-written or unloadable model (`write`): a skops archive (a zip) of one dict whose
values are JSON strings and numpy arrays (.npy members).

Read with json and numpy (no pickle: allow_pickle=False), not with skops.io.load: importing
skops imports scikit-learn, ~95 MB in every process that scores, for a format this simple.
tests/test_classify.py checks the result equals skops.io.load's.

Nothing is decompressed before it is measured: the file's size on disk, every member's
unpacked size (from the zip directory: zipfile never yields more than a member declares,
and fails on a member whose data says otherwise), the schema's size, and each array's
shape and dtype (from its .npy header, ~128 bytes read) are checked against the caps in
limits.py and against what the caller expects (`check`, e.g. the topic count in the
metadata) before any array is read. A zip bomb (1.6 MB holding a 1 GiB array) is refused
in milliseconds, where reading it took 23.9 GB and an OOM kill.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import json
import os
import shutil
import tempfile
import weakref
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from monitor import limits
from monitor.errors import InputError, ModelError

TRUSTED = ["builtins.dict", "builtins.list", "builtins.str", "numpy.ndarray", "numpy.dtype"]
"""The only types a model file may hold (checked in its schema before it is read): plain
containers and arrays. Tests read it with skops trusting exactly these."""

SCHEMA = "schema.json"


@dataclass(frozen=True, slots=True)
class Limits:
    """How large a model file may be (bytes): on disk, unpacked in all, and its schema."""

    file: int = limits.MODEL_MAX_FILE
    unpacked: int = limits.MODEL_MAX_UNPACKED
    schema: int = limits.MODEL_MAX_SCHEMA


@dataclass(frozen=True, slots=True)
class Header:
    """An array as its .npy header describes it, before its data is read."""

    shape: tuple[int, ...]
    dtype: np.dtype[Any]


Check = Callable[[dict[str, Any], dict[str, Header]], None]
"""Given the file's JSON values and its arrays' headers, raises ValueError to refuse it."""


def read_state(path: Path, check: Check | None = None, limits: Limits = Limits(),
               arrays: bool = True, as_lists: tuple[str, ...] = ()) -> dict[str, Any]:
    """The model file's dict, each value checked before it is read; ModelError naming the
    file when it is missing, too large, unsafe or not what `check` expects. With
    `arrays=False`, only its JSON values (the arrays' headers are still checked). The
    string arrays named in `as_lists` come as lists of str, read a slice at a time."""
    if not path.is_file():
        raise ModelError(f"{path}: model file not found (run `monitor train`)")
    try:
        _check_size("the file", path.stat().st_size, limits.file)
        with zipfile.ZipFile(path) as archive:
            _check_size("its content unpacked", sum(i.file_size for i in archive.infolist()), limits.unpacked)
            _check_size(SCHEMA, archive.getinfo(SCHEMA).file_size, limits.schema)
            content = _content(json.loads(archive.read(SCHEMA)))
            values = {key: json.loads(node["content"]) for key, node in content.items() if _is_json(key, node)}
            headers = {key: _header(archive, node["file"]) for key, node in content.items() if key not in values}
            if check is not None:
                check(values, headers)
            if not arrays:
                return values
            return values | {key: _strings(archive, content[key]["file"], key) if key in as_lists
                             else _array(archive, content[key]["file"]) for key in headers}
    except ModelError as exc:
        raise ModelError(f"{path}: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - whatever a file makes zipfile, zlib, json or numpy
        # raise is the file's: an encrypted member, a compression method zipfile lacks, corrupt
        # deflate data (zlib.error, tokenize.TokenError) were tracebacks, in `check` too
        raise ModelError(f"{path}: cannot read model file: {_one_line(exc)}") from exc


def _check_size(what: str, size: int, cap: int) -> None:
    if size > cap:
        raise ModelError(f"refusing to load: {what} is {size:,} bytes, more than the {cap:,} "
                         "a model file may hold")


def _content(schema: Any) -> dict[str, Any]:
    """The schema's top-level dict, after every type in it was found trusted.

    Stricter than skops' own check, which trusts scikit-learn estimators by default: a
    topic model holds plain containers and arrays only, so anything else is refused.
    """
    untrusted = sorted(_types_in(schema) - set(TRUSTED))
    if untrusted:
        raise ModelError(f"refusing to load, it holds untrusted types {', '.join(untrusted)}")
    if schema.get("__loader__") != "DictNode":
        raise ModelError("not a topic model (top level is not a dict)")
    return dict(schema["content"])


def _types_in(schema: Any) -> set[str]:
    """Every type a skops file would build, read from its schema without loading it."""
    found: set[str] = set()
    stack: list[Any] = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "__class__" in node:
                found.add(f"{node.get('__module__')}.{node['__class__']}")
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def _is_json(key: str, node: dict[str, Any]) -> bool:
    """True for a JSON value, False for an array; anything else is not part of a model."""
    loader = node.get("__loader__")
    if loader == "JsonNode":
        return True
    if loader == "NdArrayNode" and node.get("type") == "numpy":
        return False
    raise ValueError(f"{key}: a {loader} value is not part of a topic model")


def _header(archive: zipfile.ZipFile, name: str) -> Header:
    """An array's shape and dtype from its header, checked against the member's size:
    a header that claims more (or less) data than the member holds is a forgery."""
    with archive.open(name) as f:
        shape, dtype = _read_header(f)
        if dtype.hasobject:
            raise ValueError(f"{name}: arrays of Python objects are not part of a topic model")
        data = int(np.prod(shape, dtype=np.uint64)) * dtype.itemsize
        held = archive.getinfo(name).file_size - f.tell()
    if data != held:
        raise ValueError(f"{name}: header declares {data:,} bytes of data, the member holds {held:,}")
    return Header(shape, dtype)


def _read_header(f: IO[bytes]) -> tuple[tuple[int, ...], np.dtype[Any]]:
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        shape, _, dtype = np.lib.format.read_array_header_1_0(f)
    elif version == (2, 0):
        shape, _, dtype = np.lib.format.read_array_header_2_0(f)
    else:
        raise ValueError(f".npy format version {version} is not supported")
    return tuple(shape), dtype


def _array(archive: zipfile.ZipFile, name: str) -> np.ndarray:
    """Streamed from the member into the array (no copy of the member's bytes first)."""
    with archive.open(name) as f:
        return np.lib.format.read_array(f, allow_pickle=False)


STRING_ROWS = 8192  # rows of a string array converted at a time (see _strings)


def _strings(archive: zipfile.ZipFile, name: str, key: str) -> list[str]:
    """A 1-D string array as a list of str, converted a slice at a time: the array whole
    is fixed-width (4 bytes a character, every name as long as the longest: 14 MB for the
    word names of a four-language model) and was the peak of loading, not the strings."""
    out: list[str] = []
    with archive.open(name) as f:
        shape, dtype = _read_header(f)
        if len(shape) != 1 or dtype.kind != "U":
            raise ValueError(f"{key}: expected a 1-D array of strings, found {dtype} {shape}")
        left = shape[0]
        while left:
            rows = min(STRING_ROWS, left)
            data = f.read(rows * dtype.itemsize)
            if len(data) != rows * dtype.itemsize:
                raise ValueError(f"{key}: the member ends before its data")
            out.extend(np.frombuffer(data, dtype=dtype).tolist())
            left -= rows
    return out


def _one_line(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:300]


def write(state: dict[str, Any], out: Path, load: Callable[[Path], object]) -> int:
    """Write beside `out`, `load` the copy as the service will, and only then replace `out`
    (atomically: a reader never sees half a model): a model the loader refuses (one long
    word can widen the vocabulary past its cap) never takes the live one's place.
    Returns the size in bytes; InputError naming `out` when it cannot be written."""
    import skops.io as sio  # only training writes: skops imports scikit-learn

    data = sio.dumps(state, compression=zipfile.ZIP_DEFLATED, compresslevel=9)
    # A name of its own per run: two runs at once shared `<out>.tmp`, and one reported
    # success for the other's model
    tmp = out.with_name(f"{out.name}.{os.getpid()}.tmp")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        load(tmp)
        tmp.replace(out)
    except ModelError as exc:
        _discard(tmp)
        reason = str(exc).removeprefix(f"{tmp}: ")
        raise InputError(f"{out}: not written, the trained model would not load: {reason}") from None
    except OSError as exc:
        _discard(tmp)
        raise InputError(f"{out}: cannot write the model: {exc.strerror or exc}") from None
    return out.stat().st_size


def _discard(tmp: Path) -> None:
    with contextlib.suppress(OSError):  # the error that brought us here is the one to report
        tmp.unlink(missing_ok=True)




SNAPSHOTS = "monitor-model-"  # the copies' folder: this, the pid, a random part
_numbers = itertools.count()
_folder: list[Path] = []  # the folder they are in, made on first use


def snapshot(path: Path, owner: object, limit: int = limits.MODEL_MAX_FILE) -> Path:
    """A private copy of the model file, for worker processes to load: what they read is
    what this process checked, whatever is written at `path` later. (A worker that
    restarted read the live path: a model a reload had refused, or one half copied, took
    the place of the one in force.) At most `limit` + 1 bytes are copied: read_state
    refuses the copy past `limit`. The copy goes when `owner` (the model that names it)
    does, or at exit (a batch under way holds its model); ModelError naming `path`.

    Not by count: the newest two were kept, refused ones too, so two refused reloads
    removed the copy of the model in force, which a worker reads again whenever its own
    copy in memory is gone (the worker restarted, or it loaded the refused one)."""
    if not path.is_file():
        raise ModelError(f"{path}: model file not found (run `monitor train`)")
    if not _folder or not _folder[0].is_dir():  # (a /tmp cleaner may have taken it)
        _sweep(Path(tempfile.gettempdir()))
        _folder[:] = [Path(tempfile.mkdtemp(prefix=f"{SNAPSHOTS}{os.getpid()}-"))]
        atexit.register(shutil.rmtree, _folder[0], ignore_errors=True)
    copy = _folder[0] / f"{next(_numbers)}-{path.name}"
    try:
        with path.open("rb") as src, copy.open("wb") as dst:
            left = limit + 1
            while left and (chunk := src.read(min(left, 1 << 20))):
                dst.write(chunk)
                left -= len(chunk)
    except OSError as exc:
        _discard(copy)
        raise ModelError(f"{path}: cannot read model file: {exc.strerror or exc}") from None
    weakref.finalize(owner, _discard, copy)
    return copy


def _sweep(tmp: Path) -> None:
    """Remove the copies of processes that are gone: one killed (by the OOM killer, a
    SIGKILL) ran no exit code, and the unit's TMPDIR outlives it. A folder named with this
    process's pid is an earlier life's (this one has none yet, or lost it): a container
    restarted after a kill keeps its /tmp and gives the monitor the same pid."""
    for folder in tmp.glob(f"{SNAPSHOTS}*-*"):
        pid = folder.name.removeprefix(SNAPSHOTS).split("-")[0]
        if pid.isdigit() and (int(pid) == os.getpid() or not _alive(int(pid))):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's: alive
        return True
    return True


def metadata_of(text: str) -> dict[str, Any]:
    """The metadata; ValueError unless its tables are (a list for `cv` was a traceback in `check`)."""
    meta = json.loads(text)
    spec = meta.get("spec") if isinstance(meta, dict) else None
    cv, concepts = (x.get(k, {}) if isinstance(x, dict) else None for x, k in ((meta, "cv"), (spec, "concepts")))
    if not (isinstance(cv, dict) and all(isinstance(v, dict) for v in cv.values()) and isinstance(concepts, dict)
            and all(isinstance(v, list) for v in concepts.values())):
        raise ValueError("its metadata, spec, cv or concept lexicon is not a table as written by `monitor train`")
    return meta  # a dict: checked above
