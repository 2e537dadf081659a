"""Entry point for `python app.py [serve options]` and Hugging Face Spaces: same as `openvino-ui serve`."""

import sys

from openvino_ui.cli import run

if __name__ == "__main__":
    sys.exit(run(["serve", *sys.argv[1:]]))
