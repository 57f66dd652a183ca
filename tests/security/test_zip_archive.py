"""The zip check counts the bytes an archive really inflates to, not what its headers declare."""

from __future__ import annotations

import struct
import zipfile

import pytest

from geogrid._errors import InputError, LimitExceeded
from geogrid.io import _check_archive, read_frame

DECLARED = 30 * 1024


def _lying_archive(path, real_bytes: int) -> None:
    """A deflated entry of ``real_bytes`` zeros whose headers declare 30 KB."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("roads.geojson", b"\0" * real_bytes)
    data = bytearray(path.read_bytes())
    local = data.index(b"PK\x03\x04")
    struct.pack_into("<I", data, local + 22, DECLARED)          # local header size
    central = data.index(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, DECLARED)        # central directory size
    path.write_bytes(bytes(data))


def test_lying_headers_are_not_trusted(tmp_path):
    bomb = tmp_path / "bomb.zip"
    _lying_archive(bomb, 64 * 1024**2)
    with zipfile.ZipFile(bomb) as zf:                            # the lie holds for readers
        assert zf.infolist()[0].file_size == DECLARED
    packed = bomb.stat().st_size
    assert DECLARED / packed < 200                                # the declared ratio looks benign
    with pytest.raises(LimitExceeded) as err:
        read_frame(bomb, datum="wgs84")
    assert "bomb.zip" in str(err.value) and "解压" in str(err.value)
    assert err.value.to_dict()["field"] == "path"


def test_hard_cap_on_actual_bytes_independent_of_ratio(tmp_path):
    bomb = tmp_path / "big.zip"
    _lying_archive(bomb, 3 * 1024**2)
    _check_archive(bomb, max_bytes=4 * 1024**2, max_ratio=10**9)       # under both caps
    with pytest.raises(LimitExceeded):
        _check_archive(bomb, max_bytes=2 * 1024**2, max_ratio=10**9)  # real size over the cap


def test_honest_archive_passes_and_truncated_one_is_refused(tmp_path):
    ok = tmp_path / "ok.zip"
    with zipfile.ZipFile(ok, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.txt", "网格" * 1000)
        zf.writestr("dir/b.txt", b"x" * 100)
    _check_archive(ok)
    cut = tmp_path / "cut.zip"
    cut.write_bytes(ok.read_bytes()[:40])
    with pytest.raises(InputError) as err:
        _check_archive(cut)
    assert "cut.zip" in str(err.value)
