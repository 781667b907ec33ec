"""Signed dashboard tokens: valid, expired, forged, too far in the future; the raw admin token check."""

from __future__ import annotations

from arena.engine.access import MAX_TTL_S, check_admin_token, mint_token, verify_token

SECRET = "s3cret-admin-token"


def test_minted_token_verifies_until_it_expires() -> None:
    token = mint_token(SECRET, ttl_s=60, now=1_000_000)
    assert verify_token(SECRET, token, now=1_000_030)
    assert not verify_token(SECRET, token, now=1_000_061)


def test_wrong_secret_tampering_and_garbage_fail() -> None:
    token = mint_token(SECRET, ttl_s=60, now=1_000_000)
    assert not verify_token("other", token, now=1_000_000)
    version, expires, nonce, sig = token.split(".")
    assert not verify_token(SECRET, f"{version}.{int(expires) + 100}.{nonce}.{sig}", now=1_000_000)
    for bad in ("", "v1", "v2.1000060." + sig, "v1.abc." + sig, "v1.1000060." + sig, token + "x"):
        assert not verify_token(SECRET, bad, now=1_000_000)


def test_lifetime_is_capped() -> None:
    token = mint_token(SECRET, ttl_s=10 * MAX_TTL_S, now=1_000_000)
    assert int(token.split(".")[1]) == 1_000_000 + MAX_TTL_S
    assert not verify_token(SECRET, f"v1.{1_000_000 + 2 * MAX_TTL_S}.x", now=1_000_000)


def test_admin_token_check() -> None:
    assert check_admin_token(SECRET, SECRET)
    assert not check_admin_token(SECRET, SECRET + " ")
    assert not check_admin_token("", "")
