from django.utils import timezone


def record_sign_in(sender, request, user, **kwargs):
    """Stamp last_login without saving the user (which would add an audit row)."""
    user.last_login = timezone.now()
    type(user).objects.filter(pk=user.pk).update(last_login=user.last_login)
