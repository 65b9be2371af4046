"""Hostile model files: a zip bomb, headers that lie, arrays that do not fit the metadata.

The model file is a skops archive (a zip). Each is refused from the zip directory and the
.npy headers, before anything large is decompressed, with one line naming the file.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from monitor.errors import ModelError
from monitor.model.classify import Classifier
from monitor.model.modelfile import Limits, read_state
from tests.conftest import MODEL, ROOT

GIB = 1 << 30


def rewrite(dest: Path, key: str, write: Callable[[zipfile.ZipFile, str], None]) -> Path:
    """A copy of the shipped model whose array `key` is written by `write(archive, member)`."""
    with zipfile.ZipFile(MODEL) as src, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out:
        member = json.loads(src.read("schema.json"))["content"][key]["file"]
        for info in src.infolist():
            if info.filename != member:
                out.writestr(info.filename, src.read(info))
        write(out, member)
    return dest


def zeros(shape: tuple[int, ...], dtype: str = "<f4") -> Callable[[zipfile.ZipFile, str], None]:
    """Writes a .npy of zeros of this shape, streamed (a GiB compresses to ~5 MB)."""
    def write(out: zipfile.ZipFile, member: str) -> None:
        size = int(np.prod(shape)) * np.dtype(dtype).itemsize
        with out.open(member, "w", force_zip64=True) as f:
            np.lib.format.write_array_header_1_0(f, {"descr": dtype, "fortran_order": False, "shape": shape})
            for start in range(0, size, 1 << 20):
                f.write(bytes(min(1 << 20, size - start)))
    return write


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The model with its weights replaced by a 1 GiB array of zeros: ~5 MB on disk."""
    return rewrite(tmp_path_factory.mktemp("bomb") / "bomb.skops", "coef", zeros((4, GIB // 16)))


def _limit_memory() -> None:
    # 1 GiB of address space: `monitor check` on the real model needs ~0.6 GiB; reading
    # the bomb needs more than 2 (before the fix: MemoryError and a traceback here, and
    # 23.9 GB and an OOM kill after 123 s without the limit, for the bomb).
    resource.setrlimit(resource.RLIMIT_AS, (GIB, GIB))


@pytest.mark.slow
def test_check_refuses_a_zip_bomb_model_in_one_line(bomb: Path, make_settings) -> None:
    """Attack: a 5 MB model file holding a 1 GiB array, given to `monitor check`."""
    path = make_settings({})
    path.write_text(path.read_text().replace(f'model = "{MODEL}"', f'model = "{bomb}"'))
    proc = subprocess.run([sys.executable, "-m", "monitor.cli", "--settings", str(path), "check"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60, preexec_fn=_limit_memory)
    assert proc.returncode == 1, proc.stderr
    model_lines = [line for line in proc.stdout.splitlines() if line.startswith("model:")]
    assert len(model_lines) == 1
    assert model_lines[0].startswith(f"model: {bomb}: refusing to load: its content unpacked is 1,0")
    assert model_lines[0].endswith("bytes, more than the 100,000,000 a model file may hold")
    assert proc.stderr == ""  # no traceback


@pytest.mark.slow
def test_a_zip_bomb_model_is_refused_in_under_a_second(bomb: Path) -> None:
    """Attack: the same bomb loaded by the service (run, reload): refused before reading."""
    started = time.perf_counter()
    with pytest.raises(ModelError, match="refusing to load: its content unpacked is"):
        Classifier.load(bomb)
    # Measured 0.6 ms (the zip directory is read, nothing is decompressed); 1 s leaves a
    # wide margin for a loaded machine running 4 test processes on 2 cores.
    assert time.perf_counter() - started < 1.0


def test_an_array_header_that_lies_about_its_size_is_refused(tmp_path: Path) -> None:
    """Attack: a .npy header claiming a 1 GiB array over a few bytes of data (numpy would
    allocate the array before finding the data short)."""
    def lying(out: zipfile.ZipFile, member: str) -> None:
        with out.open(member, "w") as f:
            np.lib.format.write_array_header_1_0(f, {"descr": "<f4", "fortran_order": False,
                                                     "shape": (4, GIB // 16)})
            f.write(bytes(64))
    path = rewrite(tmp_path / "lying.skops", "coef", lying)
    with pytest.raises(ModelError) as err:
        Classifier.load(path)
    assert str(err.value).startswith(f"{path}: cannot read model file: ")
    assert "header declares 1,073,741,824 bytes of data, the member holds 64" in str(err.value)


def test_arrays_that_do_not_fit_the_metadata_are_refused_before_reading(tmp_path: Path) -> None:
    """Attack: weights for 40 topics where the metadata names 4 (within the size caps)."""
    features = read_state(MODEL)["coef"].shape[1]  # of the shipped model, whatever it is
    path = rewrite(tmp_path / "wide.skops", "coef", zeros((40, features)))
    with pytest.raises(ModelError) as err:
        Classifier.load(path)
    assert str(err.value) == (f"{path}: not a valid topic model: coef has shape (40, {features}), "
                              f"expected (4, {features})")


def test_object_arrays_and_large_schemas_are_refused(tmp_path: Path) -> None:
    """Attack: an array of Python objects (pickle inside .npy); a schema too large to parse."""
    path = rewrite(tmp_path / "objects.skops", "floors", zeros((2,), "|O"))
    with pytest.raises(ModelError, match="arrays of Python objects are not part of a topic model"):
        Classifier.load(path)
    with pytest.raises(ModelError, match=r"refusing to load: schema.json is \d+,\d{3} bytes, more than the 1,000"):
        read_state(MODEL, limits=Limits(schema=1000))
    with pytest.raises(ModelError, match=r"refusing to load: the file is [\d,]+ bytes"):
        read_state(MODEL, limits=Limits(file=1000))


def test_feature_names_that_are_not_strings_are_refused_in_one_line(tmp_path: Path) -> None:
    """Attack: the word names as numbers, as many as the weights expect (so every shape
    check passes): the names are read a slice at a time as strings, and numbers are refused."""
    words = read_state(MODEL)["word_idf"].shape[0]
    path = rewrite(tmp_path / "numbers.skops", "word_names", zeros((words,), "<f8"))
    with pytest.raises(ModelError) as err:
        Classifier.load(path)
    assert str(err.value) == (f"{path}: cannot read model file: word_names: expected a 1-D "
                              f"array of strings, found float64 ({words},)")


def _variant(tmp_path: Path, name: str, change: Callable[[dict], None]) -> Path:
    import skops.io as sio

    state = read_state(MODEL)
    change(state)
    path = tmp_path / f"{name}.skops"
    path.write_bytes(sio.dumps(state, compression=zipfile.ZIP_DEFLATED))
    return path


def _meta(edit: Callable[[dict], None]) -> Callable[[dict], None]:
    def change(state: dict) -> None:
        meta = json.loads(str(state["metadata"]))
        edit(meta)
        state["metadata"] = json.dumps(meta)
    return change


def _set(key: str, make: Callable[[np.ndarray], np.ndarray]) -> Callable[[dict], None]:
    def change(state: dict) -> None:
        state[key] = make(state[key])
    return change


@pytest.mark.parametrize(("name", "change", "reason"), [
    # NaN scored every text NaN, which is under no threshold: every item alerted on every topic
    ("nan_coef", _set("coef", lambda a: np.full_like(a, np.nan)), "coef holds values that are not finite numbers"),
    ("inf_intercept", _set("intercept", lambda a: np.full_like(a, np.inf)), "intercept holds values that are not"),
    ("nan_floors", _set("floors", lambda a: np.array([np.nan, -1.0])), "floors holds values that are not finite"),
    # a text intercept loaded, then failed every score; no version was a KeyError's traceback
    ("str_intercept", _set("intercept", lambda a: a.astype(str)), "intercept holds <U"),
    ("no_version", _meta(lambda m: m.pop("version")), "'version'"),
    # 3,000-character n-grams took 5.9 GB to score one long word
    ("char_ngrams", _meta(lambda m: m["spec"].update(char_ngrams=[3, 3000])), "character n-grams (3, 3000)"),
])
def test_weights_that_are_no_numbers_and_a_hostile_spec_are_refused(tmp_path: Path, name: str,
                                                                    change: Callable[[dict], None],
                                                                    reason: str) -> None:
    path = _variant(tmp_path, name, change)
    with pytest.raises(ModelError) as err:
        Classifier.load(path)
    assert str(err.value).startswith(f"{path}: ") and reason in str(err.value), str(err.value)
    assert "\n" not in str(err.value)


def _zip_flags(tmp_path: Path, name: str, edit: Callable[[bytearray, int, int], None]) -> Path:
    """A copy of the shipped model with its first array member's headers edited as bytes:
    `edit(data, local header offset, central directory entry offset)`."""
    data = bytearray(MODEL.read_bytes())
    with zipfile.ZipFile(MODEL) as archive:
        info = next(i for i in archive.infolist() if i.filename.endswith(".npy"))
    central = data.index(b"PK\x01\x02")
    while data[central + 46:central + 46 + len(info.filename)] != info.filename.encode():
        central = data.index(b"PK\x01\x02", central + 4)
    edit(data, info.header_offset, central)
    path = tmp_path / f"{name}.skops"
    path.write_bytes(bytes(data))
    return path


def _encrypted(data: bytearray, local: int, central: int) -> None:
    data[local + 6] |= 0x01  # general purpose flag: encrypted
    data[central + 8] |= 0x01


def _unknown_method(data: bytearray, local: int, central: int) -> None:
    data[local + 8:local + 10] = data[central + 10:central + 12] = (99).to_bytes(2, "little")


def _corrupt_deflate(data: bytearray, local: int, central: int) -> None:
    name_len = int.from_bytes(data[local + 26:local + 28], "little")
    extra_len = int.from_bytes(data[local + 28:local + 30], "little")
    body = local + 30 + name_len + extra_len
    data[body:body + 64] = bytes(range(64))  # the member's deflate stream, scrambled


@pytest.mark.parametrize(("name", "edit"), [("encrypted", _encrypted), ("method", _unknown_method),
                                            ("deflate", _corrupt_deflate)])
def test_a_corrupt_archive_is_one_line_naming_the_file(tmp_path: Path, name: str,
                                                        edit: Callable[[bytearray, int, int], None]) -> None:
    """Fault: an encrypted member (RuntimeError), an unknown compression (NotImplementedError)
    or scrambled deflate data (zlib.error, tokenize.TokenError) raised out of the model's
    reader: a traceback from `check`, `run` and `score`."""
    path = _zip_flags(tmp_path, name, edit)
    with pytest.raises(ModelError) as err:
        Classifier.load(path)
    assert str(err.value).startswith(f"{path}: ") and "\n" not in str(err.value), str(err.value)


@pytest.mark.parametrize(("name", "change"), [
    ("cv_list", _meta(lambda m: m.update(cv=[1, 2]))),
    ("concepts_list", _meta(lambda m: m["spec"].update(concepts=["turkey"]))),
    ("cv_topic_number", _meta(lambda m: m.update(cv={"t": 3}))),
])
def test_metadata_whose_tables_are_lists_is_refused_in_one_line(tmp_path: Path, name: str,
                                                                change: Callable[[dict], None]) -> None:
    """Fault: `cv` or the concept lexicon written as a list raised an AttributeError: a
    traceback from `check` (the lazily loaded model of `run` reads the metadata alone)."""
    path = _variant(tmp_path, name, change)
    for load in (Classifier.load, Classifier.load_lazily):
        with pytest.raises(ModelError) as err:
            load(path).suggested_threshold("turkey_russia_syria")
        assert str(err.value).startswith(f"{path}: not a valid topic model") and "\n" not in str(err.value)
