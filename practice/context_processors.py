def chrome(request):
    """What the base layout shows on every page: the practice and the signed-in user."""
    user = getattr(request, "user", None)
    practice = getattr(request, "practice", None)
    if practice is None and user is not None and user.is_authenticated:
        practice = user.practice
    return {"current_practice": practice}
