"""Khen Thưởng Số: the application package (blueprints and domain services)."""
