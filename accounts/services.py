"""Staff accounts and shop settings: the only code that changes them."""

import secrets
from datetime import datetime

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .access import MANAGE_API_TOKENS, can_manage_role
from .models import ApiToken, Notification, Role, Sequence, ShopSettings, User

LOGO_MAX_BYTES = 512 * 1024


def check_staff_change(user, *, by, role, is_active):
    """Refuse unless `by` may give `user` this role and state.

    Admins manage role User; Super Admins manage everyone. Nobody changes their
    own role or deactivates themselves, and the last active Super Admin stays.
    """
    if user.pk and not can_manage_role(by, user.role):
        raise ValidationError(
            f"You cannot change staff with the role {user.get_role_display()}."
        )
    if not can_manage_role(by, role):
        raise ValidationError(f"You cannot give the role {Role(role).label}.")
    if user.pk == by.pk and (role != user.role or not is_active):
        raise ValidationError(
            "You cannot change your own role or deactivate yourself; ask another "
            "Super Admin."
        )
    leaves_owners = user.role == Role.SUPER_ADMIN and (
        role != Role.SUPER_ADMIN or not is_active
    )
    if user.pk and user.is_active and leaves_owners:
        # Lock every active Super Admin, in id order, so that two owners
        # demoting each other at once cannot both succeed and leave none.
        owners = list(
            User.objects.select_for_update()
            .filter(role=Role.SUPER_ADMIN, is_active=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not set(owners) - {user.pk}:
            raise ValidationError("The shop needs at least one active Super Admin.")


@transaction.atomic
def create_staff(
    *,
    by: User,
    username: str,
    password: str,
    role: str = Role.USER,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
) -> User:
    """Create a member of staff; Admins create role User, Super Admins any role."""
    user = User(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        role=role,
    )
    check_staff_change(user, by=by, role=role, is_active=True)
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError(f"The username {username!r} is taken.")
    validate_password(password, user)
    user.set_password(password)
    user._history_user = by
    user.save()
    return user


@transaction.atomic
def update_staff(
    user: User,
    *,
    by: User,
    first_name: str,
    last_name: str,
    email: str,
    role: str,
) -> User:
    """Change a member of staff's details and role within `by`'s rights."""
    user = User.objects.select_for_update().get(pk=user.pk)
    check_staff_change(user, by=by, role=role, is_active=user.is_active)
    user.first_name, user.last_name, user.email, user.role = (
        first_name,
        last_name,
        email,
        role,
    )
    user._history_user = by
    user.save()
    return user


@transaction.atomic
def set_staff_password(user: User, *, by: User, password: str) -> User:
    """Give a member of staff a new password (e.g. one they forgot)."""
    check_staff_change(user, by=by, role=user.role, is_active=user.is_active)
    validate_password(password, user)
    user.set_password(password)
    user._history_user = by
    user._change_reason = "New password set"
    user.save(update_fields=["password"])
    return user


@transaction.atomic
def set_staff_active(user: User, *, by: User, active: bool) -> User:
    """Deactivate (or reactivate) a member of staff; staff are never deleted.

    A deactivated account cannot sign in but keeps its name on every sale,
    payment and repair it touched.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    check_staff_change(user, by=by, role=user.role, is_active=active)
    if user.is_active != active:
        user.is_active = active
        user._history_user = by
        user.save(update_fields=["is_active"])
    return user


@transaction.atomic
def update_shop_settings(
    *, by: User, logo=None, remove_logo: bool = False, **fields
) -> ShopSettings:
    """Save the shop's settings; only Super Admins may."""
    if not by.has_perm("accounts.change_shopsettings"):
        raise ValidationError("Only a Super Admin can change the shop settings.")
    shop = ShopSettings.objects.select_for_update().get(pk=ShopSettings.load().pk)
    unknown = set(fields) - {f.name for f in ShopSettings._meta.get_fields()}
    if unknown:
        raise ValidationError(f"Unknown settings: {', '.join(sorted(unknown))}.")
    for name, value in fields.items():
        setattr(shop, name, value)
    if remove_logo:
        shop.logo, shop.logo_content_type = b"", ""
    elif logo is not None:
        if logo.size > LOGO_MAX_BYTES:
            raise ValidationError("The logo must be at most 512 KB.")
        shop.logo = logo.read()
        shop.logo_content_type = logo.content_type
    shop.full_clean()
    shop._history_user = by
    shop.save()
    return shop


# API tokens.


@transaction.atomic
def create_api_token(
    user: User, *, by: User, name: str, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """A new API token for `user`, made by themselves; the key is returned once.

    Only the key's hash is stored, so this is the one time anyone sees it.
    """
    if by.pk != user.pk:
        raise ValidationError("Staff create API tokens for themselves only.")
    if not user.is_active:
        raise ValidationError("A deactivated account cannot have API tokens.")
    name = name.strip()
    if not name:
        raise ValidationError("Give the token a name, e.g. what will use it.")
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError("The expiry date must be in the future.")
    # 40 random bytes: unguessable, so tokens need no lockout of their own.
    key = secrets.token_urlsafe(40)
    token = ApiToken(
        user=user,
        name=name,
        prefix=key[: ApiToken.PREFIX_LENGTH],
        key_hash=ApiToken.hash_key(key),
        expires_at=expires_at,
    )
    token.full_clean()
    token.save()
    return token, key


@transaction.atomic
def revoke_api_token(token: ApiToken, *, by: User) -> ApiToken:
    """Revoke a token for good: its owner may, and a Super Admin anyone's."""
    if token.user_id != by.pk and not by.has_perm(MANAGE_API_TOKENS):
        raise ValidationError("You can revoke only your own API tokens.")
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.revoked_by = by
        token.save(update_fields=["revoked_at", "revoked_by"])
    return token


# In-app notifications.


class ApproverLockedOut(ValidationError):
    """Too many wrong passwords for that username from this device: the
    sign-in lockout (django-axes) holds for approvals too."""


def authenticate_approver(username: str, password: str, *, permission: str, request):
    """The member of staff who signs an action at someone else's till (a
    discount, a return, a close with the cash out): their username and password
    checked once, as a sign-in is, and `permission` held.

    A wrong password counts towards the sign-in lockout, so a till cannot be
    used to guess an Admin's password. Call this before the action's
    transaction: a rollback must not undo the record of a wrong password.
    `request` is the till's: django-axes reads the device's address from it,
    and marks a lockout on it (answered with the sign-in lockout page by its
    middleware, unless the view answers otherwise).
    """
    username = (username or "").strip()
    if not username or not password:
        raise ValidationError(_("An Admin must enter their username and password."))
    approver = authenticate(request, username=username, password=password)
    if getattr(request, "axes_locked_out", False):
        raise ApproverLockedOut(
            _(
                "Too many wrong passwords for that Admin: approvals are locked "
                "for a while. Another Admin can approve."
            )
        )
    if approver is None or not approver.has_perm(permission):
        raise ValidationError(_("That is not an Admin's username and password."))
    return approver


def managers():
    """Active Admins and Super Admins: who hears about stock and the shop."""
    return User.objects.active().with_role(Role.ADMIN, Role.SUPER_ADMIN)


def notify(recipients, *, kind: str, title: str, body: str = "", url: str = ""):
    """Leave the same in-app notification for each of `recipients`."""
    return Notification.objects.bulk_create(
        Notification(recipient=user, kind=kind, title=title, body=body, url=url)
        for user in recipients
    )


def mark_notifications_read(user: User, *, ids=None) -> int:
    """Mark `user`'s notifications read (all of them, or those in `ids`)."""
    unread = Notification.objects.unread().filter(recipient=user)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())


# Document numbers.


def next_number(name: str) -> int:
    """The next number of a gapless sequence, inside the caller's transaction.

    The counter row stays locked until the document that takes the number
    commits, so two tills never get the same number, and a document that fails
    rolls its number back: no gaps.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("Allocate document numbers inside the creating transaction.")
    number = _increment(name)
    if number is None:
        # The first document of its kind: make the counter, once, then count.
        try:
            with transaction.atomic():
                Sequence.objects.create(name=name)
        except IntegrityError:
            pass  # another transaction created it first
        number = _increment(name)
    return number


def _increment(name):
    """Add one to the counter and return it, or None if there is no counter yet.

    One statement: the UPDATE locks the row (PostgreSQL and SQLite both
    support UPDATE ... RETURNING), so the next till waits for this one.
    """
    table = connection.ops.quote_name(Sequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET last_value = last_value + 1 "  # noqa: S608 (the model's own table)
            "WHERE name = %s RETURNING last_value",
            [name],
        )
        row = cursor.fetchone()
    return None if row is None else row[0]
