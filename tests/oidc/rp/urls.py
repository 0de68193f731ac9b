from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.urls import include, path


@login_required(login_url="/oidc/authenticate/")
def whoami(request):
    user = request.user
    return JsonResponse(
        {
            "sub": user.username,
            "preferred_username": user.first_name,
            "roles": user.last_name,
            "email": user.email,
        }
    )


def failed(request):
    return HttpResponse("sign-in failed", status=401)


urlpatterns = [
    path("oidc/", include("mozilla_django_oidc.urls")),
    path("whoami/", whoami),
    path("failed/", failed),
]
