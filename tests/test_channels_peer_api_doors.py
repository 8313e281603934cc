"""A channel peer's own HTTP API is not an open door: foreign pages, missing tokens, exposed hosts."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from channels.http import PeerService, create_app, is_loopback
from channels.lab import ChannelLab
from channels.peer_process import main as peer_main
from node.chain import Chain
from node.rpc import in_process_l1
from primitives.secp256k1 import private_key_to_address

ETH = 10**18
KEYS = {"alice": bytes([71]) * 32, "bob": bytes([72]) * 32}
DEPLOYER = bytes([98]) * 32


@pytest.fixture
def service(tmp_path: Path):
    alloc = {private_key_to_address(k): 100 * ETH for k in [*KEYS.values(), DEPLOYER]}
    lab = ChannelLab(in_process_l1(Chain(genesis_alloc=alloc)), KEYS, DEPLOYER, tmp_path)
    svc = PeerService(lab.peers["alice"]).start()
    yield svc
    svc.stop()


def test_a_page_of_another_site_cannot_use_the_user_routes(service: PeerService) -> None:
    client = TestClient(create_app(service))
    assert client.get("/status").status_code == 200
    assert client.get("/status", headers={"Origin": "http://localhost:3000"}).status_code == 200
    foreign = client.post("/pay", content='{"to": "0x' + "11" * 20 + '", "amount": 1}',
                          headers={"Origin": "https://evil.example", "Content-Type": "text/plain"})
    assert foreign.status_code == 403 and "evil.example" in foreign.json()["detail"]


def test_with_a_token_every_user_route_needs_it(service: PeerService) -> None:
    client = TestClient(create_app(service, "s3cret"))
    assert client.get("/status").status_code == 401
    assert client.get("/status", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/status", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    before = service.call(lambda p: p.state.block_number)
    assert client.post("/open", json={"partner": "0x" + "22" * 20, "deposit": 1}).status_code == 401
    assert service.call(lambda p: p.state.block_number) == before


def test_a_peer_reachable_from_other_machines_refuses_to_start_without_a_token(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("L2LAB_PEER_TOKEN", raising=False)
    argv = ["--key", "11" * 32, "--node", "http://127.0.0.1:1", "--adjudicator", "0x" + "00" * 20,
            "--registry", "0x" + "00" * 20, "--log", str(tmp_path / "p.sqlite"), "--host", "0.0.0.0", "--port", "1"]
    assert peer_main(argv) == 2
    assert "L2LAB_PEER_TOKEN" in capsys.readouterr().err
    assert not (tmp_path / "p.sqlite").exists()
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")
