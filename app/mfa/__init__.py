"""The second factor: TOTP, recovery codes, and the logins that wait for one."""
