from openapi_spec_validator import validate

from postal_gateway.api.spec import build_document


def test_openapi_document_is_valid(client):
    document = client.get("/api/v1/openapi.json").get_json()
    validate(document)


def test_every_api_route_is_documented(app):
    documented = {
        (path, method.upper())
        for path, operations in build_document()["paths"].items()
        for method in operations
    }
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint.startswith("api."):
            continue
        path = rule.rule.removeprefix("/api/v1")
        for segment in rule.arguments:
            path = path.replace(f"<{segment}>", f"{{{segment}}}")
            for converter in ("int", "string", "path"):
                path = path.replace(f"<{converter}:{segment}>", f"{{{segment}}}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if (path, method) not in documented:
                missing.append(f"{method} {path}")
    assert not missing, f"undocumented API routes: {missing}"


def test_docs_page_renders(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200


def test_the_document_is_the_same_however_often_it_is_built(app):
    """Generating the document must not consume the stored schemas (nested models vanished on a second build)."""
    first, second = build_document(), build_document()
    assert first == second
    assert "CollectionPlace" in second["components"]["schemas"]


def test_a_body_judged_item_by_item_is_described_with_its_models(app):
    body = build_document()["paths"]["/shipments/{shipment_id}/events"]["post"]["requestBody"]
    schema = body["content"]["application/json"]["schema"]
    assert {"$ref": "#/components/schemas/ShipmentEvent"} in schema["anyOf"]
    assert "ShipmentEvent" in build_document()["components"]["schemas"]
