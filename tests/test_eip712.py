import copy

import pytest
from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_typed_data

from primitives import secp256k1
from primitives.eip712 import (
    Domain,
    StructHasher,
    domain_separator,
    encode_type,
    full_message,
    hash_struct,
    typed_data_digest,
)
from primitives.secp256k1 import InvalidSignature
from tests.conftest import twin_params

TWINS = twin_params("primitives._secp256k1_py", "primitives._secp256k1_c")

# The example of EIP-712 itself, with the digests the EIP publishes.
MAIL_DOMAIN = Domain(name="Ether Mail", version="1", chain_id=1,
                     verifying_contract="0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC")
MAIL_TYPES = {
    "Person": [("name", "string"), ("wallet", "address")],
    "Mail": [("from", "Person"), ("to", "Person"), ("contents", "string")],
}
MAIL = {
    "from": {"name": "Cow", "wallet": "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"},
    "to": {"name": "Bob", "wallet": "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"},
    "contents": "Hello, Bob!",
}

# A rollup transfer, signed by users and hashed by the operator in bulk.
TRANSFER_TYPES = {
    "Transfer": [("from", "address"), ("to", "address"), ("amount", "uint256"),
                 ("fee", "uint128"), ("nonce", "uint64")],
}
ALICE = (1234).to_bytes(32, "big")
BOB = (5678).to_bytes(32, "big")


def _transfer(nonce: int = 0) -> dict:
    return {"from": secp256k1.private_key_to_address(ALICE),
            "to": secp256k1.private_key_to_address(BOB),
            "amount": 10**18 + nonce, "fee": 21, "nonce": nonce}


# Every kind of member: all atomic families, dynamic bytes and string, nested
# structs, dynamic, fixed and nested arrays, arrays of structs.
KITCHEN_TYPES = {
    "Leaf": [("flag", "bool"), ("tag", "bytes4"), ("weights", "int16[]")],
    "Node": [("leaves", "Leaf[]"), ("pair", "uint8[2]"), ("owner", "address")],
    "Everything": [
        ("u8", "uint8"), ("u256", "uint256"), ("i8", "int8"), ("i256", "int256"),
        ("yes", "bool"), ("no", "bool"), ("who", "address"), ("b1", "bytes1"),
        ("b32", "bytes32"), ("blob", "bytes"), ("text", "string"), ("node", "Node"),
        ("grid", "uint32[][]"), ("names", "string[]"), ("blobs", "bytes[2]"),
    ],
}
KITCHEN = {
    "u8": 255, "u256": 2**256 - 1, "i8": -128, "i256": -(2**255), "yes": True, "no": False,
    "who": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "b1": b"\xff", "b32": bytes(range(32)),
    "blob": b"\x00\x01" * 100, "text": "naïve – ünïcode ✓", "node": {
        "leaves": [{"flag": True, "tag": b"abcd", "weights": [-1, 0, 32767]},
                   {"flag": False, "tag": b"\x00\x00\x00\x01", "weights": []}],
        "pair": [7, 9], "owner": "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"},
    "grid": [[1, 2, 3], [], [4294967295]], "names": ["", "x", "yz"],
    "blobs": [b"", b"\x01\x02\x03"],
}
KITCHEN_DOMAIN = Domain(name="Kitchen", version="2.0", chain_id=31337,
                        verifying_contract="0x00000000000000000000000000000000deadbeef",
                        salt=bytes(range(32, 64)))

CASES = [
    ("mail", MAIL_DOMAIN, MAIL_TYPES, "Mail", MAIL),
    ("transfer", Domain(name="l2lab", version="1", chain_id=1337), TRANSFER_TYPES, "Transfer",
     _transfer()),
    ("kitchen", KITCHEN_DOMAIN, KITCHEN_TYPES, "Everything", KITCHEN),
    ("node_only_chain_id", Domain(chain_id=5), KITCHEN_TYPES, "Node", KITCHEN["node"]),
]


def _eth_account_digest(domain, types, primary, message) -> bytes:
    return _hash_eip191_message(
        encode_typed_data(full_message=full_message(domain, types, primary, message)))


def test_published_eip712_vectors():
    assert encode_type(MAIL_TYPES, "Mail") == (
        "Mail(Person from,Person to,string contents)Person(string name,address wallet)")
    assert domain_separator(MAIL_DOMAIN).hex() == (
        "f2cee375fa42b42143804025fc449deafd50cc031ca257e0b194a650a912090f")
    assert hash_struct(MAIL_TYPES, "Mail", MAIL).hex() == (
        "c52c0ee5d84264471806290a3f2c4cecfc5490626bf912d01f240d7a274b371e")
    assert typed_data_digest(MAIL_DOMAIN, MAIL_TYPES, "Mail", MAIL).hex() == (
        "be609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2")


def test_dependencies_are_sorted_after_the_primary_type():
    types = {"Z": [("a", "A"), ("b", "B[]")], "B": [("x", "uint8")], "A": [("b", "B")]}
    assert encode_type(types, "Z") == "Z(A a,B[] b)A(B b)B(uint8 x)"


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_digest_matches_eth_account(case):
    _, domain, types, primary, message = case
    ours = typed_data_digest(domain, types, primary, message)
    assert ours == _eth_account_digest(domain, types, primary, message)
    hasher = StructHasher(types, primary)
    assert hasher.hash_struct(message) == hash_struct(types, primary, message)
    assert hasher.digest(domain_separator(domain), message) == ours


def test_json_form_of_types_is_accepted():
    json_types = full_message(MAIL_DOMAIN, MAIL_TYPES, "Mail", MAIL)["types"]
    del json_types["EIP712Domain"]
    assert hash_struct(json_types, "Mail", MAIL) == hash_struct(MAIL_TYPES, "Mail", MAIL)


def test_full_message_is_json_and_complete():
    import json

    doc = full_message(KITCHEN_DOMAIN, KITCHEN_TYPES, "Everything", KITCHEN)
    assert json.loads(json.dumps(doc)) == doc
    assert [f["name"] for f in doc["types"]["EIP712Domain"]] == [
        "name", "version", "chainId", "verifyingContract", "salt"]
    assert doc["domain"]["verifyingContract"] == "0x00000000000000000000000000000000DeaDBeef"
    assert doc["message"]["blob"].startswith("0x0001")


@pytest.mark.parametrize("impl", TWINS)
def test_eth_account_signatures_recover_to_the_signer(impl):
    domain = Domain(name="l2lab", version="1", chain_id=1337,
                    verifying_contract="0x000000000000000000000000000000000000beef")
    hasher = StructHasher(TRANSFER_TYPES, "Transfer")
    separator = domain_separator(domain)
    digests, signatures = [], []
    for nonce in range(3):
        message = _transfer(nonce)
        signed = Account.sign_typed_data(
            ALICE, full_message=full_message(domain, TRANSFER_TYPES, "Transfer", message))
        digest = hasher.digest(separator, message)
        assert digest == bytes(signed.message_hash)
        digests.append(digest)
        signatures.append(bytes(signed.signature))
        assert impl.recover(digest, bytes(signed.signature)) == message["from"]
    assert impl.recover_signers(digests, signatures) == [_transfer()["from"]] * 3


def test_l2lab_signature_verifies_in_eth_account():
    domain, message = CASES[1][1], _transfer(4)
    digest = typed_data_digest(domain, TRANSFER_TYPES, "Transfer", message)
    sig = secp256k1.sign(digest, ALICE)
    signable = encode_typed_data(full_message=full_message(domain, TRANSFER_TYPES, "Transfer",
                                                            message))
    assert Account.recover_message(signable, signature=sig) == message["from"]


@pytest.mark.parametrize("other", [
    Domain(name="l2lab", version="1", chain_id=1338,
           verifying_contract="0x000000000000000000000000000000000000beef"),
    Domain(name="l2lab", version="1", chain_id=1337,
           verifying_contract="0x000000000000000000000000000000000000beee"),
    Domain(name="l2lab", version="2", chain_id=1337,
           verifying_contract="0x000000000000000000000000000000000000beef"),
])
def test_signature_does_not_carry_over_to_another_domain(other):
    domain = Domain(name="l2lab", version="1", chain_id=1337,
                    verifying_contract="0x000000000000000000000000000000000000beef")
    message = _transfer()
    sig = secp256k1.sign(typed_data_digest(domain, TRANSFER_TYPES, "Transfer", message), ALICE)
    replayed = typed_data_digest(other, TRANSFER_TYPES, "Transfer", message)
    assert secp256k1.recover(replayed, sig) != message["from"]
    assert not secp256k1.verify(replayed, sig, message["from"])


def test_high_s_and_malformed_typed_data_signatures_are_rejected():
    from primitives._secp256k1_py import N

    digest = typed_data_digest(CASES[1][1], TRANSFER_TYPES, "Transfer", _transfer())
    sig = secp256k1.sign(digest, ALICE)
    s = int.from_bytes(sig[32:64], "big")
    high = sig[:32] + (N - s).to_bytes(32, "big") + bytes([55 - sig[64]])
    with pytest.raises(InvalidSignature, match="high s"):
        secp256k1.recover(digest, high)
    with pytest.raises(InvalidSignature, match="signature 1: signature must be 65 bytes"):
        secp256k1.recover_signers([digest, digest], [sig, sig[:-1]])


def _mutated(path: list, value) -> dict:
    message = copy.deepcopy(KITCHEN)
    target = message
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return message


BAD_MESSAGES = [
    (["u8"], 256, "out of range for uint8"),
    (["u256"], -1, "out of range for uint256"),
    (["i8"], 128, "out of range for int8"),
    (["u8"], True, "needs an int"),
    (["u8"], "1", "needs an int"),
    (["yes"], 1, "bool needs True or False"),
    (["who"], "0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "checksum"),
    (["who"], "0x1234", "40 hex digits"),
    (["b1"], b"", "bytes1 needs exactly 1 bytes"),
    (["b32"], "0xzz", "not valid hex"),
    (["blob"], 12, "expected bytes or 0x-hex"),
    (["text"], b"x", "string needs a str"),
    (["node", "pair"], [1, 2, 3], "uint8\\[2\\] needs 2 items"),
    (["node", "pair"], "ab", "needs a list"),
    (["node", "leaves", 0, "tag"], b"abc", "Everything.node.leaves\\[0\\].tag"),
    (["node", "owner"], KeyError, "missing field\\(s\\) owner"),
    (["node", "extra"], 1, "unexpected field\\(s\\) extra"),
    (["node"], [1], "must be a mapping"),
]


@pytest.mark.parametrize("path, value, problem", BAD_MESSAGES)
def test_bad_messages_are_rejected_on_both_paths(path, value, problem):
    message = _mutated(path, value)
    before = copy.deepcopy(message)
    with pytest.raises(ValueError, match=problem):
        hash_struct(KITCHEN_TYPES, "Everything", message)
    with pytest.raises(ValueError, match=problem):
        StructHasher(KITCHEN_TYPES, "Everything").hash_struct(message)
    with pytest.raises(ValueError, match=problem):
        full_message(KITCHEN_DOMAIN, KITCHEN_TYPES, "Everything", message)
    assert message == before


@pytest.mark.parametrize("types, primary, problem", [
    ({"A": [("x", "uint7")]}, "A", "unknown type 'uint7'"),
    ({"A": [("x", "B")]}, "A", "unknown type 'B'"),
    ({"A": [("x", "uint8"), ("x", "bool")]}, "A", "field names repeat"),
    ({"A": [("x y", "uint8")]}, "A", "not an identifier"),
    ({"uint8": [("x", "bool")]}, "uint8", "collides with an atomic type"),
    ({"A": [("x", "uint8")]}, "B", "primary type 'B' is not defined"),
    ({"EIP712Domain": [("name", "string")], "A": [("x", "uint8")]}, "A", "EIP712Domain"),
])
def test_bad_type_tables_are_rejected(types, primary, problem):
    with pytest.raises(ValueError, match=problem):
        StructHasher(types, primary)
    with pytest.raises(ValueError, match=problem):
        typed_data_digest(Domain(chain_id=1), types, primary, {"x": 1})


def test_bad_domains_and_separators_are_rejected():
    with pytest.raises(ValueError, match="out of range for uint256"):
        domain_separator(Domain(chain_id=-1))
    with pytest.raises(ValueError, match="40 hex digits"):
        domain_separator(Domain(verifying_contract="0xbeef"))
    with pytest.raises(ValueError, match="salt: bytes32"):
        domain_separator(Domain(salt=b"\x01"))
    with pytest.raises(ValueError, match="must be a Domain"):
        domain_separator({"chainId": 1})
    with pytest.raises(ValueError, match="domain separator must be 32 bytes"):
        StructHasher(TRANSFER_TYPES, "Transfer").digest(b"\x00" * 31, _transfer())


def test_recursive_types_agree_between_paths():
    types = {"Tree": [("value", "uint256"), ("children", "Tree[]")]}
    tree = {"value": 1, "children": [{"value": 2, "children": []},
                                     {"value": 3, "children": [{"value": 4, "children": []}]}]}
    assert StructHasher(types, "Tree").hash_struct(tree) == hash_struct(types, "Tree", tree)
