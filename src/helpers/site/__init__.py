"""The rendered site: report pages, the quarter page, the home page and the SOP chapters.

``playbook run`` names the renderer by module (``helpers.site``): these are its
three entry points.
"""

from helpers.site.pages import publish_site_pages, render_notebook, render_quarter_page

__all__ = ["publish_site_pages", "render_notebook", "render_quarter_page"]
