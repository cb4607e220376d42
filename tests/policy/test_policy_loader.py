"""The loader: line numbers, every issue at once, no duplicates, no inline secrets, frozen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pydantic
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from policy_cases import base, load

from resguardo.errors import PolicyError
from resguardo.policy import check_policy_text, load_policy, parse_policy
from resguardo.policy.loader import format_path

CANARY = "sk-canary-0123456789abcdef"

HEADER = "controller: {name: A, contact: a@a.example}\n"  # line 1


def _issues(text: str) -> list[str]:
    loaded, issues = check_policy_text(text, filename="resguardo.yaml")
    assert loaded is None
    return [str(i) for i in issues]


def test_enum_error_names_file_line_and_field() -> None:
    """A bad legal basis is reported as file:line: workflows[i].legal_basis with the options."""
    text = HEADER + (
        "workflows:\n"                   # 2
        "  - id: a\n"                    # 3
        "    purpose: p\n"               # 4
        "  - id: b\n"                    # 5
        "    purpose: p\n"               # 6
        "    legal_basis: because\n"     # 7
    )
    [issue] = _issues(text)
    assert issue.startswith("resguardo.yaml:7: workflows[1].legal_basis: Input should be "
                            "'consent', 'contract'")
    assert "because" not in issue


def test_missing_field_points_at_its_parent_entry() -> None:
    """A required field that is absent is located at the entry that lacks it."""
    text = HEADER + "providers:\n  - id: p1\n    adapter: demo\n    tier: local\n    country: ES\n"
    [issue] = _issues(text)
    assert issue == "resguardo.yaml:3: providers[0].trains_on_data: Field required"


def test_all_problems_are_collected_not_just_the_first() -> None:
    """Three independent mistakes give three issues, in line order."""
    text = (
        "controller: {name: A}\n"                       # 1: contact missing
        "audit_retention_days: -1\n"                    # 2
        "workflows:\n"                                  # 3
        "  - {id: Bad Id, purpose: p}\n"                # 4
    )
    issues = _issues(text)
    assert [i.split(":")[1] for i in issues] == ["1", "2", "4"]
    assert any("controller.contact: Field required" in i for i in issues)


def test_duplicate_key_is_refused_with_both_lines() -> None:
    """A key written twice in one mapping is an error naming the first occurrence."""
    text = HEADER + "audit_retention_days: 30\naudit_retention_days: 60\n"
    assert _issues(text) == [
        "resguardo.yaml:3: audit_retention_days: duplicate key (first written at line 2)"
    ]


@pytest.mark.parametrize("section", ["providers", "workflows", "categories", "collections"])
def test_duplicate_id_is_refused(section: str) -> None:
    """Two entries with the same id in one section are an error at the second one."""
    data = base()
    if section == "categories":
        data["categories"] = [{"id": "personal", "risk": "high"}, {"id": "personal",
                                                                     "risk": "low"}]
    else:
        data[section].append(dict(data[section][0]))
    with pytest.raises(PolicyError) as info:
        load(data)
    assert any(f"{section}[" in i and "duplicate id" in i for i in info.value.issues)


def test_duplicate_retention_rule_for_a_category_is_refused() -> None:
    """Two retention rules for one category would leave the period ambiguous."""
    data = base()
    data["retention"].append({"category": "personal", "days": 10})
    with pytest.raises(PolicyError, match="duplicate category 'personal'"):
        load(data)


@pytest.mark.parametrize("key", ["api_key", "key", "token", "password", "secret"])
def test_inline_secret_is_refused_without_echoing_it(key: str) -> None:
    """An inline credential is an error that says to use a reference and never shows the value."""
    data = base()
    data["providers"][0][key] = CANARY
    with pytest.raises(PolicyError) as info:
        load(data)
    text = str(info.value) + "".join(info.value.issues) + repr(info.value.__dict__)
    assert CANARY not in text
    assert f"providers[0].{key}: credentials must be references, never inline" in text


def test_inline_credential_string_is_refused() -> None:
    """`credential: sk-...` (a string instead of {env|file}) is refused, value not echoed."""
    data = base()
    data["providers"][0]["credential"] = CANARY
    with pytest.raises(PolicyError) as info:
        load(data)
    assert CANARY not in str(info.value)
    assert "providers[0].credential: credentials must be references" in str(info.value)


def test_key_pasted_into_credential_env_is_refused_without_echo() -> None:
    """credential.env must be a variable name; a pasted key is refused and not echoed."""
    data = base()
    data["providers"][0]["credential"] = {"env": CANARY}
    with pytest.raises(PolicyError) as info:
        load(data)
    assert CANARY not in str(info.value)
    assert "credential.env: must be the NAME of an environment variable" in str(info.value)


def test_password_in_base_url_is_refused_without_echo() -> None:
    """A base_url with user:password@ is refused and not echoed."""
    data = base()
    data["providers"][0]["base_url"] = f"https://user:{CANARY}@eu.example/v1"
    with pytest.raises(PolicyError) as info:
        load(data)
    assert CANARY not in str(info.value)
    assert "base_url must not embed a user or password" in str(info.value)


def test_wrongly_typed_secret_is_not_echoed_by_validation() -> None:
    """A value in the wrong field type appears in no message (pydantic's input is dropped)."""
    data = base()
    data["workflows"][0]["retention_days"] = CANARY
    with pytest.raises(PolicyError) as info:
        load(data)
    assert CANARY not in str(info.value)
    assert "workflows[0].retention_days" in str(info.value)


def test_yaml_syntax_error_has_a_line_and_no_quoted_source() -> None:
    """A syntax error names the line, without quoting the (possibly secret) source."""
    text = HEADER + f"providers: [\n  {{id: x, note: {CANARY}\n"
    [issue] = _issues(text)
    assert issue.startswith("resguardo.yaml:") and "YAML syntax error" in issue
    assert CANARY not in issue


@pytest.mark.parametrize(("text", "message"), [
    ("", "the file is empty"),
    ("- a\n- b\n", "the file must be a YAML mapping"),
    (HEADER + "base: &b {x: 1}\nother:\n  <<: *b\n", "merge keys"),
])
def test_unusable_documents_are_refused(text: str, message: str) -> None:
    """Empty files, non-mapping roots and merge keys are refused with a clear message."""
    assert any(message in i for i in _issues(text))


def test_alias_bomb_is_refused() -> None:
    """A document that expands exponentially through aliases is refused, not built."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 8)]
    assert any("expands to more than" in i for i in _issues("\n".join(lines) + "\n"))


def test_loaded_policy_is_frozen() -> None:
    """The policy cannot be changed after loading."""
    loaded = load(base())
    with pytest.raises(pydantic.ValidationError):
        loaded.policy.workflows[0].retention_days = 99  # type: ignore[misc]
    with pytest.raises(TypeError):
        loaded.source_map[("x",)] = 1  # type: ignore[index]


def test_source_map_records_nested_lines() -> None:
    """Field paths map to the line where they were written."""
    text = HEADER + "workflows:\n  - id: a\n    purpose: p\n    providers:\n      - demo\n"
    loaded = parse_policy(text, filename="f.yaml")
    assert loaded.source_map[("workflows", 0, "providers", 0)] == 6
    assert loaded.line_of("workflows", 0, "purpose") == 4
    assert loaded.line_of("workflows", 0, "legal_basis") == 3  # absent: nearest parent


def test_load_policy_reads_a_file_and_keeps_its_path(tmp_path: Path) -> None:
    """load_policy returns the path and names the file in errors."""
    good = tmp_path / "resguardo.yaml"
    good.write_text(HEADER, encoding="utf-8")
    assert load_policy(good).path == good
    bad = tmp_path / "bad.yaml"
    bad.write_text(HEADER + "version: 2\n", encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load_policy(bad)
    assert info.value.issues[0].startswith(f"{bad}:2: version:")


def test_missing_file_is_a_policy_error(tmp_path: Path) -> None:
    """A missing file raises PolicyError, not OSError."""
    with pytest.raises(PolicyError, match="cannot read the policy file"):
        load_policy(tmp_path / "nope.yaml")


def test_default_categories_apply_when_none_are_declared() -> None:
    """Omitting categories gives the DESIGN.md defaults."""
    ids = {c.id for c in parse_policy(HEADER, filename="f").policy.categories}
    assert {"personal", "financial", "special", "confidential"} <= ids


def test_format_path_renders_indices_and_keys() -> None:
    """Paths read as in the YAML: workflows[2].providers[0]."""
    assert format_path(("workflows", 2, "providers", 0)) == "workflows[2].providers[0]"
    assert format_path(()) == "(root)"


def test_norway_stays_a_country_and_yes_stays_a_boolean() -> None:
    """`country: NO` is Norway (not False), while `trains_on_data: no` is still False."""
    text = HEADER + (
        "providers:\n  - {id: oslo, adapter: demo, tier: local, trains_on_data: no, country: NO}\n"
    )
    [provider] = parse_policy(text, filename="f").policy.providers
    assert (provider.country, provider.trains_on_data, provider.in_eea) == ("NO", False, True)


@settings(max_examples=60, deadline=None)
@given(
    secret=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=12, max_size=40),
    where=st.sampled_from([
        ("providers", 0, "country"), ("providers", 0, "api_key"), ("providers", 0, "tier"),
        ("workflows", 0, "legal_basis"), ("workflows", 0, "retention_days"),
        ("workflows", 0, "id"), ("controller", "dpo_phone"),
    ]),
)
def test_no_error_message_echoes_a_misplaced_value(secret: str, where: tuple[Any, ...]) -> None:
    """Whatever field a key-like value lands in, the errors name the field, not the value."""
    data = base()
    target: Any = data
    for part in where[:-1]:
        target = target[part]
    target[where[-1]] = "sk-Live" + secret  # never a valid id, country or enum value
    loaded, issues = check_policy_text(yaml.safe_dump(data), filename="f.yaml")
    assert loaded is None and issues
    assert all(secret not in str(i) for i in issues)


def test_public_names_are_all_importable() -> None:
    """Every name in resguardo.policy.__all__ exists."""
    import resguardo.policy as package

    assert all(hasattr(package, name) for name in package.__all__)
