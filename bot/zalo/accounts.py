"""Official Accounts served by one deployment, and their secrets.

The simple case is one OA configured by environment variables:
ZALO_APP_ID, ZALO_APP_SECRET, ZALO_OA_SECRET_KEY, ZALO_ACCESS_TOKEN,
ZALO_REFRESH_TOKEN, and optionally ZALO_OA_ID (any OA id is accepted when it
is not set: the signature still proves the sender).

Many OAs (a district page, ward pages, team pages): ZALO_ACCOUNTS_FILE names
a YAML file listing them; each entry's secrets come from environment
variables with its own prefix (never from the file):

    accounts:
      - oa_id: "388613280878808645"
        unit: phuong-tay-thanh          # the police unit this OA speaks for
        name: Công an phường Tây Thạnh
        env_prefix: ZALO_TAY_THANH      # ZALO_TAY_THANH_OA_SECRET_KEY, ..._ACCESS_TOKEN, ...

APP_ID and APP_SECRET fall back to ZALO_APP_ID / ZALO_APP_SECRET (one app
usually manages all the OAs).

An entry's ``broadcasts_per_month`` (else ZALO_BROADCASTS_PER_MONTH, else 4)
is how many announcement broadcasts the OA sends a calendar month: Zalo's
quota depends on the OA's service package (docs/zalo_article_broadcast.md).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Mapping, Optional

import yaml

DEFAULT_API_BASE = "https://openapi.zalo.me"
DEFAULT_OAUTH_BASE = "https://oauth.zaloapp.com"
ANY_OA = "*"
DEFAULT_BROADCASTS_PER_MONTH = 4


class ConfigurationError(ValueError):
    pass


@dataclass(frozen=True)
class Account:
    oa_id: str
    unit: str
    name: str
    app_id: str
    app_secret: str
    oa_secret_key: str
    access_token: str  # initial values; rotated ones live in the database
    refresh_token: str
    broadcasts_per_month: int = DEFAULT_BROADCASTS_PER_MONTH


@dataclass
class Registry:
    accounts: Dict[str, Account]
    api_base: str = DEFAULT_API_BASE
    oauth_base: str = DEFAULT_OAUTH_BASE

    def for_oa(self, oa_id: Optional[str]) -> Optional[Account]:
        if oa_id and oa_id in self.accounts:
            return self.accounts[oa_id]
        return self.accounts.get(ANY_OA)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "Registry":
        def need(name: str) -> str:
            value = env.get(name)
            if not value:
                raise ConfigurationError(f"environment variable {name} is not set")
            return value

        try:
            monthly = int(env.get("ZALO_BROADCASTS_PER_MONTH") or DEFAULT_BROADCASTS_PER_MONTH)
        except ValueError:
            raise ConfigurationError("ZALO_BROADCASTS_PER_MONTH must be a whole number") from None
        accounts: Dict[str, Account] = {}
        accounts_file = env.get("ZALO_ACCOUNTS_FILE")
        if accounts_file:
            entries = yaml.safe_load(Path(accounts_file).read_text(encoding="utf-8"))["accounts"]
            for entry in entries:
                prefix = entry["env_prefix"]
                oa_id = str(entry["oa_id"])
                accounts[oa_id] = Account(
                    oa_id=oa_id,
                    unit=str(entry.get("unit", "")),
                    name=str(entry.get("name", oa_id)),
                    app_id=env.get(f"{prefix}_APP_ID") or need("ZALO_APP_ID"),
                    app_secret=env.get(f"{prefix}_APP_SECRET") or need("ZALO_APP_SECRET"),
                    oa_secret_key=need(f"{prefix}_OA_SECRET_KEY"),
                    access_token=need(f"{prefix}_ACCESS_TOKEN"),
                    refresh_token=need(f"{prefix}_REFRESH_TOKEN"),
                    broadcasts_per_month=int(entry.get("broadcasts_per_month", monthly)),
                )
        else:
            oa_id = env.get("ZALO_OA_ID") or ANY_OA
            accounts[oa_id] = Account(
                oa_id=oa_id,
                unit=env.get("ZALO_UNIT", ""),
                name=env.get("ZALO_OA_NAME", "Official Account"),
                app_id=need("ZALO_APP_ID"),
                app_secret=need("ZALO_APP_SECRET"),
                oa_secret_key=need("ZALO_OA_SECRET_KEY"),
                access_token=need("ZALO_ACCESS_TOKEN"),
                refresh_token=need("ZALO_REFRESH_TOKEN"),
                broadcasts_per_month=monthly,
            )
        return cls(
            accounts=accounts,
            api_base=(env.get("ZALO_API_BASE") or DEFAULT_API_BASE).rstrip("/"),
            oauth_base=(env.get("ZALO_OAUTH_BASE") or DEFAULT_OAUTH_BASE).rstrip("/"),
        )
