"""The rendered site: report pages, the quarter page, the home page and the SOP chapters.

``playbook run`` names the renderer by module (``helpers.site``): these are its
entry points (and the decision brief beside each quarter page).
"""

from helpers.site.brief import write_brief
from helpers.site.pages import publish_site_pages, render_notebook, render_quarter_page

__all__ = ["publish_site_pages", "render_notebook", "render_quarter_page", "write_brief"]
