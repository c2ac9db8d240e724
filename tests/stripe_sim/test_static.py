"""The Stripe.js stand-in route, where real Stripe serves js.stripe.com/v3/."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from stripe_sim import app


@pytest.mark.parametrize("path", ["/v3", "/v3/", "/v3/stripe.js"])
def test_serves_stripe_js(
    http: httpx.Client, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, path: str
) -> None:
    (tmp_path / "stripe.js").write_text("window.Stripe = function () {};\n")
    monkeypatch.setattr(app, "STATIC_DIR", tmp_path)

    response = http.get(path)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.text == "window.Stripe = function () {};\n"


def test_missing_stripe_js_is_404(
    http: httpx.Client, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(app, "STATIC_DIR", tmp_path)

    response = http.get("/v3/")

    assert response.status_code == 404
    assert "Stripe.js stand-in" in response.json()["error"]["message"]
