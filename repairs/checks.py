from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def passcode_keys(app_configs, **kwargs):
    if settings.REPAIR_PASSCODE_KEYS:
        return []
    return [
        Warning(
            "REPAIR_PASSCODE_KEYS is not set: device passcodes are encrypted with "
            "a key derived from SECRET_KEY, and changing SECRET_KEY loses them.",
            hint="Set REPAIR_PASSCODE_KEYS to a Fernet key (see .env.example).",
            id="repairs.W001",
        )
    ]
