"""Request-wide middleware: who the client really is, and the security headers of every page."""

from django.conf import settings
from django.utils.cache import add_never_cache_headers, patch_cache_control

from practice.network import is_trusted_proxy, parse_ip, resolve_client_ip


class TrustedProxyMiddleware:
    """Sets request.client_ip, and honours X-Forwarded-Proto only from a trusted proxy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        remote_addr = request.META.get("REMOTE_ADDR", "")
        request.client_ip = resolve_client_ip(
            remote_addr, request.META.get("HTTP_X_FORWARDED_FOR", "")
        )
        proto = request.META.pop("HTTP_X_FORWARDED_PROTO", "")
        # SECURITY: a client could claim "https" to dodge the HTTPS redirect and get
        # secure cookies over plain HTTP; believe the header only from our own proxy.
        trusted = proto and is_trusted_proxy(parse_ip(remote_addr))
        if trusted and proto.split(",")[-1].strip().lower() == "https":
            request.META["wsgi.url_scheme"] = "https"
        return self.get_response(request)


class SecurityHeadersMiddleware:
    """A strict Content-Security-Policy everywhere; no-store on signed-in and form pages."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        user = getattr(request, "user", None)
        if (
            (user is not None and user.is_authenticated)
            or request.method == "POST"
            or (
                response.get("Content-Type", "").startswith("text/html")
                and not request.path.startswith(settings.STATIC_URL)
            )
        ):
            add_never_cache_headers(response)
            patch_cache_control(response, no_store=True, private=True)
        return response
