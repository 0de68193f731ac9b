"""Second-factor devices of our own (text/voice codes); the others come from django-otp."""
