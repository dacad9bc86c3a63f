"""mpinn: coupled multiphysics PDE systems solved with physics-informed neural networks."""

__version__ = "0.1.0"
