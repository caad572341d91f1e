"""Training classes (lớp tập huấn): schedule, roster, attendance."""
