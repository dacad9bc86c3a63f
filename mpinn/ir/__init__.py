"""Stage 2, the symbolic problem: :class:`Problem`, its terms and parameters, as sympy
objects (no torch). Built by :mod:`mpinn.lower`, read by every later stage."""

from .numeric import format_value, to_float
from .printing import format_expr
from .problem import (
    NET,
    ConditionForm,
    DataSet,
    Param,
    Problem,
    Quantity,
    Term,
    TermKind,
    data_symbol,
    normal_symbols,
    output_fields,
    output_order,
)
from .regions import (
    FACE_NAMES,
    BoundaryPiece,
    CoordPiece,
    Face,
    Plane,
    Section,
    ShapePiece,
    WholeBoundary,
    box_faces,
    face_by_name,
)

__all__ = [
    "NET",
    "ConditionForm",
    "DataSet",
    "Param",
    "Problem",
    "Quantity",
    "CoordPiece",
    "Section",
    "ShapePiece",
    "WholeBoundary",
    "Term",
    "TermKind",
    "data_symbol",
    "normal_symbols",
    "output_fields",
    "output_order",
    "to_float",
    "format_value",
    "format_expr",
    "FACE_NAMES",
    "BoundaryPiece",
    "Face",
    "Plane",
    "box_faces",
    "face_by_name",
]
