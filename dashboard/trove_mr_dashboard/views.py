"""View parts shared by the panels."""

from django.utils.translation import gettext_lazy as _
from horizon import exceptions

from trove_mr_dashboard import api


def filtered(table, rows):
    """Rows matching the table's server-side filter (region or name)."""
    field = table.get_filter_field()
    text = (table.get_filter_string() or '').strip().lower()
    if not text or field not in ('region', 'name'):
        return rows
    return [row for row in rows
            if text in str(row.get(field) or '').lower()]


class RegionsBannerMixin:
    """The regions the last list could not reach, for the banner the
    index templates show (as the API reports them)."""

    unavailable_regions = ()

    def listed(self, fetch, what):
        try:
            rows = fetch(self.request)
        except Exception as exc:
            exceptions.handle(self.request, _('Unable to list %(what)s: '
                                              '%(err)s') % {
                'what': what, 'err': api.error_text(exc)})
            return []
        self.unavailable_regions = rows.unavailable_regions
        return rows

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context['unavailable_regions'] = self.unavailable_regions
        return context


class ModalFormMixin:
    """A modal form (or its page when opened directly) with help text on
    its right; the form posts back to where it was opened."""
    template_name = 'trove_mr/modal_page.html'
    ajax_template_name = 'trove_mr/_modal_form.html'
    help_text = ''

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context['submit_url'] = self.request.path
        context['help_text'] = self.help_text
        return context
