"""Password policy (CONTRACT.md, ASVS 5.0 6.2): 12 to 128 characters, no truncation,
not among the most common passwords, not the username.

Passwords shorter than 12 characters are refused by length, so the blocklist only
needs the common ones of 12 characters or more (from published breach corpora), plus
patterns that every cracking dictionary tries first.
"""
from __future__ import annotations

from shared.errors import FieldError

MIN_LENGTH = 12
MAX_LENGTH = 128

_COMMON = frozenset(
    ["123456789012", "1234567890123", "12345678901234", "123456789000", "1234567890qwerty", "1q2w3e4r5t6y", "1q2w3e4r5t6y7u", "1qaz2wsx3edc", "1qaz2wsx3edc4rfv", "qwertyuiop12", "qwertyuiop123", "qwertyuiopasdf", "qwertyuiopasdfgh", "qwerty123456", "qwerty1234567", "asdfghjkl123", "zxcvbnm123456", "password1234", "password12345", "password123456", "passwordpassword", "password@123", "password!123", "p@ssw0rd1234", "p@ssword1234", "iloveyou1234", "iloveyou12345", "welcome12345", "welcome@1234", "administrator", "administrator1", "admin1234567", "admin@123456", "letmein12345", "abc123456789", "abcdefghijkl", "abcd12345678", "a1b2c3d4e5f6", "aa123456789", "woaini1314520", "woaini123456", "woaini520520", "5201314520", "1314520520", "qq123456789", "changeme1234", "trustno11234", "football1234", "baseball1234", "sunshine1234", "princess1234", "monkey123456", "dragon123456", "master123456", "superman1234", "starwars1234", "computer1234", "internet1234", "china1234567", "beijing12345", "shanghai1234", "bank12345678", "crm123456789", "branchcrm123", "123qweasdzxc", "qweasdzxc123", "1234qwerasdf"]  # noqa: E501 - data
)


def _is_trivial_pattern(pw: str) -> bool:
    low = pw.lower()
    if len(set(low)) <= 2:
        return True
    digits = "01234567890123456789"
    letters = "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz"
    return low in digits or low in digits[::-1] or low in letters or low in letters[::-1]


def password_errors(password: str, username: str | None = None, field: str = "password") -> list[FieldError]:
    if len(password) < MIN_LENGTH:
        return [FieldError(field, "password.too_short", f"At least {MIN_LENGTH} characters", {"min": MIN_LENGTH})]
    if len(password) > MAX_LENGTH:
        return [FieldError(field, "password.too_long", f"At most {MAX_LENGTH} characters", {"max": MAX_LENGTH})]
    if username and password.strip().lower() == username.strip().lower():
        return [FieldError(field, "password.same_as_username", "The password must differ from the username")]
    if password.lower() in _COMMON or _is_trivial_pattern(password):
        return [FieldError(field, "password.common", "This password is too common")]
    return []
