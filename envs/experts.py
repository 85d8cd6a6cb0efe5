"""Scripted experts, kept under ``hfrl.envs`` for old imports: they live in :mod:`hfrl.experts`
(the core), so the simulated teachers (core) can use them without importing the envs layer."""

from hfrl.experts import (
    BOWLING_BACKGROUND,
    BOWLING_BOTTOM_TOP_ROW,
    BOWLING_CURVE_COL,
    BOWLING_LANE_ROWS,
    BOWLING_PINS_COL,
    BOWLING_START_COL,
    MOUNTAIN_CAR_FIRST_PUSH_X,
    ScriptedExpert,
    acrobot_action,
    bowling_action,
    cartpole_action,
    expert_env_ids,
    get_expert,
    lunar_lander_action,
    mountain_car_action,
)

__all__ = [
    "BOWLING_BACKGROUND",
    "BOWLING_BOTTOM_TOP_ROW",
    "BOWLING_CURVE_COL",
    "BOWLING_LANE_ROWS",
    "BOWLING_PINS_COL",
    "BOWLING_START_COL",
    "MOUNTAIN_CAR_FIRST_PUSH_X",
    "ScriptedExpert",
    "acrobot_action",
    "bowling_action",
    "cartpole_action",
    "expert_env_ids",
    "get_expert",
    "lunar_lander_action",
    "mountain_car_action",
]
