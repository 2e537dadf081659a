"""openvino-ui: a local multimodal AI workbench for Intel hardware, served through OpenVINO."""

__version__ = "0.1.0"
