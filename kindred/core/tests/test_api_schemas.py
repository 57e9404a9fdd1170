"""The OpenAPI document names each schema once: django-ninja keys components by class name, so two
routers with a `MemberOut` each would silently describe one with the other's fields."""

from __future__ import annotations

import importlib
import pkgutil
from collections import defaultdict

from django.test import Client
from ninja import Schema

import kindred


def _schema_classes() -> dict[str, list[str]]:
    names: dict[str, list[str]] = defaultdict(list)
    for info in pkgutil.iter_modules(kindred.__path__):
        if not info.ispkg:
            continue
        try:
            module = importlib.import_module(f"kindred.{info.name}.schemas")
        except ModuleNotFoundError:
            continue
        for attr, value in vars(module).items():
            if isinstance(value, type) and issubclass(value, Schema) and value.__module__ == module.__name__:
                names[attr].append(module.__name__)
    return names


def test_schema_class_names_are_unique_across_apps() -> None:
    names = _schema_classes()
    assert names, "no schemas found"
    clashes = {name: modules for name, modules in names.items() if len(modules) > 1}
    assert not clashes, f"schema names defined in more than one app (OpenAPI would merge them): {clashes}"


def test_openapi_components_match_their_classes(client: Client) -> None:
    doc = client.get("/api/v1/openapi.json").json()
    components = doc["components"]["schemas"]
    for name, modules in _schema_classes().items():
        if name not in components:
            continue
        cls = getattr(importlib.import_module(modules[0]), name)
        documented = set(components[name].get("properties", {}))
        assert documented == set(cls.model_fields), f"{name}: {documented} != {set(cls.model_fields)}"
