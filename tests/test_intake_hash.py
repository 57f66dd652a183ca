"""An intake's request hash is what idempotent replays compare with the stored one: it is
taken over the flat reporter fields that earlier versions stored."""

from __future__ import annotations

import hashlib
import json

from geogrid.services.incidents import Intake, Reporter


def _flat_hash(body: dict) -> str:
    text = json.dumps(body, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def test_the_hash_is_taken_over_the_flat_reporter_fields():
    item = Intake(category="井盖", lon=121.51, lat=31.237, datum="wgs84", address="崂山路638弄1号",
                  reporter=Reporter("张三", "13800000000"), idempotency_key="k1")
    flat = {"category": "井盖", "lon": 121.51, "lat": 31.237, "datum": "wgs84", "channel": "api",
            "description": None, "address": "崂山路638弄1号", "reporter_name": "张三",
            "reporter_phone": "13800000000", "reported_at": None, "footprint": None,
            "auto_dispatch": True}
    assert item.request_hash() == _flat_hash(flat)


def test_no_reporter_hashes_as_empty_reporter_fields_and_the_key_is_left_out():
    a = Intake(category="噪声", lon=None, lat=None, datum=None, idempotency_key="a")
    b = Intake(category="噪声", lon=None, lat=None, datum=None, reporter=Reporter(),
               idempotency_key="b")
    assert a.request_hash() == b.request_hash()
    c = Intake(category="噪声", lon=None, lat=None, datum=None, reporter=Reporter(phone="1"))
    assert c.request_hash() != a.request_hash()
