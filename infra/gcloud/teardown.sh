#!/usr/bin/env bash
# Removes what infra/gcloud/deploy.sh created, in reverse order: alert policy, logs-based metrics,
# functions, log sinks, scheduler job, topic, IAM bindings, custom roles, service account. Safe to
# re-run: what is already gone is skipped. Leaves the APIs enabled (other things may use them) and
# leaves what the function made (firewall rules, proxies); the last lines say how to remove those.
#
#   PROJECT_ID=my-project infra/gcloud/teardown.sh
set -euo pipefail

# ---- settings: the same names and defaults as deploy.sh ------------------------------------
PROJECT_ID="${PROJECT_ID:?set PROJECT_ID to the project of the function}"
REGION="${REGION:-us-central1}"
FUNCTION_NAME="${FUNCTION_NAME:-nodelb}"
SERVICE_ACCOUNT_ID="${SERVICE_ACCOUNT_ID:-nodelb}"
CUSTOM_ROLE_ID="${CUSTOM_ROLE_ID:-nodelbSync}"
NETWORK_PROJECT_ID="${NETWORK_PROJECT_ID:-}"

SA_EMAIL="${SERVICE_ACCOUNT_ID}@${PROJECT_ID}.iam.gserviceaccount.com"
TOPIC="${FUNCTION_NAME}"

log() { printf '==> %s\n' "$*" >&2; }

# gone COMMAND...: runs a delete; "not found" counts as done, any other failure stops the script.
gone() {
  local out
  if out="$("$@" 2>&1 >/dev/null)"; then return 0; fi
  if [[ "${out}" == *NOT_FOUND* || "${out}" == *"not found"* || "${out}" == *"does not exist"* ]]; then return 0; fi
  printf '%s\n' "${out}" >&2
  return 1
}

# ---- monitoring --------------------------------------------------------------------------------
POLICY_NAME="${FUNCTION_NAME}: repeated failed syncs"
policies="$(gcloud alpha monitoring policies list --project="${PROJECT_ID}" --filter="displayName=\"${POLICY_NAME}\"" --format='value(name)')"
for policy in ${policies}; do
  log "deleting alert policy ${policy}"
  gone gcloud alpha monitoring policies delete "${policy}" --project="${PROJECT_ID}" --quiet
done
for metric in syncs actions action_failures sync_duration; do
  log "deleting logs-based metric ${FUNCTION_NAME}/${metric}"
  gone gcloud logging metrics delete "${FUNCTION_NAME}/${metric}" --project="${PROJECT_ID}" --quiet
done

# ---- functions (their Cloud Run services and the Eventarc trigger go with them) ----------------
for fn in "${FUNCTION_NAME}" "${FUNCTION_NAME}-http"; do
  log "deleting function ${fn}"
  gone gcloud functions delete "${fn}" --gen2 --project="${PROJECT_ID}" --region="${REGION}" --quiet
done

# ---- triggers ----------------------------------------------------------------------------------
for sink in "${FUNCTION_NAME}-gce-instances" "${FUNCTION_NAME}-gke-objects"; do
  log "deleting log sink ${sink}"
  gone gcloud logging sinks delete "${sink}" --project="${PROJECT_ID}" --quiet
done
log "deleting scheduler job ${FUNCTION_NAME}-sync"
gone gcloud scheduler jobs delete "${FUNCTION_NAME}-sync" --project="${PROJECT_ID}" --location="${REGION}" --quiet
# The topic's IAM policy (sink writers, the function's publisher grant) goes with it.
log "deleting topic ${TOPIC}"
gone gcloud pubsub topics delete "${TOPIC}" --project="${PROJECT_ID}" --quiet

# ---- identity ----------------------------------------------------------------------------------
# remove_role PROJECT: the binding first (a deleted role's binding lingers in the policy), then the role.
remove_role() {
  local project="$1"
  log "removing role ${CUSTOM_ROLE_ID} in ${project}"
  gone gcloud projects remove-iam-policy-binding "${project}" --member="serviceAccount:${SA_EMAIL}" \
    --role="projects/${project}/roles/${CUSTOM_ROLE_ID}" --condition=None --quiet
  gone gcloud iam roles delete "${CUSTOM_ROLE_ID}" --project="${project}" --quiet
}
remove_role "${PROJECT_ID}"
if [[ -n "${NETWORK_PROJECT_ID}" && "${NETWORK_PROJECT_ID}" != "${PROJECT_ID}" ]]; then
  remove_role "${NETWORK_PROJECT_ID}"
fi
log "deleting service account ${SA_EMAIL}"
gone gcloud iam service-accounts delete "${SA_EMAIL}" --project="${PROJECT_ID}" --quiet

cat >&2 <<EOF
==> done. What the function made stays until you remove it:
    kubectl delete ns nodelb-system                      # the proxies, in each cluster
    gcloud compute firewall-rules list --project=${NETWORK_PROJECT_ID:-${PROJECT_ID}} --filter='name~^nodelb-' \\
      --format='value(name,description)'                 # delete those whose description names your cluster
A deleted custom role keeps its ID for 37 days: deploy.sh undeletes it when run again.
EOF
