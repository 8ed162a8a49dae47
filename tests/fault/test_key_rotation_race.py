"""Concurrent rotations of one API key (two operators, or a retried script): exactly one
makes a new key, the others exit 2 and leave nothing behind; the old key keeps one
successor and works until its overlap ends."""

from __future__ import annotations

import json
import os

from support.fault import Firm, figure

ROTATORS = int(os.environ.get("HOURBRIDGE_FAULT_ROTATORS", "4"))


def test_concurrent_rotations_make_one_successor(firm: Firm) -> None:
    made = json.loads(firm.cli("keys", "create", "--role", "integration", "--name", "erp",
                               "--json").stdout)
    processes = [firm.start("keys", "rotate", made["key_id"], "--overlap", "1h", "--json")
                 for _ in range(ROTATORS)]
    outcomes = [(p.wait(timeout=120), p.communicate()) for p in processes]
    won = [json.loads(out) for code, (out, _) in outcomes if code == 0]
    lost = [err for code, (_, err) in outcomes if code != 0]
    keys = json.loads(firm.cli("keys", "list", "--json").stdout)
    old = next(k for k in keys if k["key_id"] == made["key_id"])
    successors = [k for k in keys if k["key_id"] != made["key_id"]]
    figure(f"concurrent key rotations ({firm.url.split(':')[0]}, {ROTATORS} processes): "
           f"new keys {len(successors)} refused {len(lost)}")
    assert len(won) == 1 and len(successors) == 1
    assert old["replaced_by"] == won[0]["key_id"] == successors[0]["key_id"]
    assert old["active"] and old["expires_at"] is not None
    assert all("key_not_rotatable" in err for err in lost), lost
