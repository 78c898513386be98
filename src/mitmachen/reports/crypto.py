"""The reporting channel's cryptography, on PyNaCl (libsodium). Pure functions, no database.

Keys (decision 0020):
- an officer's key pair (Curve25519); the private key is sealed with a key derived from the
  officer's passphrase by Argon2id, so the database holds nothing that opens it;
- a report key per report, random; the server stores it only wrapped (a sealed box) for each
  officer who may read the report, and wrapped with a key derived from the reporter's receipt;
- a shredding key per report, kept outside the database (`keystore`); the key that encrypts
  the report's content is derived from both, so a database backup alone never decrypts a
  report, and deleting the shredding key makes every copy of the report unreadable.
"""

from __future__ import annotations

import base64
import hashlib
import secrets

import nacl.exceptions
import nacl.pwhash
import nacl.secret
import nacl.utils
from nacl.public import PrivateKey, PublicKey, SealedBox

KEY_SIZE = nacl.secret.SecretBox.KEY_SIZE
# Interactive limits (64 MiB, ~0.1 s): an officer unlocks once per session, not per request.
OPSLIMIT = nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE
MEMLIMIT = nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE

# Crockford's base32 without I, L, O, U: nothing to confuse when copying it from paper.
RECEIPT_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RECEIPT_GROUPS = 5
RECEIPT_GROUP_SIZE = 4  # 20 characters × 5 bits = 100 bits of entropy


class DecryptionError(Exception):
    """A wrong passphrase, a wrong key, or data that was tampered with."""


def seal(key: bytes, plaintext: bytes) -> bytes:
    return bytes(nacl.secret.SecretBox(key).encrypt(plaintext))


def unseal(key: bytes, ciphertext: bytes) -> bytes:
    try:
        return nacl.secret.SecretBox(key).decrypt(bytes(ciphertext))
    except (nacl.exceptions.CryptoError, ValueError, TypeError) as exc:
        raise DecryptionError from exc


def random_key() -> bytes:
    return nacl.utils.random(KEY_SIZE)


# --- officers ------------------------------------------------------------------------------

def passphrase_key(passphrase: str, salt: bytes, opslimit: int, memlimit: int) -> bytes:
    return nacl.pwhash.argon2id.kdf(KEY_SIZE, passphrase.encode("utf-8"), salt,
                                    opslimit=opslimit, memlimit=memlimit)


def officer_keypair(passphrase: str) -> dict:
    """A new key pair: the public key, and the private key sealed with the passphrase."""
    private = PrivateKey.generate()
    salt = nacl.utils.random(nacl.pwhash.argon2id.SALTBYTES)
    sealed = seal(passphrase_key(passphrase, salt, OPSLIMIT, MEMLIMIT), bytes(private))
    return {"public_key": bytes(private.public_key), "sealed_private_key": sealed,
            "salt": salt, "opslimit": OPSLIMIT, "memlimit": MEMLIMIT}


def open_private_key(*, sealed_private_key: bytes, salt: bytes, opslimit: int, memlimit: int,
                     passphrase: str) -> bytes:
    """The officer's private key (raw bytes); DecryptionError for a wrong passphrase."""
    return unseal(passphrase_key(passphrase, bytes(salt), opslimit, memlimit), sealed_private_key)


def reseal_private_key(private_key: bytes, passphrase: str) -> dict:
    salt = nacl.utils.random(nacl.pwhash.argon2id.SALTBYTES)
    return {"sealed_private_key": seal(passphrase_key(passphrase, salt, OPSLIMIT, MEMLIMIT),
                                       private_key),
            "salt": salt, "opslimit": OPSLIMIT, "memlimit": MEMLIMIT}


def wrap_for(public_key: bytes, report_key: bytes) -> bytes:
    return bytes(SealedBox(PublicKey(bytes(public_key))).encrypt(report_key))


def unwrap(private_key: bytes, wrapped: bytes) -> bytes:
    try:
        return SealedBox(PrivateKey(bytes(private_key))).decrypt(bytes(wrapped))
    except (nacl.exceptions.CryptoError, ValueError, TypeError) as exc:
        raise DecryptionError from exc


def content_key(report_key: bytes, shred_key: bytes) -> bytes:
    """The key that encrypts a report's text, files and notes: needs both halves."""
    return hashlib.blake2b(report_key, key=shred_key, digest_size=KEY_SIZE,
                           person=b"mm-report-body").digest()


# --- receipts ------------------------------------------------------------------------------

def new_receipt() -> str:
    chars = "".join(secrets.choice(RECEIPT_ALPHABET)
                    for _ in range(RECEIPT_GROUPS * RECEIPT_GROUP_SIZE))
    return "-".join(chars[i:i + RECEIPT_GROUP_SIZE]
                    for i in range(0, len(chars), RECEIPT_GROUP_SIZE))


def normalise_receipt(text: str) -> str | None:
    """The receipt as typed (any case, spaces or dashes, O for 0 …) in canonical form, or None."""
    cleaned = "".join(ch for ch in str(text) if ch not in " -\t\r\n")
    # ASCII before upper(): "ß".upper() is "SS", "ﬀ" becomes "FF", so ten such characters
    # would otherwise pass as a receipt of twenty.
    if not cleaned.isascii():
        return None
    cleaned = cleaned.upper().translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))
    length = RECEIPT_GROUPS * RECEIPT_GROUP_SIZE
    if len(cleaned) != length or any(ch not in RECEIPT_ALPHABET for ch in cleaned):
        return None
    return "-".join(cleaned[i:i + RECEIPT_GROUP_SIZE] for i in range(0, length, RECEIPT_GROUP_SIZE))


def receipt_lookup(receipt: str) -> str:
    """What the database keeps to find the report: a hash, different from the receipt key."""
    return hashlib.blake2b(receipt.encode(), digest_size=32, person=b"mm-receipt-find").hexdigest()


def receipt_key(receipt: str) -> bytes:
    # 100 random bits need no slow hash: guessing is bounded by the rate limit and 2^100.
    return hashlib.blake2b(receipt.encode(), digest_size=KEY_SIZE,
                           person=b"mm-receipt-key").digest()


# --- a session's unlocked private key -------------------------------------------------------

def split_for_session(private_key: bytes) -> tuple[bytes, str]:
    """(what the server may store, what only the browser keeps): neither opens the key alone."""
    client_key = random_key()
    return seal(client_key, private_key), base64.urlsafe_b64encode(client_key).decode()


def join_from_session(stored: bytes, client_key: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(client_key.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise DecryptionError from exc
    if len(key) != KEY_SIZE:
        raise DecryptionError
    return unseal(key, stored)
