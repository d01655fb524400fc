"""The teams section: a registry every endpoint's owner must appear in once it is given."""

from __future__ import annotations

from infra.config import load_config
from tests.core.test_config_errors import SOURCE, error, raw


def test_every_stack_declares_the_teams_its_endpoints_name(configs):
    for stack, cfg in configs.items():
        owners = {e.team for e in cfg.endpoints.values()}
        assert owners, stack
        assert owners <= set(cfg.teams), (stack, owners - set(cfg.teams))


def test_an_endpoint_owned_by_an_undeclared_team_is_refused():
    prod = raw("prod")
    prod["llm-platform:endpoints"]["embed"]["team"] = "serch"
    error(prod, "llm-platform:endpoints.embed.team: 'serch': not a team of llm-platform:teams; teams: applied-ai, dev-productivity, search")


def test_without_a_teams_section_any_team_is_accepted():
    dev = raw()
    del dev["llm-platform:teams"]
    assert load_config(dev, SOURCE).teams == {}


def test_team_names_are_dns_labels():
    dev = raw()
    dev["llm-platform:teams"]["Applied_AI"] = {}
    error(dev, "llm-platform:teams.Applied_AI.[key]: 'Applied_AI': String should match pattern")
