#!/usr/bin/env node
// Runs the serverless-scaleway-functions plugin's own validators on a resolved serverless.yml
// (the JSON of `serverless print --format json`), so what the plugin would reject at deploy
// time fails in CI instead.
//
//   node tests/deploy/validate_plugin.js resolved.json
//
// Prints a JSON report {"checked": [...], "errors": [...]} and exits 1 when errors is not
// empty. It calls the plugin's validators one by one because `validateApplications` skips the
// trigger checks for compiled runtimes (go*, rust*): run as the plugin runs them, a bad cron
// rate or queue name of a Go function would only fail on Scaleway's side, during a deploy.
"use strict";

const fs = require("fs");
const path = require("path");

// Resolve the plugin installed next to this script (npm ci --prefix tests/deploy).
const pluginDir = path.dirname(
  require.resolve("serverless-scaleway-functions/package.json", {
    paths: [__dirname],
  })
);
const validate = require(path.join(pluginDir, "shared", "validate.js"));

const config = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const provider = config.provider || {};
const functions = config.functions || {};
const checked = [];
const errors = [];

function attempt(label, fn) {
  checked.push(label);
  try {
    const result = fn();
    (Array.isArray(result) ? result : []).forEach((e) =>
      errors.push(`${label}: ${e}`)
    );
  } catch (e) {
    errors.push(`${label}: ${e.message}`);
  }
}

// provider.scwRegion: the plugin's list of regions.
attempt(`provider.scwRegion ${JSON.stringify(provider.scwRegion)}`, () =>
  validate.validateRegion.call({ provider: { scwRegion: provider.scwRegion } })
);

// Namespace env and secrets: the API wants strings only.
attempt("provider.env", () => validate.validateEnv(provider.env));
attempt("provider.secret", () => validate.validateEnv(provider.secret));

// Runtime family and handlers, as the plugin checks them (it returns a promise of errors).
const appErrors = [];
checked.push(`provider.runtime ${JSON.stringify(provider.runtime)}`);
validate.validateApplications
  .call(
    {
      serverless: { service: { functions, custom: config.custom } },
      runtime: provider.runtime,
      validateTriggers: validate.validateTriggers,
    },
    []
  )
  .then((errs) => appErrors.push(...errs))
  .catch((e) => appErrors.push(e.message))
  .finally(() => {
    appErrors.forEach((e) => errors.push(`functions: ${e}`));

    // Every event of every function, one at a time so errors name the function and event.
    for (const [name, fn] of Object.entries(functions)) {
      attempt(`functions.${name}.env`, () => validate.validateEnv(fn.env));
      (fn.events || []).forEach((event, i) => {
        const type = Object.keys(event)[0];
        const spec = event[type] || {};
        const what =
          type === "schedule"
            ? `rate ${JSON.stringify(spec.rate)}`
            : `name ${JSON.stringify(spec.name)} queue ${JSON.stringify(
                spec.queue
              )} region ${JSON.stringify(spec.region)}`;
        attempt(`functions.${name}.events[${i}].${type} ${what}`, () =>
          validate.validateTriggers([event])
        );
      });
    }

    process.stdout.write(JSON.stringify({ checked, errors }, null, 2) + "\n");
    process.exitCode = errors.length ? 1 : 0;
  });
