"""The live Tablestore credentials from the environment (importing this loads no SDK)."""

from __future__ import annotations

import os

CREDENTIAL_VARIABLES = (
    "TABLESTORE_ENDPOINT",
    "TABLESTORE_INSTANCE_NAME",
    "TABLESTORE_ACCESS_KEY_ID",
    "TABLESTORE_ACCESS_KEY_SECRET",
)
NO_CREDENTIALS = "no Tablestore credentials"
"""The skip reason of live tests without credentials (the documented CI exception)."""


def live_credentials() -> dict[str, str] | None:
    """The live instance's constructor arguments, or ``None`` when a variable is unset."""
    values = [os.environ.get(name, "") for name in CREDENTIAL_VARIABLES]
    if not all(values):
        return None
    end_point, instance_name, key_id, key_secret = values
    return {
        "end_point": end_point,
        "instance_name": instance_name,
        "access_key_id": key_id,
        "access_key_secret": key_secret,
    }
