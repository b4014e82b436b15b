"""Settings for `benchmarks/serving.py`: the platform as shipped, with `bench_urls` adding one
bare view. Used only by the benchmark (DJANGO_SETTINGS_MODULE=bench_site with this directory on
PYTHONPATH); nothing in the product imports it."""

from caunoi.config.settings import *  # noqa: F403

ROOT_URLCONF = "bench_urls"
