"""The host's environment for a job, minus secrets.

Runs inside DCCs: standard library only, Python 3.7 syntax.
"""

import fnmatch
import os

#: Environment names never handed off (fnmatch patterns, case-insensitive).
DEFAULT_ENV_DENY = (
    "*TOKEN*",
    "*SECRET*",
    "*PASSWORD*",
    "*PASSWD*",
    "*KEY*",
    "*CREDENTIAL*",
    "*AUTH*",
)
ENV_DENY_VAR = "PYBLISH_QML_QUEUE_ENV_DENY"


def env_deny_patterns(deny=None):
    """The deny-list: ``deny``, else PYBLISH_QML_QUEUE_ENV_DENY, else the default."""
    if deny is not None:
        return [p.strip() for p in deny if p.strip()]
    from_env = os.environ.get(ENV_DENY_VAR)
    if from_env is not None:
        return [p.strip() for p in from_env.split(",") if p.strip()]
    return list(DEFAULT_ENV_DENY)


def filter_env(environ, deny=None):
    """A copy of ``environ`` without names matching the deny-list.

    Args:
        environ: a mapping of names to strings (os.environ).
        deny: fnmatch patterns matched case-insensitively; None uses
            PYBLISH_QML_QUEUE_ENV_DENY (comma-separated, replacing the default)
            or :data:`DEFAULT_ENV_DENY`.
    """
    patterns = [p.upper() for p in env_deny_patterns(deny)]
    return dict(
        (name, value)
        for name, value in environ.items()
        if not any(fnmatch.fnmatchcase(name.upper(), pattern) for pattern in patterns)
    )


def user_name():
    """Who runs this process: getpass, else $USER / $USERNAME, else "" (some containers
    have no user name)."""
    try:
        import getpass

        return getpass.getuser()
    except Exception:
        return os.environ.get("USER") or os.environ.get("USERNAME") or ""
