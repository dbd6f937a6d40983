"""Public transfer references."""

from __future__ import annotations

import secrets

_REF_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U


def new_ref(length: int = 10) -> str:
    """An unguessable public reference, easy to read aloud (Crockford base32).

    One ``token_bytes`` call (one read of the OS's random source, not one per character);
    the alphabet has 32 letters, so each byte's low five bits pick one uniformly."""
    return "".join([_REF_ALPHABET[byte & 31] for byte in secrets.token_bytes(length)])
