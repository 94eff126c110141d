"""The roles an officer can hold. Workflow triggers name the roles allowed to take them."""

from __future__ import annotations

ROLES: dict[str, tuple[str, str]] = {
    "inspector": ("检查人员", "inspector"),
    "case_handler": ("办案人员", "case handler"),
    "legal_reviewer": ("法制审核人员", "legal reviewer"),
    "head": ("负责人", "head of the department"),
    "principal_head": ("主要负责人", "principal head of the department"),
    # administers the store: departments, officers, roles, credentials (no workflow step needs it)
    "admin": ("系统管理员", "administrator"),
}


def parse_roles(text: str) -> tuple[str, ...]:
    """Roles from ``"inspector, case_handler"`` (commas, semicolons, 、 or spaces); raises ValueError."""
    for sep in (";", "；", "、", "，", " "):
        text = text.replace(sep, ",")
    roles = sorted({r.strip() for r in text.split(",") if r.strip()})
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise ValueError(f"unknown role {', '.join(unknown)}; known roles are {', '.join(ROLES)}")
    if not roles:
        raise ValueError(f"at least one role is needed, from {', '.join(ROLES)}")
    return tuple(roles)
