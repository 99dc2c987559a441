"""Server-rendered review pages for humans (jinja2, autoescaped, no front-end build)."""
