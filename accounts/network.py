from django.conf import settings


def client_ip(request):
    """The client's address, trusting X-Forwarded-For only from our own proxies.

    Each of the PROXY_COUNT proxies in front of the app appends the address it
    saw; the entry added by the outermost one is the client. Entries before it
    were written by the client and can be forged.
    """
    proxies = settings.PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR", "")
