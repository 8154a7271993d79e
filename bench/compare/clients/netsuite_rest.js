// Reads every customer or project with the npm package `netsuite-rest` (1.0.9).
//
// Its README sends SuiteQL through `request({path: 'query/v1/suiteql?limit=..', method: 'POST'})`
// and points large reads to its `suiteql` package (not on the npm registry any more), whose
// `queryAll(sql, limit = 1000)` pages with limit/offset one page after another until `hasMore`
// is false. This does the same with the base class. Signing is the package's own (TBA, HMAC-SHA256);
// `base_url` is the package's documented option.
//
// Usage: node netsuite_rest.js customers|projects  (ready line of the emulator in $EMULATOR_READY)
// Prints one JSON object per row on stdout.

"use strict";

const fs = require("fs");
const path = require("path");
const NetsuiteRest = require("netsuite-rest");

const PAGE = 1000;

async function main() {
  const kind = process.argv[2];
  const ready = JSON.parse(process.env.EMULATOR_READY);
  const queries = JSON.parse(fs.readFileSync(path.join(__dirname, "queries.json"), "utf8"));
  const api = new NetsuiteRest({
    consumer_key: ready.tba.consumer_key,
    consumer_secret_key: ready.tba.consumer_secret,
    token: ready.tba.token_id,
    token_secret: ready.tba.token_secret,
    realm: ready.account_id,
    base_url: ready.base_url,
  });
  const body = JSON.stringify({ q: queries[kind] });
  for (let offset = 0; ; offset += PAGE) {
    const res = await api.request({
      path: `query/v1/suiteql?limit=${PAGE}&offset=${offset}`,
      method: "POST",
      body,
    });
    let chunk = "";
    for (const row of res.data.items) chunk += JSON.stringify(row) + "\n";
    if (!process.stdout.write(chunk)) await new Promise((r) => process.stdout.once("drain", r));
    if (!res.data.hasMore) break;
  }
}

main().catch((err) => {
  const detail = err.response ? `${err.response.statusCode} ${err.response.body}` : String(err);
  console.error(`netsuite-rest: ${detail}`);
  process.exit(1);
});
