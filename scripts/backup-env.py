"""Print the app's storage settings as shell assignments for backup.sh / restore.sh.

Reads the same environment as the app (webapp/config.py), so the scripts back up and
restore exactly what the app uses.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from webapp.config import CONFIGS, _env

config = CONFIGS[_env("TANHUI_ENV", "development") or "development"]()
url = config.SQLALCHEMY_DATABASE_URI
values = {
    "DB_URL": url,
    "DB_KIND": "postgresql" if url.startswith("postgresql") else "sqlite",
    # libpq does not know SQLAlchemy's driver suffix.
    "PG_URL": url.replace("postgresql+psycopg://", "postgresql://", 1),
    "SQLITE_PATH": url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else "",
    "CERT_DIR": config.CERTIFICATE_DIR,
    "PHOTO_DIR": config.PLOT_PHOTO_DIR,
    "KEY_FILE": "" if config.SIGNING_KEY else config.SIGNING_KEY_FILE,
    "RETIRED_KEYS": config.RETIRED_KEYS_FILE or "",
    "S3_BUCKET": config.STORAGE_S3_BUCKET or "",
}
for name, value in values.items():
    print(f"{name}={shlex.quote(str(value))}")
