"""Users, roles, org units, login/logout and passwords."""
