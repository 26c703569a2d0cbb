#!/usr/bin/env bash
# Deploys nodelb with gcloud, the same resources as infra/terraform: service account, custom
# role, topic, every-minute scheduler job, GCE/GKE audit-log sinks with publisher grants, the
# gen2 function on the topic (optionally the HTTP function), and the logs-based metrics and alert
# policy of infra/gcloud/monitoring/. Safe to re-run: each step creates what is missing and
# updates what exists.
#
#   PROJECT_ID=my-project CLUSTERS=projects/my-project/locations/us-central1/clusters/prod \
#     infra/gcloud/deploy.sh
set -euo pipefail

# ---- settings (environment overrides) ------------------------------------------------------
PROJECT_ID="${PROJECT_ID:?set PROJECT_ID to the project of the function}"
# Comma- or space-separated projects/P/locations/L/clusters/C (NODELB_CLUSTERS).
CLUSTERS="${CLUSTERS:?set CLUSTERS to projects/P/locations/L/clusters/C[,...]}"
REGION="${REGION:-us-central1}"
FUNCTION_NAME="${FUNCTION_NAME:-nodelb}"
SERVICE_ACCOUNT_ID="${SERVICE_ACCOUNT_ID:-nodelb}"
CUSTOM_ROLE_ID="${CUSTOM_ROLE_ID:-nodelbSync}"
# Shared VPC host project that owns the firewall rules; empty when the network is in PROJECT_ID.
NETWORK_PROJECT_ID="${NETWORK_PROJECT_ID:-}"
SCHEDULE="${SCHEDULE:-* * * * *}"
TIME_ZONE="${TIME_ZONE:-Etc/UTC}"
TIMEOUT_SECONDS="${TIMEOUT_SECONDS:-300}"
MEMORY="${MEMORY:-256Mi}"
# Instances that sync at once: a scheduled round of more than FANOUT_THRESHOLD clusters is fanned
# out, one Pub/Sub message (and invocation) per cluster; each instance takes one at a time.
MAX_INSTANCES="${MAX_INSTANCES:-10}"
FANOUT_THRESHOLD="${FANOUT_THRESHOLD:-8}"
# Keeps the heap inside a 256Mi instance (npm run bench); raise the old space with MEMORY (~5/8).
NODE_OPTIONS_VALUE="${NODE_OPTIONS_VALUE:---max-old-space-size=160 --max-semi-space-size=1}"
WATCH_GKE_AUDIT_LOGS="${WATCH_GKE_AUDIT_LOGS:-true}"
# Node status writes are in GKE's Data Access log (DATA_WRITE, off by default, billed).
WATCH_NODE_STATUS="${WATCH_NODE_STATUS:-false}"
ENABLE_HTTP_FUNCTION="${ENABLE_HTTP_FUNCTION:-false}"
# Space-separated IAM members allowed to call the HTTP function (user:…, group:…, serviceAccount:…).
HTTP_INVOKERS="${HTTP_INVOKERS:-}"
# Further NODELB_* settings, one KEY=VALUE per line (e.g. NODELB_MAX_IPS=3).
EXTRA_ENV="${EXTRA_ENV:-}"
# The alert "repeated failed syncs" fires when more than FAILED_SYNCS_THRESHOLD syncs of one
# cluster fail within FAILED_SYNCS_WINDOW_MINUTES.
FAILED_SYNCS_THRESHOLD="${FAILED_SYNCS_THRESHOLD:-3}"
FAILED_SYNCS_WINDOW_MINUTES="${FAILED_SYNCS_WINDOW_MINUTES:-10}"
# Space- or comma-separated projects/P/notificationChannels/ID; empty: incidents show in the console only.
ALERT_NOTIFICATION_CHANNELS="${ALERT_NOTIFICATION_CHANNELS:-}"
# A new logs-based metric takes minutes to reach Cloud Monitoring; the policy is retried this often.
METRIC_WAIT_SECONDS="${METRIC_WAIT_SECONDS:-30}"

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SA_EMAIL="${SERVICE_ACCOUNT_ID}@${PROJECT_ID}.iam.gserviceaccount.com"
TOPIC="${FUNCTION_NAME}"
TOPIC_ID="projects/${PROJECT_ID}/topics/${TOPIC}"

# Exactly what a sync calls (infra/terraform/iam.tf has the same list; a test compares them
# with the calls the code makes).
SYNC_PERMISSIONS=(
  container.clusters.get
  container.clusters.connect
  compute.instances.list
  compute.firewalls.list
  compute.firewalls.create
  compute.firewalls.update
  compute.firewalls.delete
  compute.networks.updatePolicy
  compute.globalOperations.get
)
NETWORK_PERMISSIONS=(
  compute.firewalls.list
  compute.firewalls.create
  compute.firewalls.update
  compute.firewalls.delete
  compute.networks.updatePolicy
  compute.globalOperations.get
)

# Called through the API, these carry the API version: v1.… or beta.….
GCE_API_METHODS=(
  compute.instances.insert
  compute.instances.delete
  compute.instances.start
  compute.instances.stop
  compute.instances.reset
  compute.instances.suspend
  compute.instances.resume
  compute.instances.addAccessConfig
  compute.instances.deleteAccessConfig
  compute.instances.updateAccessConfig
  compute.instances.setTags
)
# System events and MIG autohealing: no version prefix.
GCE_SYSTEM_METHODS=(
  compute.instances.preempted
  compute.instances.hostError
  compute.instances.guestTerminate
  compute.instances.terminateOnHostMaintenance
  compute.instances.automaticRestart
  compute.instances.repair.recreateInstance
)
# Admin Activity log. Service status is nodelb's own write and is never routed.
GKE_METHODS=(
  io.k8s.core.v1.services.create
  io.k8s.core.v1.services.update
  io.k8s.core.v1.services.patch
  io.k8s.core.v1.services.delete
  io.k8s.core.v1.nodes.create
  io.k8s.core.v1.nodes.update
  io.k8s.core.v1.nodes.patch
  io.k8s.core.v1.nodes.delete
)
GKE_NODE_STATUS_METHODS=(
  io.k8s.core.v1.nodes.status.patch
  io.k8s.core.v1.nodes.status.update
)

# ---- helpers ---------------------------------------------------------------------------------
log() { printf '==> %s\n' "$*" >&2; }
join_by() {
  local sep="$1" out="" item
  shift
  for item in "$@"; do out="${out:+${out}${sep}}${item}"; done
  printf '%s' "${out}"
}
exists() { "$@" >/dev/null 2>&1; }

# ---- checks ----------------------------------------------------------------------------------
read -r -a CLUSTER_LIST <<<"${CLUSTERS//,/ }"
for c in "${CLUSTER_LIST[@]}"; do
  [[ "${c}" =~ ^projects/[a-z][-a-z0-9]{4,28}[a-z0-9]/locations/[a-z0-9-]+/clusters/[a-z]([-a-z0-9]{0,38}[a-z0-9])?$ ]] ||
    { echo "CLUSTERS: \"${c}\" is not projects/PROJECT/locations/LOCATION/clusters/NAME" >&2; exit 2; }
done
if ((TIMEOUT_SECONDS < 90 || TIMEOUT_SECONDS > 540)); then
  echo "TIMEOUT_SECONDS must be from 90 to 540" >&2
  exit 2
fi
[[ "${FAILED_SYNCS_THRESHOLD}" =~ ^(0|[1-9][0-9]*)$ ]] ||
  { echo "FAILED_SYNCS_THRESHOLD must be a whole number, 0 or more" >&2; exit 2; }
if ! [[ "${FAILED_SYNCS_WINDOW_MINUTES}" =~ ^[1-9][0-9]*$ ]] || ((FAILED_SYNCS_WINDOW_MINUTES > 1440)); then
  echo "FAILED_SYNCS_WINDOW_MINUTES must be a whole number of minutes from 1 to 1440" >&2
  exit 2
fi
[[ "${METRIC_WAIT_SECONDS}" =~ ^[0-9]+$ ]] || { echo "METRIC_WAIT_SECONDS must be a number of seconds" >&2; exit 2; }
if ! [[ "${MAX_INSTANCES}" =~ ^[1-9][0-9]*$ ]] || ((MAX_INSTANCES > 1000)); then
  echo "MAX_INSTANCES must be a whole number from 1 to 1000" >&2
  exit 2
fi
[[ "${FANOUT_THRESHOLD}" =~ ^[1-9][0-9]*$ ]] || { echo "FANOUT_THRESHOLD must be a whole number, 1 or more" >&2; exit 2; }
read -r -a CHANNEL_LIST <<<"${ALERT_NOTIFICATION_CHANNELS//,/ }"
# (The ${a[@]+...} form: an empty array is "unbound" to bash 3.2 under set -u.)
for c in ${CHANNEL_LIST[@]+"${CHANNEL_LIST[@]}"}; do
  [[ "${c}" =~ ^projects/[^/]+/notificationChannels/[^/]+$ ]] ||
    { echo "ALERT_NOTIFICATION_CHANNELS: \"${c}\" is not projects/PROJECT/notificationChannels/ID" >&2; exit 2; }
done

# ---- APIs ------------------------------------------------------------------------------------
log "enabling APIs in ${PROJECT_ID}"
gcloud services enable --project="${PROJECT_ID}" \
  artifactregistry.googleapis.com cloudbuild.googleapis.com cloudfunctions.googleapis.com \
  cloudscheduler.googleapis.com compute.googleapis.com container.googleapis.com \
  eventarc.googleapis.com iam.googleapis.com logging.googleapis.com monitoring.googleapis.com \
  pubsub.googleapis.com run.googleapis.com storage.googleapis.com

# ---- identity --------------------------------------------------------------------------------
if ! exists gcloud iam service-accounts describe "${SA_EMAIL}" --project="${PROJECT_ID}"; then
  log "creating service account ${SA_EMAIL}"
  gcloud iam service-accounts create "${SERVICE_ACCOUNT_ID}" --project="${PROJECT_ID}" \
    --display-name="nodelb sync" \
    --description="Runs the nodelb function; Kubernetes rights via RBAC (manifests/)."
fi

# ensure_role PROJECT PERMISSION... : create, undelete or update the custom role.
ensure_role() {
  local project="$1"
  shift
  local permissions
  permissions="$(join_by , "$@")"
  local deleted
  if deleted="$(gcloud iam roles describe "${CUSTOM_ROLE_ID}" --project="${project}" --format='value(deleted)' 2>/dev/null)"; then
    if [[ "${deleted}" == "True" ]]; then
      log "undeleting role ${CUSTOM_ROLE_ID} in ${project}"
      gcloud iam roles undelete "${CUSTOM_ROLE_ID}" --project="${project}" >/dev/null
    fi
    log "updating role ${CUSTOM_ROLE_ID} in ${project}"
    gcloud iam roles update "${CUSTOM_ROLE_ID}" --project="${project}" --permissions="${permissions}" --quiet >/dev/null
  else
    log "creating role ${CUSTOM_ROLE_ID} in ${project}"
    gcloud iam roles create "${CUSTOM_ROLE_ID}" --project="${project}" --title="nodelb sync" \
      --description="Exactly what a nodelb sync calls." --permissions="${permissions}" --stage=GA >/dev/null
  fi
  gcloud projects add-iam-policy-binding "${project}" --member="serviceAccount:${SA_EMAIL}" \
    --role="projects/${project}/roles/${CUSTOM_ROLE_ID}" --condition=None >/dev/null
}

ensure_role "${PROJECT_ID}" "${SYNC_PERMISSIONS[@]}"
if [[ -n "${NETWORK_PROJECT_ID}" && "${NETWORK_PROJECT_ID}" != "${PROJECT_ID}" ]]; then
  # Shared VPC: the firewall rules live in the host project.
  ensure_role "${NETWORK_PROJECT_ID}" "${NETWORK_PERMISSIONS[@]}"
fi

# ---- topic and schedule ----------------------------------------------------------------------
if ! exists gcloud pubsub topics describe "${TOPIC}" --project="${PROJECT_ID}"; then
  log "creating topic ${TOPIC_ID}"
  gcloud pubsub topics create "${TOPIC}" --project="${PROJECT_ID}" --message-retention-duration=10m
fi
# The scheduled fan-out publishes one message per cluster to this same topic, as the function.
gcloud pubsub topics add-iam-policy-binding "${TOPIC}" --project="${PROJECT_ID}" \
  --member="serviceAccount:${SA_EMAIL}" --role=roles/pubsub.publisher >/dev/null

JOB="${FUNCTION_NAME}-sync"
job_verb=create
if exists gcloud scheduler jobs describe "${JOB}" --project="${PROJECT_ID}" --location="${REGION}"; then job_verb=update; fi
log "${job_verb} scheduler job ${JOB} (${SCHEDULE})"
gcloud scheduler jobs "${job_verb}" pubsub "${JOB}" --project="${PROJECT_ID}" --location="${REGION}" \
  --schedule="${SCHEDULE}" --time-zone="${TIME_ZONE}" --topic="${TOPIC_ID}" \
  --message-body='{"reason":"schedule"}' --max-retry-attempts=0 \
  --description="Full nodelb sync of every configured cluster." >/dev/null

# ---- log sinks -------------------------------------------------------------------------------
LOG_PREFIX="projects/${PROJECT_ID}/logs/cloudaudit.googleapis.com"

gce_method_terms=()
for m in "${GCE_API_METHODS[@]}"; do
  gce_method_terms+=("protoPayload.methodName=\"v1.${m}\"" "protoPayload.methodName=\"beta.${m}\"")
done
for m in "${GCE_SYSTEM_METHODS[@]}"; do gce_method_terms+=("protoPayload.methodName=\"${m}\""); done
GCE_FILTER="$(join_by ' AND ' \
  "(logName=\"${LOG_PREFIX}%2Factivity\" OR logName=\"${LOG_PREFIX}%2Fsystem_event\")" \
  'protoPayload.serviceName="compute.googleapis.com"' \
  'resource.type="gce_instance"' \
  "($(join_by ' OR ' "${gce_method_terms[@]}"))")"

gke_methods=("${GKE_METHODS[@]}")
gke_logs="logName=\"${LOG_PREFIX}%2Factivity\""
if [[ "${WATCH_NODE_STATUS}" == "true" ]]; then
  gke_methods+=("${GKE_NODE_STATUS_METHODS[@]}")
  gke_logs="(${gke_logs} OR logName=\"${LOG_PREFIX}%2Fdata_access\")"
fi
gke_method_terms=()
for m in "${gke_methods[@]}"; do gke_method_terms+=("protoPayload.methodName=\"${m}\""); done
gke_cluster_terms=()
for c in "${CLUSTER_LIST[@]}"; do
  IFS=/ read -r _ project _ location _ name <<<"${c}"
  if [[ "${project}" == "${PROJECT_ID}" ]]; then
    gke_cluster_terms+=("(resource.labels.location=\"${location}\" AND resource.labels.cluster_name=\"${name}\")")
  fi
done

# ensure_sink NAME FILTER DESCRIPTION: create or update, then let its writer publish.
ensure_sink() {
  local name="$1" filter="$2" description="$3"
  local destination="pubsub.googleapis.com/${TOPIC_ID}"
  if exists gcloud logging sinks describe "${name}" --project="${PROJECT_ID}"; then
    log "updating log sink ${name}"
    gcloud logging sinks update "${name}" "${destination}" --project="${PROJECT_ID}" \
      --log-filter="${filter}" --description="${description}" >/dev/null
  else
    log "creating log sink ${name}"
    # gcloud gives every new sink its own writer identity.
    gcloud logging sinks create "${name}" "${destination}" --project="${PROJECT_ID}" \
      --log-filter="${filter}" --description="${description}" >/dev/null
  fi
  local writer
  writer="$(gcloud logging sinks describe "${name}" --project="${PROJECT_ID}" --format='value(writerIdentity)')"
  gcloud pubsub topics add-iam-policy-binding "${TOPIC}" --project="${PROJECT_ID}" \
    --member="${writer}" --role=roles/pubsub.publisher >/dev/null
}

ensure_sink "${FUNCTION_NAME}-gce-instances" "${GCE_FILTER}" \
  "GCE instance changes that can change a GKE node's external IP."
if [[ "${WATCH_GKE_AUDIT_LOGS}" == "true" && ${#gke_cluster_terms[@]} -gt 0 ]]; then
  GKE_FILTER="$(join_by ' AND ' \
    "${gke_logs}" \
    'resource.type="k8s_cluster"' \
    'protoPayload.serviceName="k8s.io"' \
    "($(join_by ' OR ' "${gke_cluster_terms[@]}"))" \
    "($(join_by ' OR ' "${gke_method_terms[@]}"))" \
    "protoPayload.authenticationInfo.principalEmail!=\"${SA_EMAIL}\"")"
  ensure_sink "${FUNCTION_NAME}-gke-objects" "${GKE_FILTER}" \
    "Service and Node writes in the configured GKE clusters."
fi

# ---- function --------------------------------------------------------------------------------
WORK_DIR="$(mktemp -d)"
trap 'rm -rf "${WORK_DIR}"' EXIT
ENV_FILE="${WORK_DIR}/env.yaml"
{
  printf 'NODELB_CLUSTERS: "%s"\n' "$(join_by , "${CLUSTER_LIST[@]}")"
  printf 'NODELB_TIME_BUDGET_SECONDS: "%s"\n' "$((TIMEOUT_SECONDS - 60))"
  printf 'NODE_OPTIONS: "%s"\n' "${NODE_OPTIONS_VALUE}"
  printf 'NODELB_FANOUT_TOPIC: "%s"\n' "${TOPIC_ID}"
  printf 'NODELB_FANOUT_THRESHOLD: "%s"\n' "${FANOUT_THRESHOLD}"
  while IFS='=' read -r key value; do
    [[ -z "${key}" ]] && continue
    [[ "${key}" =~ ^NODELB_[A-Z_]+$ ]] || { echo "EXTRA_ENV: \"${key}\" is not a NODELB_* variable" >&2; exit 2; }
    printf '%s: "%s"\n' "${key}" "${value//\"/\\\"}"
  done <<<"${EXTRA_ENV}"
} >"${ENV_FILE}"

log "deploying ${FUNCTION_NAME} (nodelbEvent) from ${REPO_ROOT}"
# .gcloudignore keeps tests, node_modules and build output out of the upload.
gcloud functions deploy "${FUNCTION_NAME}" --gen2 --project="${PROJECT_ID}" --region="${REGION}" \
  --runtime=nodejs24 --source="${REPO_ROOT}" --entry-point=nodelbEvent \
  --trigger-topic="${TOPIC}" --retry \
  --service-account="${SA_EMAIL}" --trigger-service-account="${SA_EMAIL}" \
  --memory="${MEMORY}" --timeout="${TIMEOUT_SECONDS}s" --max-instances="${MAX_INSTANCES}" --concurrency=1 \
  --ingress-settings=internal-only --env-vars-file="${ENV_FILE}" --quiet
# The trigger delivers as the function's own account, which may invoke this service only.
gcloud run services add-iam-policy-binding "${FUNCTION_NAME}" --project="${PROJECT_ID}" --region="${REGION}" \
  --member="serviceAccount:${SA_EMAIL}" --role=roles/run.invoker >/dev/null

if [[ "${ENABLE_HTTP_FUNCTION}" == "true" ]]; then
  log "deploying ${FUNCTION_NAME}-http (nodelbHttp)"
  gcloud functions deploy "${FUNCTION_NAME}-http" --gen2 --project="${PROJECT_ID}" --region="${REGION}" \
    --runtime=nodejs24 --source="${REPO_ROOT}" --entry-point=nodelbHttp --trigger-http \
    --no-allow-unauthenticated --service-account="${SA_EMAIL}" \
    --memory="${MEMORY}" --timeout="${TIMEOUT_SECONDS}s" --max-instances=1 --concurrency=1 \
    --env-vars-file="${ENV_FILE}" --quiet
  read -r -a invokers <<<"${HTTP_INVOKERS}"
  for member in "${invokers[@]}"; do
    gcloud functions add-invoker-policy-binding "${FUNCTION_NAME}-http" --project="${PROJECT_ID}" \
      --region="${REGION}" --member="${member}" >/dev/null
  done
fi

# ---- monitoring ------------------------------------------------------------------------------
MONITORING_DIR="${REPO_ROOT}/infra/gcloud/monitoring"
# Gen2 functions are Cloud Run services of the same name; both functions run syncs.
FUNCTION_LOG_FILTER="resource.type=\"cloud_run_revision\" AND (resource.labels.service_name=\"${FUNCTION_NAME}\" OR resource.labels.service_name=\"${FUNCTION_NAME}-http\")"
channels_json=""
for c in ${CHANNEL_LIST[@]+"${CHANNEL_LIST[@]}"}; do channels_json="${channels_json:+${channels_json}, }\"${c}\""; done

# render NAME: infra/gcloud/monitoring/NAME.json with its @TOKEN@s filled in, as a file; prints its path.
render() {
  local text out="${WORK_DIR}/$1.json"
  text="$(<"${MONITORING_DIR}/$1.json")"
  # Values go inside JSON strings: the filter's quotes are escaped.
  text="${text//@FUNCTION_LOG_FILTER@/"${FUNCTION_LOG_FILTER//\"/\\\"}"}"
  text="${text//@FUNCTION_NAME@/"${FUNCTION_NAME}"}"
  text="${text//@PROJECT_ID@/"${PROJECT_ID}"}"
  text="${text//@FAILED_SYNCS_THRESHOLD@/"${FAILED_SYNCS_THRESHOLD}"}"
  text="${text//@FAILED_SYNCS_WINDOW_MINUTES@/"${FAILED_SYNCS_WINDOW_MINUTES}"}"
  text="${text//@FAILED_SYNCS_WINDOW_SECONDS@/"$((FAILED_SYNCS_WINDOW_MINUTES * 60))"}"
  text="${text//@NOTIFICATION_CHANNELS@/"[${channels_json}]"}"
  if [[ "${text}" =~ @[A-Z_]+@ ]]; then
    echo "infra/gcloud/monitoring/$1.json: no value for ${BASH_REMATCH[0]}" >&2
    exit 1
  fi
  printf '%s\n' "${text}" >"${out}"
  printf '%s' "${out}"
}

for metric in syncs actions action_failures sync_duration; do
  name="${FUNCTION_NAME}/${metric}"
  config="$(render "metric-${metric}")"
  if exists gcloud logging metrics describe "${name}" --project="${PROJECT_ID}"; then
    log "updating logs-based metric ${name}"
    gcloud logging metrics update "${name}" --project="${PROJECT_ID}" --config-from-file="${config}" >/dev/null
  else
    log "creating logs-based metric ${name}"
    gcloud logging metrics create "${name}" --project="${PROJECT_ID}" --config-from-file="${config}" >/dev/null
  fi
done

POLICY_NAME="${FUNCTION_NAME}: repeated failed syncs"
policy="$(render policy-failed-syncs)"
existing="$(gcloud alpha monitoring policies list --project="${PROJECT_ID}" --filter="displayName=\"${POLICY_NAME}\"" --format='value(name)')"
existing="${existing%%$'\n'*}"
if [[ -n "${existing}" ]]; then
  log "updating alert policy \"${POLICY_NAME}\""
  gcloud alpha monitoring policies update "${existing}" --project="${PROJECT_ID}" --policy-from-file="${policy}" >/dev/null
else
  log "creating alert policy \"${POLICY_NAME}\""
  # Monitoring learns of a new logs-based metric minutes after it is created (up to ten).
  for attempt in $(seq 1 20); do
    if out="$(gcloud alpha monitoring policies create --project="${PROJECT_ID}" --policy-from-file="${policy}" 2>&1 >/dev/null)"; then break; fi
    if [[ "${out}" != *"Cannot find metric"* && "${out}" != *"metric referenced by the provided filter is unknown"* ]] || ((attempt == 20)); then
      printf '%s\n' "${out}" >&2
      exit 1
    fi
    log "the new metrics are not visible to Cloud Monitoring yet; trying again in ${METRIC_WAIT_SECONDS}s"
    sleep "${METRIC_WAIT_SECONDS}"
  done
fi

cat >&2 <<EOF
==> done. The function runs as ${SA_EMAIL}; bind it in the clusters:
    sed -i 's/nodelb@PROJECT_ID.iam.gserviceaccount.com/${SA_EMAIL}/' manifests/kustomization.yaml
    kubectl apply -k manifests/
EOF
