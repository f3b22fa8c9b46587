"""E-mail to a plot's sponsor when a ranger reports on it, in the sponsor's language.

Built and sent by the caller after the commit (``mail.send``), never before.
"""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _

from webapp.labels import label
from webapp.models import Plot, PlotUpdate, PlotUpdateKind, User
from webapp.services.mail import Mail


def _headline(kind: PlotUpdateKind, code: str) -> str:
    # Spelled out so the message extractor finds every sentence.
    if kind is PlotUpdateKind.PLANTED:
        return _("Your plot %(code)s has been planted.", code=code)
    if kind is PlotUpdateKind.INSPECTED:
        return _("A ranger inspected your plot %(code)s.", code=code)
    if kind is PlotUpdateKind.FAILED:
        return _(
            "The planting on your plot %(code)s did not survive; the forest farm will replant it.",
            code=code,
        )
    return _("Your plot %(code)s has been replanted.", code=code)


def sponsor_locale(plot: Plot, sponsor: User) -> str:
    return sponsor.locale or plot.sponsor_locale or "zh_CN"


def update_mail(plot: Plot, update: PlotUpdate, sponsor: User, base_url: str) -> Mail:
    locale = sponsor_locale(plot, sponsor)
    url = f"{base_url.rstrip('/')}/sites/{plot.site.code}/plots/{plot.code}"
    with force_locale(locale):
        site_name = plot.site.text("name", locale)
        lines = [
            _headline(update.kind, plot.code),
            "",
            _("Site: %(site)s", site=site_name),
            _("Plot: %(code)s", code=plot.code),
            _("Status: %(status)s", status=label(plot.status)),
        ]
        if update.survival_count is not None:
            lines.append(_("Trees alive: %(n)s", n=update.survival_count))
        if update.note:
            lines += ["", _("Ranger's note:"), update.note]
        if update.photos:
            lines.append(_("Photos: %(n)s (see the plot page)", n=len(update.photos)))
        lines += [
            "",
            _("See your plot: %(url)s", url=url),
            "",
            _("You receive this e-mail because you sponsor this plot."),
            "— Tanhui 碳汇",
        ]
        subject = _("Tanhui: news of your plot %(code)s", code=plot.code)
    return Mail(to=sponsor.email, subject=subject, text="\n".join(lines))
