#!/usr/bin/env bash
# Deploys the Responsys Bridge package to a Salesforce org for people who have one (it cannot run
# offline): creates a scratch org from the Dev Hub (or uses an existing org), deploys force-app,
# assigns the permission sets, creates the integration user (scratch orgs), runs the Apex tests,
# and prints the manual steps that remain (connected app with a certificate for the JWT flow).
#
#   scripts/org-deploy.sh --dev-hub my-hub                 # new scratch org "responsys-bridge"
#   scripts/org-deploy.sh --target-org my-sandbox          # deploy to an org you already authorized
#
# Needs the Salesforce CLI v2 (`sf`), authorized to the Dev Hub or the target org.
set -euo pipefail

cd "$(dirname "$0")/.."

alias_name="responsys-bridge"
dev_hub=""
target_org=""
duration_days=7
run_tests=true
integration_permset="Responsys_Bridge_Integration"
viewer_permset="Responsys_Engagement_Viewer"

usage() {
  cat <<'USAGE'
Usage: scripts/org-deploy.sh [options]
  --dev-hub ALIAS      Dev Hub to create the scratch org from (default: the CLI's default Dev Hub)
  --alias NAME         alias of the new scratch org (default: responsys-bridge)
  --days N             scratch org lifetime in days, 1-30 (default: 7)
  --target-org ALIAS   deploy to this existing org instead of creating a scratch org
  --skip-tests         deploy and assign, but do not run the Apex tests
  -h, --help           show this help
USAGE
}

die() {
  echo "org-deploy: $*" >&2
  exit 1
}

while [ $# -gt 0 ]; do
  case "$1" in
    --dev-hub) dev_hub="${2:?--dev-hub needs a value}"; shift 2 ;;
    --alias) alias_name="${2:?--alias needs a value}"; shift 2 ;;
    --days) duration_days="${2:?--days needs a value}"; shift 2 ;;
    --target-org) target_org="${2:?--target-org needs a value}"; shift 2 ;;
    --skip-tests) run_tests=false; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done

command -v sf >/dev/null 2>&1 ||
  die "the Salesforce CLI (sf) is not installed: npm install --global @salesforce/cli"
[ -f config/project-scratch-def.json ] || die "config/project-scratch-def.json is missing"
case "$duration_days" in
  '' | *[!0-9]*) die "--days must be a number from 1 to 30" ;;
esac

step() {
  printf '\n==> %s\n' "$*"
}

created_scratch_org=false
if [ -z "$target_org" ]; then
  step "Creating scratch org '$alias_name' (${duration_days} days)"
  create_args=(org create scratch --definition-file config/project-scratch-def.json --alias "$alias_name"
    --duration-days "$duration_days" --set-default --wait 30)
  if [ -n "$dev_hub" ]; then
    create_args+=(--target-dev-hub "$dev_hub")
  fi
  sf "${create_args[@]}"
  target_org="$alias_name"
  created_scratch_org=true
fi

step "Deploying force-app to '$target_org'"
sf project deploy start --source-dir force-app --target-org "$target_org" --wait 30

step "Assigning $viewer_permset to you, so you see the engagement timeline"
# Never assign Responsys_Bridge_Integration to a person: their changes would stop reaching Responsys.
sf org assign permset --name "$viewer_permset" --target-org "$target_org"

integration_username=""
if [ "$created_scratch_org" = true ]; then
  step "Creating the integration user with $integration_permset"
  user_definition="$(mktemp)"
  trap 'rm -f "$user_definition"' EXIT
  integration_username="responsys-bridge.$(date +%s)@example.com"
  cat >"$user_definition" <<JSON
{
  "Username": "${integration_username}",
  "LastName": "Responsys Bridge",
  "Email": "${integration_username}",
  "Alias": "rbridge",
  "profileName": "Standard User",
  "UserPermissionsMarketingUser": true,
  "permsets": ["${integration_permset}"]
}
JSON
  sf org create user --target-org "$target_org" --definition-file "$user_definition" \
    --set-alias "${alias_name}-integration"
fi

if [ "$run_tests" = true ]; then
  step "Running the package's Apex tests"
  sf apex run test --target-org "$target_org" --test-level RunLocalTests --code-coverage \
    --result-format human --wait 30
fi

if [ -n "$integration_username" ]; then
  integration_step="Created ${integration_username} (alias ${alias_name}-integration) with the
   ${integration_permset} permission set and Marketing User ticked."
else
  integration_step="Create a user for the bridge (an API-only integration user is ideal), assign it the
   ${integration_permset} permission set and tick Marketing User (needed to update campaign members)."
fi

cat <<STEPS

==> Deployed. What remains is done by hand, once per org:

1. Integration user. ${integration_step}
   Its edit access to Leads and Contacts follows sharing: where the org-wide default is Private,
   give it access with a sharing rule or a role at the top of the hierarchy.

2. Certificate for the JWT bearer flow (keep server.key secret, e.g. in your secret store):
     openssl req -x509 -newkey rsa:2048 -nodes -days 730 -subj "/CN=responsys-bridge" \\
       -keyout server.key -out server.crt

3. Connected app (Setup > External Client App Manager > New External Client App; classic connected
   apps can no longer be created from Spring '26):
     - enable OAuth, callback URL http://localhost:1717/OauthRedirect (not used by JWT)
     - scopes: "Manage user data via APIs (api)" and "Perform requests at any time (refresh_token, offline_access)"
     - enable JWT bearer flow and upload server.crt
     - policies: "Admin approved users are pre-authorized", then add the ${integration_permset}
       permission set to the app's policies

4. Configure the bridge (.env or environment):
     SALESFORCE_LOGIN_URL=https://test.salesforce.com    (scratch orgs and sandboxes; production: https://login.salesforce.com)
     SALESFORCE_AUTH=jwt
     SALESFORCE_CLIENT_ID=<consumer key of the app>
     SALESFORCE_USERNAME=${integration_username:-<integration user's username>}
     SALESFORCE_PRIVATE_KEY_FILE=/path/to/server.key
     SALESFORCE_API_VERSION=62.0

5. Add the responsysEngagementTimeline component to the Lead and Contact record pages
   (Lightning App Builder), and review the default field maps, program routes and status rules
   under Setup > Custom Metadata Types. See docs/salesforce-package.md.
STEPS
