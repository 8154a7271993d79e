"""The PyPI `netsuite` package (0.12.0), TBA with its own unmodified signing, pages SuiteQL."""

import asyncio

from netsuite import Config, NetSuiteRestApi, TokenAuth


class EmulatorRestApi(NetSuiteRestApi):
    """Only the base URL changes: the package signs whatever URL it requests."""

    def __init__(self, config, base_url):
        super().__init__(config)
        self._base_url = base_url

    def _make_url(self, subpath):
        return f"{self._base_url}/services/rest{subpath}"


def test_pages_through_2500_rows_with_tba(emulator):
    config = Config(account=emulator["account_id"], auth=TokenAuth(**emulator["tba"]))
    api = EmulatorRestApi(config, emulator["base_url"])

    async def read_all():
        rows, offset = [], 0
        while True:
            page = await api.suiteql(
                "SELECT id, companyname, isinactive FROM customer ORDER BY id", limit=1000, offset=offset
            )
            rows.extend(page["items"])
            if not page["hasMore"]:
                return rows, page
            offset += 1000

    rows, last = asyncio.run(read_all())
    assert len(rows) == 2500
    assert last["totalResults"] == 2500
    ids = [int(r["id"]) for r in rows]
    assert ids == sorted(ids) and len(set(ids)) == 2500
    assert all(r["isinactive"] in ("T", "F") for r in rows)
    assert all(isinstance(r["id"], str) for r in rows)
