"""Local development: DEBUG on, console email."""

from .base import *  # noqa: F403
from .base import VAR_DIR
from .env import env_bool, env_str, secret_key_from_file

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY") or secret_key_from_file(VAR_DIR / "secret_key")
