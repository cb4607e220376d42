"""Load ``resguardo.yaml``: parse with line numbers, refuse inline secrets, validate, freeze.

Every problem is collected (not just the first) and reported as
``file:line: path: message``. Messages never echo a value from the file that could be a
secret: pydantic's input values are dropped, and an inline key is reported by its field name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from pydantic import ValidationError

from resguardo.errors import PolicyError
from resguardo.policy.schema import Policy

__all__ = [
    "FieldPath",
    "LoadedPolicy",
    "PolicyIssue",
    "check_policy_text",
    "default_policy_text",
    "format_path",
    "load_policy",
    "parse_policy",
]

FieldPath = tuple[str | int, ...]

# A policy is a few hundred lines; anything far larger is a mistake or an attack.
MAX_POLICY_BYTES = 1024 * 1024
# Aliases let a tiny file expand exponentially ("billion laughs"): cap the nodes we build.
MAX_NODES = 100_000
# Keys that would hold a credential inline. Credentials must be references (env or file).
SECRET_KEYS = frozenset(
    {"api_key", "apikey", "key", "secret", "secret_key", "token", "access_token",
     "password", "bearer", "authorization"}
)
_BOOL_TAG = "tag:yaml.org,2002:bool"
CREDENTIAL_KEYS = frozenset({"credential", "credentials"})
SECTIONS_WITH_IDS = ("categories", "providers", "workflows", "collections", "recognizers")
_INLINE_CREDENTIAL_MESSAGE = (
    "credentials must be references, never inline: use `credential: {env: VAR_NAME}` "
    "or `credential: {file: /path/to/secret}` (the value was not echoed)"
)


def format_path(path: FieldPath) -> str:
    """``("workflows", 2, "providers", 0)`` → ``workflows[2].providers[0]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(root)"


@dataclass(frozen=True)
class PolicyIssue:
    """One reason the file is invalid, located by line and field path."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}"


@dataclass(frozen=True)
class LoadedPolicy:
    """A validated, frozen policy with the file it came from and where each field was written."""

    policy: Policy
    path: Path | None
    filename: str
    source_map: Mapping[FieldPath, int] = field(default_factory=lambda: MappingProxyType({}))

    def line_of(self, *path: str | int) -> int | None:
        """The line of ``path`` in the file, or of its nearest ancestor that was written."""
        return _nearest_line(self.source_map, tuple(path))

    @classmethod
    def from_policy(cls, policy: Policy, *, filename: str = "<policy>") -> LoadedPolicy:
        """Wrap a policy built in code (no file, no line numbers)."""
        return cls(policy=policy, path=None, filename=filename)


def _nearest_line(source_map: Mapping[FieldPath, int], path: FieldPath) -> int | None:
    for end in range(len(path), -1, -1):
        line = source_map.get(path[:end])
        if line is not None:
            return line
    return None


class _Builder:
    """Turns a composed YAML node tree into plain data, recording lines and refusing duplicates."""

    def __init__(self, loader: yaml.SafeLoader, filename: str) -> None:
        self.loader = loader
        self.filename = filename
        self.lines: dict[FieldPath, int] = {}
        self.issues: list[PolicyIssue] = []
        self.count = 0
        self._stack: set[int] = set()

    def issue(self, line: int | None, path: FieldPath, message: str) -> None:
        self.issues.append(PolicyIssue(self.filename, line, format_path(path), message))

    def build(self, node: yaml.Node, path: FieldPath, line: int | None = None) -> Any:
        self.count += 1
        if self.count > MAX_NODES or id(node) in self._stack:
            raise _TooLarge
        self.lines.setdefault(path, line or node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            self._stack.add(id(node))
            try:
                return self._mapping(node, path)
            finally:
                self._stack.discard(id(node))
        if isinstance(node, yaml.SequenceNode):
            self._stack.add(id(node))
            try:
                return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
            finally:
                self._stack.discard(id(node))
        if node.tag == _BOOL_TAG and node.value.lower() not in ("true", "false"):
            # YAML 1.1 reads `country: NO` (Norway) as False. Keep yes/no/on/off as text:
            # pydantic still turns them into booleans where a boolean is expected.
            return node.value
        return self.loader.construct_object(node, deep=True)

    def _mapping(self, node: yaml.MappingNode, path: FieldPath) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                self.issue(key_line, path, "keys must be plain strings")
                continue
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.issue(key_line, path, "YAML merge keys (<<) are not supported; "
                           "write the fields out")
                continue
            key = str(self.loader.construct_object(key_node))
            if key in out:
                first = self.lines.get((*path, key))
                self.issue(key_line, (*path, key),
                           f"duplicate key (first written at line {first})")
                continue
            out[key] = self.build(value_node, (*path, key), key_line)
        return out


class _TooLarge(Exception):
    pass


def _compose(text: str, filename: str) -> tuple[Any, dict[FieldPath, int], list[PolicyIssue]]:
    loader = yaml.SafeLoader(text)
    builder = _Builder(loader, filename)
    try:
        node = loader.get_single_node()
        if node is None:
            builder.issue(None, (), "the file is empty")
            return None, builder.lines, builder.issues
        data = builder.build(node, ())
    except yaml.MarkedYAMLError as exc:
        # Only the problem and its position: str(exc) would quote the offending line.
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        builder.issue(line, (), f"YAML syntax error: {exc.problem or exc.context}")
        return None, builder.lines, builder.issues
    except yaml.YAMLError:
        builder.issue(None, (), "YAML syntax error")
        return None, builder.lines, builder.issues
    except _TooLarge:
        builder.issue(None, (), f"the document expands to more than {MAX_NODES} nodes "
                      "(or refers to itself)")
        return None, builder.lines, builder.issues
    finally:
        loader.dispose()
    return data, builder.lines, builder.issues


def _strip_inline_secrets(data: Any, path: FieldPath, report: _Reporter) -> None:
    """Report and remove every inline credential, so validation never sees it."""
    if isinstance(data, list):
        for i, item in enumerate(data):
            _strip_inline_secrets(item, (*path, i), report)
        return
    if not isinstance(data, dict):
        return
    for key in list(data):
        value = data[key]
        lowered = key.lower()
        inline_key = lowered in SECRET_KEYS and not isinstance(value, dict | list)
        inline_credential = lowered in CREDENTIAL_KEYS and isinstance(value, str | int | float)
        if inline_key or inline_credential:
            report((*path, key), _INLINE_CREDENTIAL_MESSAGE)
            del data[key]
        elif key == "base_url" and isinstance(value, str) and _has_userinfo(value):
            report((*path, key), "base_url must not embed a user or password; "
                   "use `credential:` (the value was not echoed)")
            del data[key]
        else:
            _strip_inline_secrets(value, (*path, key), report)


def _has_userinfo(url: str) -> bool:
    rest = url.split("://", 1)[1] if "://" in url else url
    return "@" in rest.split("/", 1)[0]


class _Reporter:
    def __init__(self, filename: str, lines: Mapping[FieldPath, int]) -> None:
        self.filename = filename
        self.lines = lines
        self.issues: list[PolicyIssue] = []

    def __call__(self, path: FieldPath, message: str) -> None:
        line = _nearest_line(self.lines, path)
        self.issues.append(PolicyIssue(self.filename, line, format_path(path), message))


def _check_unique_ids(data: dict[str, Any], report: _Reporter) -> None:
    for section in SECTIONS_WITH_IDS:
        _unique(data.get(section), section, "id", report)
    _unique(data.get("retention"), "retention", "category", report)


def _unique(items: Any, section: str, key: str, report: _Reporter) -> None:
    if not isinstance(items, list):
        return
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        value = item.get(key) if isinstance(item, dict) else None
        if not isinstance(value, str):
            continue
        if value in seen:
            first = report.lines.get((section, seen[value], key))
            report((section, i, key), f"duplicate {key} '{value}' in {section} "
                   f"(first at line {first})")
        else:
            seen[value] = i


def _validate(data: dict[str, Any], report: _Reporter) -> Policy | None:
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        # include_input=False: the input could be a secret pasted in the wrong field.
        for err in exc.errors(include_url=False, include_input=False, include_context=False):
            message = err["msg"].removeprefix("Value error, ")
            report(tuple(err["loc"]), message)
        return None


def check_policy_text(text: str, *, filename: str) -> tuple[LoadedPolicy | None, list[PolicyIssue]]:
    """Parse and validate; return the loaded policy (None if invalid) and every issue found."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_POLICY_BYTES:
        return None, [PolicyIssue(filename, None, "(root)",
                                  f"the file is larger than {MAX_POLICY_BYTES} bytes")]
    data, lines, issues = _compose(text, filename)
    if issues and data is None:
        return None, sorted(issues, key=_order)
    if not isinstance(data, dict):
        issues.append(PolicyIssue(filename, 1, "(root)", "the file must be a YAML mapping"))
        return None, sorted(issues, key=_order)
    report = _Reporter(filename, lines)
    _strip_inline_secrets(data, (), report)
    _check_unique_ids(data, report)
    policy = _validate(data, report)
    issues.extend(report.issues)
    if issues or policy is None:
        return None, sorted(issues, key=_order)
    return LoadedPolicy(policy, None, filename, MappingProxyType(dict(lines))), []


def _order(issue: PolicyIssue) -> tuple[int, str]:
    return (issue.line or 0, issue.path)


def parse_policy(text: str, *, filename: str) -> LoadedPolicy:
    """Parse and validate policy text; raise PolicyError listing every issue."""
    loaded, issues = check_policy_text(text, filename=filename)
    if loaded is None:
        lines = [str(i) for i in issues]
        summary = f"{filename}: the policy is invalid ({len(issues)} problem(s))"
        raise PolicyError("\n".join([summary, *lines]), issues=lines)
    return loaded


def load_policy(path: Path) -> LoadedPolicy:
    """Read, parse and validate the policy file once; the result is frozen."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8"
        message = f"{path}: cannot read the policy file ({reason})"
        raise PolicyError(message, issues=[message]) from None
    loaded = parse_policy(text, filename=str(path))
    return LoadedPolicy(loaded.policy, path, loaded.filename, loaded.source_map)


def default_policy_text() -> str:
    """The policy ``resguardo init`` writes (package data ``default.yaml``)."""
    return resources.files("resguardo.policy").joinpath("default.yaml").read_text("utf-8")
