"""The roles a user can hold; workflows may only name these."""

ROLES = ("admin", "manager", "engineer", "auditor")

ROLE_TITLES = {
    "admin": {"en": "Administrator", "ru": "Администратор"},
    "manager": {"en": "Project manager", "ru": "Руководитель проекта"},
    "engineer": {"en": "Engineer", "ru": "Инженер"},
    "auditor": {"en": "QA auditor", "ru": "Аудитор качества"},
}

SIGNATURE_MEANINGS = ("reviewed", "approved", "verified", "validated")
