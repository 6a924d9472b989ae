"""The OpenAPI document is generated from the code and covers every route with its problems."""

from __future__ import annotations

import re
from typing import Any

from guanxi_api.app import create_app


async def test_openapi_lists_every_api_route_with_problem_responses(client: Any) -> None:
    response = await client.get("/api/schema/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    documented = {(path, method.upper()) for path, item in document["paths"].items() for method in item}

    app = create_app()
    served = {
        (re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path), method)
        for route in app.routes
        if route.path.startswith("/api/v1") or route.path in ("/health", "/ready")
        for method in getattr(route, "methods", set())
        if method not in ("HEAD", "OPTIONS")
    }
    assert served <= documented, served - documented

    for path, item in document["paths"].items():
        if not path.startswith("/api/v1"):
            continue
        for method, operation in item.items():
            codes = set(operation["responses"])
            assert any(code.startswith("2") for code in codes), (path, method)
            assert any(code.startswith("4") for code in codes), (path, method)
            if method in ("patch", "put"):
                assert "requestBody" in operation, (path, method)


async def test_openapi_documents_field_limits_and_security(client: Any) -> None:
    document = (await client.get("/api/schema/openapi.json")).json()
    schemas = document["components"]["schemas"]
    assert set(schemas["SignupRequest"]["required"]) == {"company_name", "name", "email", "password"}
    assert "Problem" in schemas and "errors" in schemas["Problem"]["properties"]
    assert {"bearer", "cookie"} <= set(document["components"]["securitySchemes"])
    signup = document["paths"]["/api/v1/signup"]["post"]
    assert signup["responses"]["409"]["content"]["application/problem+json"]
