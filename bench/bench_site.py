"""Settings for bench/api_get.py: Firstmile as deployed, with bench_urls adding two bare views to compare with."""

from firstmile.settings import *  # noqa: F403 - the real settings, only the URLconf differs

ROOT_URLCONF = "bench_urls"
