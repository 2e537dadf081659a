"""The public API must not change by accident: compare view_api() with the checked-in golden file.

After an intended change, regenerate it: UPDATE_GOLDEN=1 pytest tests/api/test_golden_api.py
"""

import json
import os
from pathlib import Path

GOLDEN = Path(__file__).with_name("golden_api.json")


def _normalized(api: dict) -> dict:
    # example values depend on the fixtures' temporary paths; the shape is what matters
    text = json.dumps(api, sort_keys=True)
    data = json.loads(text)
    for section in data.values():
        for endpoint in section.values():
            for param in endpoint.get("parameters", []):
                param.pop("example_input", None)
    return data


def test_api_matches_golden_file(client):
    api = _normalized(client.view_api(return_format="dict", print_info=False))
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(api, indent=1, sort_keys=True) + "\n")
    golden = json.loads(GOLDEN.read_text())
    assert api == golden, (
        "the public API changed: check it, then UPDATE_GOLDEN=1 pytest tests/api/test_golden_api.py"
    )


def test_public_endpoints_are_exactly_the_documented_ones(client):
    api = client.view_api(return_format="dict", print_info=False)
    assert set(api["unnamed_endpoints"]) == set()
    named = set(api["named_endpoints"])
    assert {"/chat", "/models", "/devices", "/load_model", "/unload_model", "/stats"} <= named
    # glue events (refresh, clear, stop, timers) must not leak into the API
    assert all(not name.startswith("/lambda") and "take_message" not in name for name in named)
