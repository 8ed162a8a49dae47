"""The Oracle Fusion Cloud sink against its local imitation (``support.oracle``): its own
failure modes (Oracle's message kept, a failed journal import's job log). What every cloud
ERP does alike: ``test_erp_cloud.py``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hourbridge.bootstrap import Hourbridge
from support import cloud_erp_flow as flow
from support.cloud_erp_flow import SQLITE_ONLY
from support.cloud_erps import ORACLE_FUSION
from support.oracle import Oracle


@pytest.fixture
def issued(loaded: Hourbridge, ingest: Any) -> Hourbridge:
    return flow.issue_demo(loaded, ingest)


@SQLITE_ONLY
def test_oracle_errors_keep_oracles_message_and_a_failed_import_its_job_log(
        monkeypatch: pytest.MonkeyPatch, issued: Hourbridge, tmp_path: Path) -> None:
    monkeypatch.setenv(ORACLE_FUSION.key_env, ORACLE_FUSION.secret)
    with ORACLE_FUSION.imitate() as erp:
        assert isinstance(erp, Oracle)
        erp.accounts.discard("101-4000")
        erp.types.discard("Invoice")
        flow.load_profile(issued, tmp_path, ORACLE_FUSION.profile(erp.url))
        assert flow.push(issued)["delivery"] == {"delivered": 0, "retried": 0, "dead": 4}
        errors = sorted(d["last_error"] for d in issued.queries.dead_letters())
        assert sum("TransactionType isn't valid. (AR-XXXXXX) [/receivablesInvoices/"
                   "TransactionType]" in e for e in errors) == 3
        [journal] = [e for e in errors if "journal import" in e]
        assert "ended ERROR" in journal and "EF04 The account 101-4000 is not valid" in journal
