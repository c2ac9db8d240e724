"""Jinja2 templates and static files shipped inside the package."""

from pathlib import Path

from fastapi.templating import Jinja2Templates

PACKAGE = Path(__file__).resolve().parent.parent
templates = Jinja2Templates(directory=PACKAGE / "templates")
STATIC_DIR = PACKAGE / "static"
