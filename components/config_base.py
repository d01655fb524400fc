"""The base every config section derives from: camelCase keys in stack files, unknown keys
rejected, values frozen once validated (components must not mutate config)."""

from typing import Annotated

from annotated_types import Le
from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

# Kubernetes reads replica counts, ports, probe and scaling settings as int32
# (https://kubernetes.io/docs/reference/using-api/api-concepts/ ; e.g. DeploymentSpec.replicas is
# `int32`): a larger value, or a float such as 1e30, is refused by the API server at apply time,
# so it is refused here first. Every int a Kubernetes object carries is declared with this type.
INT32_MAX = 2**31 - 1
Int32 = Annotated[int, Le(INT32_MAX)]


class ConfigModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        validate_default=True,
    )
