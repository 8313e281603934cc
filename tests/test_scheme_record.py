"""A hosted scheme's record in the data dir: read back only when readable and its contracts are still on L1."""

from __future__ import annotations

import json
import logging

from contracts_spec.examples import Counter
from node.chain import Chain
from node.devaccounts import derive_dev_accounts, genesis_alloc
from node.rpc import in_process_l1
from node.schemes.timer import read_record

DEV = derive_dev_accounts(1)
LOG = logging.getLogger("l2lab.test-record")


def test_a_record_is_read_back_only_while_its_contracts_have_code(tmp_path, caplog) -> None:
    l1 = in_process_l1(Chain(genesis_alloc=genesis_alloc(DEV, 10**18)))
    address = l1.deploy(DEV[0].private_key, Counter, 1)
    record = tmp_path / "scheme.json"
    assert read_record(record, l1, ("address",), ("address",), LOG) is None  # nothing deployed yet
    record.write_text(json.dumps({"address": address, "preset": "minimal"}))
    assert read_record(record, l1, ("address", "preset"), ("address",), LOG) == {"address": address,
                                                                              "preset": "minimal"}
    record.write_text(json.dumps({"address": "0x" + "11" * 20, "preset": "minimal"}))
    assert read_record(record, l1, ("address", "preset"), ("address",), LOG) is None  # a chain started afresh
    for text in ("{not json", json.dumps({"preset": "minimal"}), json.dumps(["address"])):
        record.write_text(text)
        with caplog.at_level(logging.WARNING, logger=LOG.name):
            assert read_record(record, l1, ("address", "preset"), ("address",), LOG) is None
        assert f"ignoring unreadable {record}" in caplog.text
        caplog.clear()
