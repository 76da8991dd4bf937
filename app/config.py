"""The config classes, one per ``APP_CONFIG``, with every setting's default.

How they are loaded, and what is checked after, is ``app.config_loading``'s job.
"""

from datetime import timedelta

# The session cookie's two names; app.config_loading picks one unless SESSION_COOKIE_NAME is set.
HOST_COOKIE_NAME = "__Host-session"
# The tutorial's name, kept where cookies are not Secure.
PLAIN_COOKIE_NAME = "session"


class Config:
    SECRET_KEY = None
    SQLALCHEMY_DATABASE_URI = None
    REDIS_URL = None
    # The address people use, for every link in a message. None: development's own address.
    PUBLIC_URL = None
    # None: development's files under instance/outbox (app.mail.transports).
    MAIL_URL = None
    MAIL_FROM = "Flask auth <no-reply@localhost>"
    # None: production trusts only PUBLIC_URL's host, elsewhere any host is answered.
    TRUSTED_HOSTS = None
    MAX_CONTENT_LENGTH = 64 * 1024

    # CSRF: the token lives as long as the session. SSL_STRICT would demand a Referer on
    # HTTPS, which curl and many API clients do not send; the header token and
    # SameSite=Lax are the defence.
    WTF_CSRF_TIME_LIMIT = None
    WTF_CSRF_SSL_STRICT = False
    # Flask-WTF's own hook stays off: the credential guard (app.personal_tokens.guard) runs
    # the same check on every request that is not a bearer request, and refuses to start
    # without this.
    WTF_CSRF_CHECK_DEFAULT = False

    # None: ``__Host-session`` where cookies are Secure and host-only (production), else
    # ``session``. Set it to choose a name.
    SESSION_COOKIE_NAME = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    # Remember-me: the cookie and the server-side record both last this long.
    PERMANENT_SESSION_LIFETIME = timedelta(days=30)
    SESSION_REFRESH_EACH_REQUEST = False
    SESSION_IDLE_TIMEOUT = timedelta(hours=1)
    SESSION_ABSOLUTE_LIFETIME = timedelta(hours=12)
    SESSION_TOUCH_INTERVAL = timedelta(minutes=1)
    # Rows per transaction of purge-sessions.
    PURGE_BATCH_SIZE = 10_000

    # argon2id at OWASP's minimum (m=19 MiB, t=2, p=1).
    ARGON2_TIME_COST = 2
    ARGON2_MEMORY_COST = 19 * 1024
    ARGON2_PARALLELISM = 1
    # The shortest new password, in code points after NFKC: NIST SP 800-63B-4 (2025) asks 15
    # of a password that is the only factor. Checked wherever a password is set, never at
    # login, so older, shorter passwords keep working until they are next changed.
    PASSWORD_MIN_LENGTH = 15

    # Throttling (Flask-Limiter). Counts live in memory (per process) unless REDIS_URL is set.
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    # Off: Flask-Limiter would put Retry-After on every answer of a limited route. Every 429
    # carries its own Retry-After (app.api.errors, app.security.throttle).
    RATELIMIT_HEADERS_ENABLED = False
    RATELIMIT_STRATEGY = "moving-window"
    LOGIN_RATE_LIMIT = "30 per minute"
    # Per login string; an account has two (user name, email). See app/security/throttle.py.
    LOGIN_FAILURE_LIMIT = "5 per 5 minutes; 50 per day"
    SIGNUP_RATE_LIMIT = "10 per hour"
    CHANGE_PASSWORD_RATE_LIMIT = "5 per minute"
    # logout_all and DELETE /sessions/<id>, per user, together.
    SESSION_REVOKE_RATE_LIMIT = "10 per 10 minutes"
    # How many proxies in front set X-Forwarded-For / -Proto; 0 trusts none of them.
    TRUSTED_PROXIES = 0

    RESET_RATE_LIMIT = "10 per hour"
    # Per address asked for, keyed like the failed-login count; known or not, alike.
    RESET_ADDRESS_LIMIT = "3 per hour; 10 per day"
    # Seconds: a reset request's job runs after a random delay up to this, so that its work
    # is never timed by the requester's next request.
    RESET_JOB_DELAY = 5
    CONFIRM_RESEND_RATE_LIMIT = "3 per hour"
    # Using a link's token (confirmation, email change), per client IP.
    LINK_RATE_LIMIT = "30 per hour"
    CHANGE_EMAIL_RATE_LIMIT = "5 per hour"

    # Tokens sent by mail (app.accounts.tokens).
    RESET_TOKEN_LIFETIME = timedelta(hours=1)
    CONFIRM_TOKEN_LIFETIME = timedelta(days=3)
    EMAIL_CHANGE_TOKEN_LIFETIME = timedelta(days=1)
    # On: an account whose address is not confirmed cannot log in (a 403 after the password).
    REQUIRE_CONFIRMED_EMAIL = False
    # Sensitive actions need the login, or a password check since, within this long.
    REAUTHENTICATION_WINDOW = timedelta(minutes=5)

    # The second factor (app.mfa). None: its keys are derived from SECRET_KEY, then each of
    # SECRET_KEY_FALLBACKS. Else one key or several, comma-separated: the first seals new
    # secrets, each opens old ones.
    MFA_KEY = None
    # The name authenticator apps show beside the account.
    TOTP_ISSUER = "Flask auth"
    # A login whose password was right waits this long for its second factor, and takes at
    # most this many wrong codes.
    MFA_PENDING_LIFETIME = timedelta(minutes=5)
    MFA_MAX_FAILURES = 5
    MFA_VERIFY_RATE_LIMIT = "30 per minute"
    # Codes tried per account (its id), wherever they are given; apart from the password's
    # counts. See app/security/throttle.py.
    MFA_FAILURE_LIMIT = "5 per 5 minutes; 50 per day"

    # Passkeys (app.passkeys). None: the RP ID is PUBLIC_URL's host; the origin always is
    # PUBLIC_URL's. A challenge waits this long for its one answer.
    PASSKEY_RP_ID = None
    PASSKEY_RP_NAME = "Flask auth"
    PASSKEY_CHALLENGE_LIFETIME = timedelta(minutes=5)
    # Sign-ins with a passkey alone, per client IP (begin and finish each); apart from
    # LOGIN_RATE_LIMIT. Password failures never refuse a passkey.
    PASSKEY_LOGIN_RATE_LIMIT = "30 per minute"
    PASSKEY_MAX_PER_ACCOUNT = 20
    # Registrations begun, per user.
    PASSKEY_REGISTER_RATE_LIMIT = "10 per hour"

    # Personal access tokens (app.personal_tokens): a new one lives this many days unless
    # told otherwise, at most TOKEN_MAX_DAYS; one with no expiry only where allowed.
    TOKEN_DEFAULT_DAYS = 30
    TOKEN_MAX_DAYS = 365
    TOKEN_ALLOW_NO_EXPIRY = False
    TOKEN_MAX_PER_ACCOUNT = 50
    # Requests per token; tokens made per user; bearer requests with a token that is no
    # token, per client IP (each counted once it failed, and refused once over).
    TOKEN_RATE_LIMIT = "600 per minute"
    TOKEN_CREATE_RATE_LIMIT = "20 per hour"
    TOKEN_FAILURE_LIMIT = "30 per minute"
    # Forward auth (GET /api/auth/forward): the hosts, each with an optional port, that the
    # page may send a person back to after logging in (``/?next=``). Comma-separated.
    FORWARD_AUTH_ALLOWED_HOSTS = ""

    # The outbox's sender (app.mail.sender): in a thread of each app process, unless off.
    MAIL_SEND_IN_PROCESS = True
    # Seconds: each SMTP call's timeout, the idle sender's poll, the first retry's delay
    # (doubled at each attempt, up to a day), and how long a claimed message stays claimed.
    MAIL_TIMEOUT = 10
    MAIL_POLL_INTERVAL = 5
    MAIL_RETRY_DELAY = 30
    MAIL_CLAIM_TIMEOUT = 120
    MAIL_MAX_ATTEMPTS = 12
    # At most one notice (a message that tells of a change) per account and address this often;
    # the changes in between wait, merged into one message (app.mail.notices).
    NOTICE_INTERVAL = timedelta(minutes=10)

    SECURITY_LOG_LEVEL = "INFO"

    # PostgreSQL's pool and timeouts (app.database).
    DATABASE_POOL_SIZE = 5
    DATABASE_MAX_OVERFLOW = 5
    DATABASE_POOL_TIMEOUT = 5
    DATABASE_POOL_RECYCLE = 1800
    DATABASE_CONNECT_TIMEOUT = 3
    DATABASE_STATEMENT_TIMEOUT_MS = 5000


class DevelopmentConfig(Config):
    pass


class TestingConfig(Config):
    TESTING = True
    PUBLIC_URL = "http://localhost"
    # Tests that read mail point MAIL_URL at their SMTP server and run the sender themselves.
    MAIL_URL = "log://"
    MAIL_SEND_IN_PROCESS = False
    # Reset jobs due at once: the tests run the sender themselves, when they choose.
    RESET_JOB_DELAY = 0
    # Cheap hashing keeps the suite fast; the algorithm stays argon2id.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 64


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
