"""Reads every customer or project with the PyPI package `netsuite` (0.12.0), the way its docs show.

The package has one SuiteQL call, `NetSuiteRestApi.suiteql(q, limit, offset)`, and no paging
helper, so this pages with limit/offset, one page after another, until `hasMore` is false.
`limit` is 1000, NetSuite's maximum page: the package's default of 10 could reach only
10,000 rows (NetSuite serves at most 1000 pages of a query). Its TBA signing is unmodified;
only the base URL points at the emulator (as in crates/netsuite-emulator/compat/).

Usage: python pypi_netsuite.py customers|projects  (ready line of the emulator in $EMULATOR_READY)
Prints one JSON object per row on stdout.
"""

import asyncio
import json
import os
import sys

from netsuite import Config, NetSuiteRestApi, TokenAuth

PAGE = 1000


class EmulatorRestApi(NetSuiteRestApi):
    """Only the base URL changes: the package signs whatever URL it requests."""

    def __init__(self, config, base_url):
        super().__init__(config)
        self._base_url = base_url

    def _make_url(self, subpath):
        return f"{self._base_url}/services/rest{subpath}"


async def read_all(api, query, out):
    offset = 0
    while True:
        page = await api.suiteql(query, limit=PAGE, offset=offset)
        for row in page["items"]:
            out.write(json.dumps(row))
            out.write("\n")
        if not page["hasMore"]:
            return
        offset += PAGE


def main():
    kind = sys.argv[1]
    ready = json.loads(os.environ["EMULATOR_READY"])
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "queries.json")) as f:
        query = json.load(f)[kind]
    config = Config(account=ready["account_id"], auth=TokenAuth(**ready["tba"]))
    api = EmulatorRestApi(config, ready["base_url"])
    asyncio.run(read_all(api, query, sys.stdout))


if __name__ == "__main__":
    main()
