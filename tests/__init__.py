"""Whole-system tests: the OpenAPI contract, the browser journey, the authorization matrix."""
