"""Service bases. The six default bases exist from the first migration; more can be configured."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Site:
    id: str
    name: str
    name_zh: str
    timezone: str


DEFAULT_SITES: tuple[Site, ...] = (
    Site("shenzhen", "Shenzhen", "深圳", "Asia/Shanghai"),
    Site("chongqing", "Chongqing", "重庆", "Asia/Shanghai"),
    Site("chengdu", "Chengdu", "成都", "Asia/Shanghai"),
    Site("wuhan", "Wuhan", "武汉", "Asia/Shanghai"),
    Site("yinchuan", "Yinchuan", "银川", "Asia/Shanghai"),
    Site("hefei", "Hefei", "合肥", "Asia/Shanghai"),
)
