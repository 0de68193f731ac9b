"""The demo's email backend: each email printed for a person to read, as the text codes are.

Django's console backend prints the MIME message: its headers folded, eight of them before
the text, and any HTML part after it. In `make demo` one looks in the terminal for a link or a
code in an email: this prints who it is to, its subject and its text, in the form the console
text-message backend uses ("[sms] To: ...").
"""

from django.core.mail.backends import console

RULE = "-" * 60


class EmailBackend(console.EmailBackend):
    def write_message(self, message):
        # Built as a real backend builds it, so that it refuses what a real one refuses (a line
        # break in a header, for one).
        message.message()
        lines = [f"[email] To: {', '.join(message.to)}"]
        if message.cc:
            lines.append(f"Cc: {', '.join(message.cc)}")
        if message.bcc:
            lines.append(f"Bcc: {', '.join(message.bcc)}")
        lines += [f"Subject: {message.subject}", "", message.body.rstrip("\n")]
        if getattr(message, "alternatives", None):
            lines += ["", "(also sent as HTML)"]
        if message.attachments:
            lines += ["", f"({len(message.attachments)} attachment(s))"]
        self.stream.write("\n".join(lines) + f"\n{RULE}\n")
