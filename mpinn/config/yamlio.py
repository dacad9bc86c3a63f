"""Reading and writing configuration YAML safely.

A config file comes from anywhere (a colleague, a sweep on another machine), so reading
one must neither hang nor exhaust memory, and every mistake is one line naming the file
and, where known, the line:

* files over :data:`MAX_BYTES` are refused before parsing, and at most that much is read
  (``--config /dev/zero`` stops there);
* anchors and aliases (``&name``, ``*name``) are refused: a few hundred bytes of nested
  aliases ("billion laughs") expand to gigabytes, and a recursive anchor never ends;
  merge keys (``<<``) go with them;
* nesting deeper than :data:`MAX_DEPTH` is refused (the composer is recursive);
* a key given twice in one mapping is an error (YAML would keep the last silently);
  keys are text;
* a UTF-8 byte-order mark is accepted; a binary or non-UTF-8 file is one line.

Scalars follow YAML 1.2 where YAML 1.1 surprises: only ``true``/``false`` are booleans
(``yes``, ``no``, ``on``, ``off`` are text, so ``ensemble: on`` means "on" and
``normalize_inputs: yes`` is refused as not a boolean), and ``1e3``/``5e-4`` are numbers.
:func:`dump` quotes any text that either reading would turn into something else.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from .errors import ConfigError, one_line

try:  # libyaml's scanner and parser (4-5x faster); the composer stays in Python
    from yaml._yaml import CParser as _CParser
except ImportError:  # pragma: no cover - PyYAML without libyaml
    _CParser = None

MAX_BYTES = 1 << 20  # 1 MiB: the shipped configs are under 2 KB
MAX_DEPTH = 64  # nested mappings/lists

_BOOL = "tag:yaml.org,2002:bool"
_FLOAT = "tag:yaml.org,2002:float"
_MERGE = "tag:yaml.org,2002:merge"
# 1e3, 5e-4, 1.0e3: numbers in YAML 1.2, text in YAML 1.1 (which wants a dot and a sign)
_EXP_FLOAT = re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$")


if _CParser is not None:

    class _Base(Composer, _CParser, SafeConstructor, Resolver):
        """``yaml.CSafeLoader`` with Python's composer (which :class:`_Loader` hooks)."""

        def __init__(self, stream):
            _CParser.__init__(self, stream)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

else:  # pragma: no cover
    _Base = yaml.SafeLoader


class _Loader(_Base):
    """A safe loader without aliases, duplicate keys, deep nesting or YAML 1.1 booleans."""

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL]
        for first, resolvers in Resolver.yaml_implicit_resolvers.items()
    }

    def __init__(self, stream, source: str):
        super().__init__(stream)
        self.source = source
        self.depth = 0

    def _fail(self, mark, message: str):
        where = f"{self.source}:{mark.line + 1}" if mark is not None else self.source
        return ConfigError(f"{where}: {message}")

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise self._fail(
                event.start_mark,
                f"YAML aliases (*{event.anchor}) are not allowed in config files; "
                "write the value out",
            )
        if getattr(event, "anchor", None) is not None:
            raise self._fail(
                event.start_mark,
                f"YAML anchors (&{event.anchor}) are not allowed in config files; "
                "write the value out",
            )
        if self.depth >= MAX_DEPTH:
            raise self._fail(event.start_mark, f"nested more than {MAX_DEPTH} levels deep")
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict = {}
            for key_node, _ in node.value:
                line = key_node.start_mark.line + 1
                if key_node.tag == _MERGE:
                    raise self._fail(key_node.start_mark, "merge keys (<<) are not allowed")
                key = self.construct_object(key_node, deep=True)
                if not isinstance(key, str):
                    text = repr(key) if len(repr(key)) <= 60 else repr(key)[:57] + "..."
                    raise self._fail(key_node.start_mark, f"keys are text, not {text}")
                if key in seen:
                    raise self._fail(
                        key_node.start_mark,
                        f"duplicate key '{key}' (first given on line {seen[key]})",
                    )
                seen[key] = line
        return super().construct_mapping(node, deep=deep)


_Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), "tTfF")
_Loader.add_implicit_resolver(_FLOAT, _EXP_FLOAT, list("-+0123456789"))


class _Dumper(yaml.SafeDumper):
    """SafeDumper that never writes anchors, and quotes text that looks like a number to
    :class:`_Loader` (``'1e3'``) as well as text YAML 1.1 reads as a boolean (``'on'``)."""

    def ignore_aliases(self, data):
        return True


_Dumper.add_implicit_resolver(_FLOAT, _EXP_FLOAT, list("-+0123456789"))


def _yaml_error(source: str, exc: yaml.YAMLError) -> ConfigError:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None)
    if problem is not None:
        context = getattr(exc, "context", None)
        what = f"{context}: {problem}" if context else problem
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        return ConfigError(f"{where}: invalid YAML: {one_line(what)}")
    if isinstance(exc, yaml.reader.ReaderError):
        return ConfigError(
            f"{source}: invalid YAML: unacceptable character #x{exc.character:04x} "
            f"at position {exc.position}"
        )
    return ConfigError(f"{source}: invalid YAML: {one_line(exc)}")


def loads(text: str, source: str = "<config>"):
    """Parse YAML text with the safe loader (any top-level value)."""
    loader = None
    try:
        loader = _Loader(text, source)
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        raise _yaml_error(source, exc) from None
    except ConfigError:
        raise
    except (ValueError, TypeError, RecursionError) as exc:
        # e.g. an integer of more than 4300 digits
        first = one_line(str(exc).split(";")[0])
        raise ConfigError(f"{source}: invalid YAML: {first}") from None
    finally:
        if loader is not None and hasattr(loader, "dispose"):
            loader.dispose()


def read_bytes(path: str | Path, limit: int = MAX_BYTES) -> bytes:
    """At most ``limit`` bytes of a file, refusing a larger one (checked before reading
    where the size is known, and by reading one byte more where it is not)."""
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > limit:
                raise ConfigError(
                    f"{path}: {size} bytes, over the {limit} byte limit of a config file"
                )
            data = fh.read(limit + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise ConfigError(f"{path}: over the {limit} byte limit of a config file")
    return data


def decode(data: bytes, source: str) -> str:
    """UTF-8 text (a byte-order mark is dropped); a binary file is one line."""
    if b"\0" in data:
        raise ConfigError(f"{source}: a binary file (NUL bytes), not a YAML config")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{source}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None


def read_yaml(path: str | Path) -> dict:
    """A config file as a dict (empty file: ``{}``), read safely (see the module doc)."""
    source = str(path)
    data = loads(decode(read_bytes(path), source), source)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: a config file is a mapping of keys to values")
    return data


def parse_scalar(text: str, source: str = "--set"):
    """A command-line value in YAML syntax (numbers, true/false, text, [lists]); text
    that is not valid YAML stays text."""
    try:
        return loads(text, source)
    except ConfigError as exc:
        if "invalid YAML" in str(exc):
            return text
        raise


def dump(data) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False)
