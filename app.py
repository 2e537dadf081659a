"""Entry point for `python app.py [serve options]` and Hugging Face Spaces: same as `openvino-ui serve`."""

import sys

from openvino_ui.cli import main

if __name__ == "__main__":
    sys.exit(main(["serve", *sys.argv[1:]]))
