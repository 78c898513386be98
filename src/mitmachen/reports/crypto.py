"""The reporting channel's cryptography, on PyNaCl (libsodium). Pure functions, no database.

Keys (decision 0020):
- an officer's key pair (Curve25519); the private key is sealed with a key derived from the
  officer's passphrase by Argon2id, so the database holds nothing that opens it;
- a report key per report, random; the server stores it only wrapped (a sealed box) for each
  officer who may read the report, and wrapped with a key derived from the reporter's receipt;
- a shredding key per report, kept outside the database (`keystore`); the key that encrypts
  the report's content is derived from both, so a database backup alone never decrypts a
  report, and deleting the shredding key makes every copy of the report unreadable;
- from the content key, one subkey per purpose (the report, a reporter's message, an officer's
  message, a case entry, a file's name, a file's bytes), and inside every sealed text the
  report's key name and the row's kind or side: someone who can write to the database cannot
  move a ciphertext to another row, another kind of row or another report and have it read
  there (an internal note shown to the reporter as a message, say).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets

import nacl.exceptions
import nacl.pwhash
import nacl.secret
import nacl.utils
from django.conf import settings
from nacl.public import PrivateKey, PublicKey, SealedBox

KEY_SIZE = nacl.secret.SecretBox.KEY_SIZE
# Argon2id costs by name (settings.REPORTS_ARGON2). "moderate" (256 MiB, about a second) is
# the default: an officer unlocks once per session, and the sealed private key is all that an
# attacker with the database needs for an offline guess at the passphrase.
ARGON2_LIMITS = {
    "interactive": (nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE,
                    nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE),
    "moderate": (nacl.pwhash.argon2id.OPSLIMIT_MODERATE, nacl.pwhash.argon2id.MEMLIMIT_MODERATE),
    "sensitive": (nacl.pwhash.argon2id.OPSLIMIT_SENSITIVE,
                  nacl.pwhash.argon2id.MEMLIMIT_SENSITIVE),
}

# One BLAKE2b personalisation (at most 16 bytes) per thing the content key encrypts.
PURPOSES = {
    "payload": b"mm-rep-payload",
    "reporter_message": b"mm-rep-msg-rep",
    "officer_message": b"mm-rep-msg-off",
    "entry": b"mm-rep-entry",
    "file_meta": b"mm-rep-file-meta",
    "file_content": b"mm-rep-file-data",
}

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


def argon2_limits() -> tuple[int, int]:
    """(opslimit, memlimit) that new seals use, from settings.REPORTS_ARGON2."""
    name = getattr(settings, "REPORTS_ARGON2", "moderate")
    try:
        return ARGON2_LIMITS[name]
    except KeyError:
        raise ValueError(f"REPORTS_ARGON2 must be one of {sorted(ARGON2_LIMITS)}") from None


def officer_keypair(passphrase: str, *, limits: tuple[int, int] | None = None) -> dict:
    """A new key pair: the public key, and the private key sealed with the passphrase."""
    private = PrivateKey.generate()
    return {"public_key": bytes(private.public_key),
            **reseal_private_key(bytes(private), passphrase, limits=limits)}


def public_key_of(private_key: bytes) -> bytes:
    try:
        return bytes(PrivateKey(bytes(private_key)).public_key)
    except (nacl.exceptions.CryptoError, ValueError, TypeError) as exc:
        raise DecryptionError from exc


def open_private_key(*, sealed_private_key: bytes, salt: bytes, opslimit: int, memlimit: int,
                     passphrase: str) -> bytes:
    """The officer's private key (raw bytes); DecryptionError for a wrong passphrase."""
    return unseal(passphrase_key(passphrase, bytes(salt), opslimit, memlimit), sealed_private_key)


def reseal_private_key(private_key: bytes, passphrase: str, *,
                       limits: tuple[int, int] | None = None) -> dict:
    """The private key sealed with the passphrase, a fresh salt and the current limits."""
    opslimit, memlimit = limits or argon2_limits()
    salt = nacl.utils.random(nacl.pwhash.argon2id.SALTBYTES)
    return {"sealed_private_key": seal(passphrase_key(passphrase, salt, opslimit, memlimit),
                                       private_key),
            "salt": salt, "opslimit": opslimit, "memlimit": memlimit}


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


def subkey(content: bytes, purpose: str) -> bytes:
    """The key for one purpose (PURPOSES): a ciphertext of one kind opens under no other."""
    return hashlib.blake2b(b"", key=bytes(content), digest_size=KEY_SIZE,
                           person=PURPOSES[purpose]).digest()


def seal_value(content: bytes, purpose: str, *, report: str, kind: str, value) -> bytes:
    """`value` (JSON) sealed under the purpose's subkey, with the report's key name and the
    row's kind inside, so that it reads back only where it was written."""
    envelope = {"r": report, "k": kind, "v": value}
    return seal(subkey(content, purpose), json.dumps(envelope, ensure_ascii=False).encode())


def open_value(content: bytes, purpose: str, blob, *, report: str, kind: str):
    """The value sealed by seal_value; DecryptionError if it belongs anywhere else."""
    plain = unseal(subkey(content, purpose), bytes(blob))
    try:
        envelope = json.loads(plain)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DecryptionError from exc
    if (not isinstance(envelope, dict) or envelope.get("r") != report
            or envelope.get("k") != kind or "v" not in envelope):
        raise DecryptionError("sealed for another place")
    return envelope["v"]


def seal_bytes(content: bytes, purpose: str, *, report: str, kind: str, data: bytes) -> bytes:
    """Bytes (a file) sealed like seal_value: a JSON header line, then the bytes as they are."""
    header = json.dumps({"r": report, "k": kind}).encode()  # ASCII: no newline inside
    return seal(subkey(content, purpose), header + b"\n" + bytes(data))


def open_bytes(content: bytes, purpose: str, blob, *, report: str, kind: str) -> bytes:
    plain = unseal(subkey(content, purpose), bytes(blob))
    header, newline, data = plain.partition(b"\n")
    try:
        found = json.loads(header) if newline else None
    except (ValueError, UnicodeDecodeError) as exc:
        raise DecryptionError from exc
    if not isinstance(found, dict) or found != {"r": report, "k": kind}:
        raise DecryptionError("sealed for another place")
    return data


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
