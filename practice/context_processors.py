from practice.policy import effective_policy


def chrome(request):
    """What the base layout shows on every page: the practice, the user, the idle sign-out."""
    user = getattr(request, "user", None)
    practice = getattr(request, "practice", None)
    context = {}
    if user is not None and user.is_authenticated:
        practice = practice or user.practice
        context["idle_timeout_seconds"] = effective_policy(user).idle_timeout_minutes * 60
    context["current_practice"] = practice
    return context
