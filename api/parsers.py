"""The one request parser: JSON, size-capped and depth-capped, so no body can cause a 500."""

from __future__ import annotations

import codecs
import json

from django.conf import settings
from rest_framework import exceptions, status
from rest_framework.parsers import BaseParser
from rest_framework.settings import api_settings
from rest_framework.utils import json as drf_json

from studio.numbers import whole_number

MAX_DEPTH = 32


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "request_too_large"


def max_body_size() -> int:
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2_621_440)


def _depth(value, limit: int) -> int:
    """Nesting depth of a parsed JSON value, iteratively (no recursion to blow up)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest


def _has_nul(value) -> bool:
    """Whether a string anywhere in the value (keys included) holds U+0000, iteratively."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class JSONParser(BaseParser):
    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        limit = max_body_size()
        request = parser_context.get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        declared_size = whole_number(declared, max_digits=None)
        if declared_size is not None and declared_size > limit:
            raise RequestTooLarge()
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise RequestTooLarge()
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            codecs.lookup(encoding)
            text = raw.decode(encoding)
            parse_constant = drf_json.strict_constant if api_settings.STRICT_JSON else None
            data = json.loads(text, parse_constant=parse_constant)
        except (ValueError, LookupError, RecursionError) as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}") from exc
        if _depth(data, MAX_DEPTH) > MAX_DEPTH:
            raise exceptions.ParseError(f"JSON is nested more than {MAX_DEPTH} levels deep.")
        # PostgreSQL's text and jsonb cannot store U+0000: refused here, on every database, with
        # a message rather than a 500 from the INSERT.
        if _has_nul(data):
            raise exceptions.ParseError("Text may not contain the NUL character (\\u0000).")
        return data
