"""What a newcomer meets on the first page: no console error from a missing icon (every browser asks
for one; without a link it asks /favicon.ico, which does not exist)."""
import re


def test_every_page_names_an_icon_that_is_served(client):
    page = client.get("/login")
    assert page.status_code == 200
    link = re.search(r'<link rel="icon" href="([^"]+)"', page.get_data(as_text=True))
    assert link is not None
    icon = client.get(link.group(1))
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    assert b"<svg" in icon.data


def test_the_icon_is_served_where_browsers_look_without_a_link(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
