"""Every user-facing message, named once so that views and tests share the wording."""

# Success
LOGGED_IN = "You have successfully logged in"
LOGGED_OUT = "You have successfully logged out"
PASSWORD_CHANGED = "Your password has been changed"
SESSIONS_LISTED = "Your sessions"
SESSION_ENDED = "The session has been ended"
OTHER_SESSIONS_ENDED = "Every other session has been ended"
ALL_SESSIONS_ENDED = "Every session has been ended"
SIGNED_UP = "You have successfully signed up"
# A signup under REQUIRE_CONFIRMED_EMAIL, whether the address was new or taken: the same words.
SIGNUP_CHECK_MAIL = (
    "Check your email to confirm your address: a message with a link is on its way to it."
)
CSRF_ISSUED = "CSRF token issued"
AUTHENTICATED = "You are logged in"
RESET_REQUESTED = (
    "If an account uses this address, a message with a link to reset its password is on its way."
)
PASSWORD_RESET = "Your password has been reset. Log in with the new one."
EMAIL_CONFIRMED = "Your email address is confirmed"
CONFIRMATION_SENT = "A new confirmation link is on its way to your email address."
EMAIL_CHANGE_REQUESTED = (
    "Open the link we sent to the new address to confirm it. Until then, the old one stays."
)
EMAIL_CHANGED = "Your email address has been changed"
REAUTHENTICATED = "You have confirmed that it is you"
MFA_REQUIRED = "Enter the code from your authenticator app to finish logging in"
MFA_STATUS = "Your two-factor authentication"
TOTP_SETUP_STARTED = "Scan the QR code with your authenticator app, then enter a code from it"
TOTP_ENABLED = (
    "Two-factor authentication is on. Keep these recovery codes somewhere safe: "
    "they are shown only this once."
)
TOTP_DISABLED = "Two-factor authentication is off"
RECOVERY_CODES_RENEWED = "Here are your new recovery codes. The old ones no longer work."
PASSKEYS_LISTED = "Your passkeys"
PASSKEY_OPTIONS = "Answer with your passkey"
PASSKEY_ADDED = "Your passkey has been added"
PASSKEY_RENAMED = "Your passkey has been renamed"
PASSKEY_REMOVED = "Your passkey has been removed"

# Authentication
INVALID_CREDENTIALS = "Invalid username or password"
NOT_LOGGED_IN = "You are not logged in"
WRONG_CURRENT_PASSWORD = "Your current password is not correct"
TOO_MANY_ATTEMPTS = "Too many failed attempts. Please wait before trying again."
TOO_MANY_REQUESTS = "Too many requests. Please wait before trying again."

# Tokens sent by mail, and the addresses they prove
INVALID_TOKEN = "This link is invalid or has expired. Please ask for a new one."
EMAIL_NOT_CONFIRMED = (
    "Please confirm your email address first, with the link in the latest message we sent you."
)
EMAIL_NOT_CONFIRMED_TYPE = "Email not confirmed"
REAUTHENTICATION_REQUIRED = "Please enter your password again to do this."
REAUTHENTICATION_REQUIRED_TYPE = "Reauthentication required"
EMAIL_ALREADY_CONFIRMED = "Your email address is already confirmed."
EMAIL_UNCHANGED = "This is already your email address."

# Second factor
MFA_CODE_WRONG = "This code is not correct"
MFA_CODE_FORMAT = "Enter the 6-digit code from your authenticator app."
MFA_CODE_OR_RECOVERY = "Give a code or a recovery code, not both."
MFA_CODE_OR_PASSWORD = "Give a code or your password, not both."
MFA_NOT_PENDING = "No login is waiting for a second factor. Please log in again."
MFA_LOGIN_ENDED = "Too many wrong codes. Please log in again."
# The type of both answers that end a login's second step: it starts again from the password.
LOGIN_ENDED_TYPE = "Login ended"
WRONG_CODE_OR_PASSWORD = "This code or password is not correct"
TOTP_ALREADY_ON = "Two-factor authentication is already on. Turn it off first."
TOTP_NOT_ON = "Two-factor authentication is not on"
TOTP_NOT_SET_UP = "Start the set-up first: no new key is waiting for its first code."
# Of type EMAIL_NOT_CONFIRMED_TYPE: no second factor or passkey before the address is proved.
CONFIRM_EMAIL_FIRST = "Confirm your email address before you add a second factor or a passkey."

# Passkeys
PASSKEY_REFUSED = "This passkey could not be verified. Please try again."
PASSKEY_REFUSED_TYPE = "Passkey refused"
PASSKEY_NOT_FOUND = "No such passkey"
PASSKEY_LAST_FACTOR = (
    "This is the only way into an account with no password: add another passkey first."
)
PASSKEY_LIMIT_REACHED = (
    "This account has as many passkeys as it may have. Remove one before you add another."
)
PASSKEY_NAME_ONE_LINE = "Must be one line of plain text: no line breaks or control characters."
FIELD_NOT_OBJECT = "Must be a JSON object."

# Validation
VALIDATION_FAILED = "Some fields are missing or invalid"
FIELD_REQUIRED = "This field is required."
FIELD_NOT_STRING = "Must be a string."
FIELD_NOT_BOOLEAN = "Must be true or false."
FIELD_REPEATED = "Must be given only once."
FIELD_BAD_CHARACTERS = "Contains characters that are not allowed."
USER_NAME_LENGTH = "Username must be between {min} and {max} characters long."
USER_NAME_CHARACTERS = "Username can only contain letters and numbers"
NAME_TOO_LONG = "Must be at most {max} characters long."
EMAIL_INVALID = "Invalid email address."
PASSWORD_LENGTH = "Password must be between {min} and {max} characters long."
PASSWORD_TOO_LONG = "Password must be at most {max} characters long."
LOGIN_TOO_LONG = "Must be at most {max} characters long."
PASSWORDS_MUST_MATCH = "Passwords must match"
PASSWORD_WEAK = "This password is too easy to guess."
PASSWORD_PERSONAL = "Password must not contain your name, user name or email."
PASSWORD_UNCHANGED = "Your new password must differ from your current one."

# Conflicts
CONFLICT = "This username or email is already taken"
USER_NAME_TAKEN = "This username is already taken."
EMAIL_TAKEN = "This email is already taken."

# Request shape
BODY_NOT_OBJECT = "The request body must be a JSON object."
BODY_MALFORMED = "The request body is not valid JSON."
BODY_NOT_UTF8 = "The request body is not valid UTF-8."
FORM_PART_UNNAMED = "Every part of a multipart/form-data body needs a name."
UNSUPPORTED_MEDIA_TYPE = "Send the fields as application/json or application/x-www-form-urlencoded."
BODY_TOO_LARGE = "The request body is too large."

# CSRF: a 403 of its own type, as Django answers, whatever Flask-WTF found wrong ({reason}).
CSRF_FAILED = (
    "{reason} Get a token from GET /api/auth/csrf and send it in the X-CSRFToken header, "
    "with the session cookie it came with."
)
CSRF_FAILED_TYPE = "CSRF failed"

# Sessions
SESSION_NOT_FOUND = "No such session"

# Disabled accounts, operators and the account's own data
ACCOUNT_DISABLED = "This account has been disabled. Contact the service's operators."
ACCOUNT_DISABLED_TYPE = "Account disabled"
ADMIN_ONLY = "Only an admin may do this."
STAFF_ONLY = "Only staff and admins may see this."
USER_NOT_FOUND = "No such user"
USERS_LISTED = "Users found"
USER_SHOWN = "The user's account"
USER_DISABLED = "The account is disabled, and every session of it has ended."
USER_ENABLED = "The account is enabled again."
ROLE_SET = "The role is set."
USER_LOGGED_OUT = "Every session of the account has ended."
USER_DELETED = "The account is deleted."
LAST_ADMIN = "This is the last active admin: make another admin first."
ROLE_UNKNOWN = "Must be one of: admin, staff, user, test."
PAGE_NUMBER = "Must be a whole number, 1 or more."
PER_PAGE_NUMBER = "Must be a whole number from 1 to 100."
ACCOUNT_DELETED = "Your account is deleted. Goodbye."
ACCOUNT_EXPORTED = "Everything stored about your account"

# The operator's users commands (manage.py users ...)
CLI_USER_UNKNOWN = "No user named or addressed '{login}'."
CLI_DELETE_NEEDS_YES = "delete removes the account and everything that names it: add --yes."
CLI_SEALED_UNDER_NO_KEY = (
    "Something is sealed under a key that is not listed: put the old key back after the new"
    " one (MFA_KEY=new,old, or SECRET_KEY_FALLBACKS=old) and run rotate-mfa-key again."
    " Nothing was changed."
)
CLI_COUNTS_OUT_OF_REACH = (
    "The failed-login counts are in each server process's memory (RATELIMIT_STORAGE_URI is"
    " memory://), out of this command's reach: set REDIS_URL, for the servers and manage.py"
    " alike, to see or clear them."
)

# Server side
SERVER_ERROR = "Something went wrong on our side. Please try again."
SERVICE_UNAVAILABLE = "The service is temporarily unavailable. Please try again shortly."

# Personal access tokens (app.personal_tokens), and bearer requests
TOKEN_CREATED = (
    "Your token is made. Copy it now: it is shown only this once, and only its name is kept."
)
TOKENS_LISTED = "Your personal access tokens"
TOKEN_REVOKED = "The token is revoked."
TOKEN_NOT_FOUND = "No such token."
TOKEN_LIMIT_REACHED = "You have as many tokens as an account may have: revoke one first."
TOKENS_REVOKED = "Every token of the account has been revoked."
TOKEN_NAME_REQUIRED = "Give the token a name."
TOKEN_SCOPES_REQUIRED = "Choose at least one scope."
TOKEN_SCOPE_UNKNOWN = "Unknown scope: {scope}. The scopes are: {scopes}."
TOKEN_SCOPE_NOT_YOURS = "Your role cannot give a token the scope {scope}."
TOKEN_DAYS_RANGE = "Must be a whole number of days from 1 to {most}."
TOKEN_DAYS_NO_EXPIRY = "Must be a whole number of days from 1 to {most}, or null for no expiry."
TOKEN_INVALID = "The bearer token is not valid: it is unknown, revoked or expired."
BEARER_WITH_COOKIE = (
    "Send either a session cookie or a bearer token, not both: drop the cookie for a token."
)
INSUFFICIENT_SCOPE_TYPE = "Insufficient scope"
INSUFFICIENT_SCOPE = "This needs a token with the scope {scope}."
SESSION_ONLY = "This needs a session: no token may do it. Log in on the page."
CLI_NO_TOKENS = "{user_name} has no personal access tokens."
CLI_TOKENS_REVOKED = "Revoked {count} token(s) of {user_name}."
FIELD_NOT_STRING_LIST = "Must be a list of strings, or one string of words parted by spaces."
FIELD_NOT_WHOLE_NUMBER = "Must be a whole number, or null."
