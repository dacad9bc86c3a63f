"""A readable summary of a lowered :class:`~mpinn.ir.Problem` (``mpinn check FILE.mp``).

``render(problem, console)`` prints the problem the way it would be written on paper:
coordinates and domain, fields and their output transforms, parameters with values,
network features, every equation and condition in mathematical notation (``u_xx``, not
``Derivative(u(x), (x, 2))``), which boundary pieces each condition covers, its form, the
exact solutions and the warnings. ``format_expr(expr)`` is the expression printer it uses.

Every line goes through :func:`mpinn.lang.diagnostics.printable` (control characters,
bidirectional overrides, ... shown as ``\\x1b``-style escapes; the parser refuses them in a
problem file, this is the second line of defence) and rich's markup escaping, and is
printed with ``highlight=False``: rich's automatic highlighter runs regular expressions that
take quadratic time on long words (``(?P<call>[\\w.]*?)\\(`` rescans the rest of a word
from every position), which made a 60 kB title take over a minute to print.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..ir import NET, CoordPiece, Problem, Section, ShapePiece, WholeBoundary, format_expr
from ..ir.shapes import Combine, Named, Primitive
from ..lang.diagnostics import printable

__all__ = ["render", "face_text"]


def face_text(problem: Problem, face) -> str:
    """``x = 0`` for a face of the box, with the numeric value when the bound is symbolic;
    a piece of a shaped domain by its shape, plane or ``all``."""
    if isinstance(face, ShapePiece):
        return f"shape {face.name}"
    if isinstance(face, WholeBoundary):
        return "the whole boundary"
    if isinstance(face, CoordPiece):
        return f"{problem.space[face.axis].name} = {format_expr(face.value)}"
    coord = problem.space[face.axis].name
    bound = problem.bounds[face.axis][face.side]
    text = f"{coord} = {format_expr(bound)}"
    if not bound.is_Number:
        try:
            lo, hi, _ = problem.extent()
            value = lo[face.axis] if face.side == 0 else hi[face.axis]
            text += f" ({value:g})"
        except (ValueError, KeyError):  # pragma: no cover - values were checked when lowering
            pass
    return text


def _interval(problem: Problem, pair, numeric) -> str:
    lo, hi = pair
    text = f"[{format_expr(lo)}, {format_expr(hi)}]"
    if not (lo.is_Number and hi.is_Number) and numeric is not None:
        text += f" = [{numeric[0]:g}, {numeric[1]:g}]"
    return text


def _value(v: float) -> str:
    return f"{v:.6g}"


def render(problem: Problem, console: Console) -> None:
    """Print the lowered system of ``problem`` on ``console`` (what ``mpinn check`` shows)."""

    def out(*items) -> None:
        shown = (printable(item) if isinstance(item, str) else item for item in items)
        console.print(*shown, highlight=False)

    heading = f"[bold]{escape(printable(problem.name))}[/bold]"
    if problem.title:
        heading += f" — {escape(printable(problem.title))}"
    out(heading)
    out(f"[dim]{escape(printable(str(problem.filename)))}[/dim]")

    # --- domain
    try:
        values = problem.param_values()
        lo, hi, time = problem.extent(values)
    except (ValueError, KeyError):  # pragma: no cover - checked when lowering
        values, lo, hi, time = {}, None, None, None
    coords = ", ".join(s.name for s in problem.space)
    coords = f"({coords})" if problem.dim > 1 else coords
    pieces = [
        _interval(problem, pair, (lo[i], hi[i]) if lo else None)
        for i, pair in enumerate(problem.bounds)
    ]
    out()
    where = " x ".join(pieces) if problem.shape is None else shape_text(problem.shape, top=True)
    out(f"[bold]domain[/bold]  {escape(coords)} in {escape(where)}   [dim]({problem.dim}D)[/dim]")
    if problem.shape is not None and lo is not None:
        box = " x ".join(f"[{a:g}, {b:g}]" for a, b in zip(lo, hi))
        out(escape(f"        bounding box {box}"))
        for name, node in problem.shapes.items():
            out(escape(f"  shape {name} = {shape_text(node.shape, top=True)}"))
    if problem.periodic:
        axes = ", ".join(problem.space[a].name for a in problem.periodic)
        out(f"[bold]periodic[/bold] {escape(axes)}  [dim](exact: periodic network inputs)[/dim]")
    if problem.time is not None:
        numeric = time[1:] if time else None
        out(
            f"[bold]time[/bold]    {escape(problem.time.name)} in "
            f"{escape(_interval(problem, problem.time_bounds, numeric))}"
        )

    # --- fields
    out()
    out("[bold]fields[/bold]")
    args = ", ".join(c.name for c in problem.coords)
    for name in problem.fields:
        line = f"  {name}({args})"
        if name in problem.outputs:
            transform = format_expr(problem.outputs[name])
            line += f"   output {name} = {transform}"
            if problem.outputs[name] != NET:
                line += "  (net = raw network output)"
        out(escape(line))

    # --- parameters
    if problem.params:
        out()
        table = Table(title=None, box=None, show_header=True, header_style="bold", pad_edge=False)
        table.add_column("param")
        table.add_column("value", justify="right")
        table.add_column("definition")
        for name, par in problem.params.items():
            derived = not par.expr.is_Number
            value = _value(values[name]) if name in values else "?"
            note = (
                escape(f"= {format_expr(par.expr)}") + "  [dim](derived)[/dim]" if derived else ""
            )
            if par.unknown:
                where = (
                    f" in [{format_expr(par.bounds[0])}, {format_expr(par.bounds[1])}]"
                    if par.bounds
                    else ""
                )
                note = f"[magenta]unknown[/magenta]: initial guess{escape(where)}"
            table.add_row(escape(printable(name)), value, note)
        out(table)

    # --- features, definitions
    if problem.features:
        out()
        out("[bold]features[/bold] [dim](extra network inputs)[/dim]")
        for name, expr in problem.features.items():
            out(escape(f"  {name} = {format_expr(expr)}"))
    if problem.let_functions or problem.lets:
        out()
        out("[bold]definitions[/bold] [dim](let; substituted into the equations)[/dim]")
        for name, (params, body) in problem.let_functions.items():
            out(escape(f"  {name}({', '.join(params)}) = {body}"))
        for name, expr in problem.lets.items():
            out(escape(f"  {name} = {format_expr(expr)}"))

    # --- exact solutions
    if problem.exact:
        out()
        out("[bold]exact solutions[/bold]")
        for name, expr in problem.exact.items():
            out(escape(f"  {name}* = {format_expr(expr)}"))

    # --- equations
    out()
    out(
        f"[bold]equations[/bold] [dim]({len(problem.equations)} for "
        f"{len(problem.fields)} fields)[/dim]"
    )
    for term in problem.equations:
        out(
            f"  [cyan]{escape(term.name)}[/cyan]: "
            f"{escape(format_expr(term.lhs))} = {escape(format_expr(term.rhs))}"
        )

    # --- conditions
    if problem.conditions:
        out()
        out("[bold]conditions[/bold]")
        for term in problem.conditions:
            if term.kind == "bc":
                where = "on " + ", ".join(face_text(problem, f) for f in term.region)
            else:
                t0 = problem.time_bounds[0] if problem.time_bounds else 0
                where = (
                    f"at {problem.time.name} = {format_expr(t0)}"
                    if problem.time is not None
                    else "initial"
                )
            out(
                f"  [cyan]{escape(term.name)}[/cyan] [dim]({term.kind}, {term.form or 'general'}, "
                f"{escape(where)})[/dim]"
            )
            out(f"      {escape(format_expr(term.lhs))} = {escape(format_expr(term.rhs))}")
    if problem.data:
        out()
        out("[bold]data[/bold] [dim](measured values; one loss term per field)[/dim]")
        for ds in problem.data.values():
            terms = ", ".join(ds.term_name(f) for f in ds.fields)
            out(
                f"  [cyan]{escape(printable(terms))}[/cyan]: {escape(', '.join(ds.fields))} at "
                f"{len(ds.points)} points from {escape(printable(ds.path))}"
            )
    if problem.quantities:
        out()
        out("[bold]quantities[/bold]")
        for q in problem.quantities.values():
            expect = f"   expect {q.expect:.6g}" if q.expect is not None else ""
            out(
                f"  [cyan]{escape(q.name)}[/cyan] = "
                + escape(f"integral({format_expr(q.expr)}, {_region_text(problem, q.region)})")
                + escape(expect)
            )
    if problem.boundaries:
        out()
        out("[bold]boundaries[/bold]")
        for name, faces in problem.boundaries.items():
            out(escape(f"  {name}: " + ", ".join(face_text(problem, f) for f in faces)))

    # --- warnings
    out()
    if problem.warnings:
        out(
            f"[yellow]{len(problem.warnings)} warning"
            f"{'s' if len(problem.warnings) != 1 else ''}[/yellow]"
        )
        for warning in problem.warnings:  # one line at a time: out() escapes line breaks
            for line in warning.format().splitlines():
                out(f"[yellow]{escape(line)}[/yellow]")
    else:
        out("[green]no warnings[/green]")


_OPS = {"union": "+", "difference": "-", "intersection": "&"}


def shape_text(node, top: bool = False) -> str:
    """A shape tree as the language writes it (declared shapes by name)."""
    if isinstance(node, Named) and not top:
        return node.name
    if isinstance(node, Named):
        return shape_text(node.shape)
    if isinstance(node, Primitive):
        args = ", ".join(
            "(" + ", ".join(format_expr(c) for c in a) + ")"
            if isinstance(a, tuple)
            else format_expr(a)
            for a in node.args
        )
        return f"{node.kind}({args})"
    assert isinstance(node, Combine)
    text = f"{shape_text(node.left)} {_OPS[node.op]} {shape_text(node.right)}"
    return text if top else f"({text})"


def _region_text(problem: Problem, region) -> str:
    if region is None:
        return "domain"
    if isinstance(region, Section):
        return f"{problem.space[region.axis].name} = {format_expr(region.value)}"
    return " or ".join(face_text(problem, p) for p in region)
