#!/usr/bin/env bash
# Removes what infra/gcloud/deploy.sh created, triggers first so that no sync starts half-way:
# scheduler job, log sinks, functions, topic, alert policy and metrics, role bindings and custom
# roles, service account. Firewall rules nodelb made are listed, and deleted only when asked
# (DELETE_FIREWALL_RULES=yes); run it after the Services left the class (see README "Removal").
# Safe to re-run: what is already gone is skipped.
#
#   PROJECT_ID=my-project infra/gcloud/teardown.sh
set -euo pipefail

# ---- settings: the same names and defaults as deploy.sh --------------------------------------
PROJECT_ID="${PROJECT_ID:?set PROJECT_ID to the project of the function}"
REGION="${REGION:-us-central1}"
FUNCTION_NAME="${FUNCTION_NAME:-nodelb}"
SERVICE_ACCOUNT_ID="${SERVICE_ACCOUNT_ID:-nodelb}"
CUSTOM_ROLE_ID="${CUSTOM_ROLE_ID:-nodelbSync}"
# Shared VPC: the host project where deploy.sh made a second role (and nodelb its rules).
NETWORK_PROJECT_ID="${NETWORK_PROJECT_ID:-}"
# yes: delete the firewall rules nodelb left (names nodelb-*, marker "managedBy":"nodelb").
DELETE_FIREWALL_RULES="${DELETE_FIREWALL_RULES:-no}"

[[ "${PROJECT_ID}" =~ ^[a-z][-a-z0-9]{4,28}[a-z0-9]$ ]] || { echo "PROJECT_ID: \"${PROJECT_ID}\" is not a project id" >&2; exit 2; }
[[ -z "${NETWORK_PROJECT_ID}" || "${NETWORK_PROJECT_ID}" =~ ^[a-z][-a-z0-9]{4,28}[a-z0-9]$ ]] ||
  { echo "NETWORK_PROJECT_ID: \"${NETWORK_PROJECT_ID}\" is not a project id" >&2; exit 2; }
[[ "${DELETE_FIREWALL_RULES}" == yes || "${DELETE_FIREWALL_RULES}" == no ]] ||
  { echo "DELETE_FIREWALL_RULES: expected yes or no, got \"${DELETE_FIREWALL_RULES}\"" >&2; exit 2; }

SA_EMAIL="${SERVICE_ACCOUNT_ID}@${PROJECT_ID}.iam.gserviceaccount.com"
log() { printf '==> %s\n' "$*" >&2; }
exists() { "$@" >/dev/null 2>&1; }

# ---- triggers first: nothing starts a sync while the rest goes -------------------------------
JOB="${FUNCTION_NAME}-sync"
if exists gcloud scheduler jobs describe "${JOB}" --project="${PROJECT_ID}" --location="${REGION}"; then
  log "deleting scheduler job ${JOB}"
  gcloud scheduler jobs delete "${JOB}" --project="${PROJECT_ID}" --location="${REGION}" --quiet
fi
for sink in "${FUNCTION_NAME}-gce-instances" "${FUNCTION_NAME}-gke-objects"; do
  if exists gcloud logging sinks describe "${sink}" --project="${PROJECT_ID}"; then
    log "deleting log sink ${sink}"
    gcloud logging sinks delete "${sink}" --project="${PROJECT_ID}" --quiet
  fi
done

# ---- the functions and their topic -----------------------------------------------------------
for fn in "${FUNCTION_NAME}" "${FUNCTION_NAME}-http"; do
  if exists gcloud functions describe "${fn}" --gen2 --project="${PROJECT_ID}" --region="${REGION}"; then
    log "deleting function ${fn}"
    gcloud functions delete "${fn}" --gen2 --project="${PROJECT_ID}" --region="${REGION}" --quiet
  fi
done
if exists gcloud pubsub topics describe "${FUNCTION_NAME}" --project="${PROJECT_ID}"; then
  log "deleting topic ${FUNCTION_NAME}"
  gcloud pubsub topics delete "${FUNCTION_NAME}" --project="${PROJECT_ID}" --quiet
fi

# ---- monitoring ------------------------------------------------------------------------------
POLICY_NAME="${FUNCTION_NAME}: repeated failed syncs"
policies="$(gcloud monitoring policies list --project="${PROJECT_ID}" --filter="displayName=\"${POLICY_NAME}\"" --format='value(name)')"
while IFS= read -r policy; do
  [[ -z "${policy}" ]] && continue
  log "deleting alert policy \"${POLICY_NAME}\""
  gcloud monitoring policies delete "${policy}" --project="${PROJECT_ID}" --quiet
done <<<"${policies}"
for metric in syncs actions action_failures sync_duration; do
  if exists gcloud logging metrics describe "${FUNCTION_NAME}/${metric}" --project="${PROJECT_ID}"; then
    log "deleting logs-based metric ${FUNCTION_NAME}/${metric}"
    gcloud logging metrics delete "${FUNCTION_NAME}/${metric}" --project="${PROJECT_ID}" --quiet
  fi
done

# ---- firewall rules nodelb made (deploy.sh made none: the function did) ----------------------
rules_project="${NETWORK_PROJECT_ID:-${PROJECT_ID}}"
rules=""
while IFS=$'\t' read -r name description; do
  # Only rules with nodelb's ownership marker: a look-alike name alone is not nodelb's.
  if [[ -n "${name}" && "${description}" == *'"managedBy":"nodelb"'* ]]; then rules+="${name}"$'\n'; fi
done < <(gcloud compute firewall-rules list --project="${rules_project}" --filter='name~^nodelb-' --format='value(name,description)')
if [[ -n "${rules}" ]]; then
  if [[ "${DELETE_FIREWALL_RULES}" == yes ]]; then
    while IFS= read -r rule; do
      [[ -z "${rule}" ]] && continue
      log "deleting firewall rule ${rule}"
      gcloud compute firewall-rules delete "${rule}" --project="${rules_project}" --quiet
    done <<<"${rules}"
  else
    log "firewall rules nodelb made are left open (they may belong to another cluster's nodelb in this project):"
    printf '%s' "${rules}" | sed 's/^/    /' >&2
    log "delete them with DELETE_FIREWALL_RULES=yes, or one by one after reading their description"
  fi
fi

# ---- identity last: nothing above runs as it any more ----------------------------------------
for project in "${PROJECT_ID}" ${NETWORK_PROJECT_ID:+"${NETWORK_PROJECT_ID}"}; do
  if exists gcloud iam roles describe "${CUSTOM_ROLE_ID}" --project="${project}"; then
    log "removing the binding and deleting role ${CUSTOM_ROLE_ID} in ${project}"
    gcloud projects remove-iam-policy-binding "${project}" --member="serviceAccount:${SA_EMAIL}" \
      --role="projects/${project}/roles/${CUSTOM_ROLE_ID}" --all >/dev/null 2>&1 || true
    gcloud iam roles delete "${CUSTOM_ROLE_ID}" --project="${project}" --quiet >/dev/null
  fi
done
if exists gcloud iam service-accounts describe "${SA_EMAIL}" --project="${PROJECT_ID}"; then
  log "deleting service account ${SA_EMAIL}"
  gcloud iam service-accounts delete "${SA_EMAIL}" --project="${PROJECT_ID}" --quiet
fi

cat >&2 <<EOF
==> done. In each cluster, last: kubectl delete -k manifests/
    (it removes the nodelb-system namespace with the proxies, and the RBAC binding of ${SA_EMAIL})
EOF
