# The function: this repository zipped (the Node.js buildpack runs `npm ci` and the `gcp-build`
# script, so the upload is the TypeScript source, without tests or installed modules), the
# event-driven nodelbEvent on the topic, and optionally nodelbHttp for manual syncs.
locals {
  repository_root = abspath("${path.module}/../..")
  bucket_name     = var.source_bucket_name != "" ? var.source_bucket_name : "${var.project_id}-nodelb-source"

  # Keep in step with .gcloudignore (test/unit/infra.test.ts checks both).
  source_excludes = [
    ".git", ".git/**",
    ".ci", ".ci/**",
    ".notes", ".notes/**",
    "node_modules", "node_modules/**",
    "build", "build/**",
    "test", "test/**",
    "bench", "bench/**",
    "infra", "infra/**",
    "manifests", "manifests/**",
    "**/*.log",
  ]

  function_environment = merge(var.environment, {
    NODELB_CLUSTERS            = join(",", var.clusters)
    NODELB_TIME_BUDGET_SECONDS = tostring(var.function_timeout_seconds - 60)
    NODE_OPTIONS               = var.function_node_options
    # A scheduled round of more clusters than the threshold publishes one message per cluster
    # to the trigger topic; each is synced by its own invocation (up to max_instances at once).
    NODELB_FANOUT_TOPIC     = google_pubsub_topic.nodelb.id
    NODELB_FANOUT_THRESHOLD = tostring(var.fanout_threshold)
  })
}

data "archive_file" "source" {
  type        = "zip"
  source_dir  = local.repository_root
  excludes    = local.source_excludes
  output_path = "${path.module}/.terraform/nodelb-source.zip"
}

resource "google_storage_bucket" "source" {
  project                     = var.project_id
  name                        = local.bucket_name
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  labels                      = var.labels

  # Old archives are only history; the function keeps its built image.
  lifecycle_rule {
    condition {
      age = 30
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.needed]
}

resource "google_storage_bucket_object" "source" {
  # The content hash in the name makes a code change a new object, hence a new deployment.
  name   = "nodelb-${data.archive_file.source.output_md5}.zip"
  bucket = google_storage_bucket.source.name
  source = data.archive_file.source.output_path
}

resource "google_cloudfunctions2_function" "event" {
  project     = var.project_id
  location    = var.region
  name        = var.function_name
  description = "nodelb: sync LoadBalancer Services with the nodes' external IPs, on schedule and on GCE/GKE events."
  labels      = var.labels

  build_config {
    runtime     = "nodejs24"
    entry_point = "nodelbEvent"
    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    # One invocation per instance (a 256M instance has 1/6 vCPU; concurrency needs a whole one),
    # and up to max_instances of them: a fanned-out round syncs that many clusters at once.
    max_instance_count               = var.max_instances
    max_instance_request_concurrency = 1
    available_memory                 = var.function_memory
    timeout_seconds                  = var.function_timeout_seconds
    service_account_email            = google_service_account.nodelb.email
    ingress_settings                 = "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision   = true
    environment_variables            = local.function_environment
  }

  event_trigger {
    trigger_region        = var.region
    event_type            = "google.cloud.pubsub.topic.v1.messagePublished"
    pubsub_topic          = google_pubsub_topic.nodelb.id
    service_account_email = google_service_account.nodelb.email
    # The handler throws only when a retry can help (report.retryable); permanent failures and
    # unparseable messages are acknowledged.
    retry_policy = "RETRY_POLICY_RETRY"
  }

  depends_on = [google_project_service.needed, google_project_iam_member.sync]
}

# The trigger delivers as the function's own account, which may invoke this service only.
resource "google_cloud_run_service_iam_member" "event_invoker" {
  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.event.name
  role     = "roles/run.invoker"
  member   = google_service_account.nodelb.member
}

resource "google_cloudfunctions2_function" "http" {
  count = var.enable_http_function ? 1 : 0

  project     = var.project_id
  location    = var.region
  name        = "${var.function_name}-http"
  description = "nodelb manual sync: answers with the JSON report (?dryRun=true, ?cluster=...)."
  labels      = var.labels

  build_config {
    runtime     = "nodejs24"
    entry_point = "nodelbHttp"
    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    max_instance_count               = 1
    max_instance_request_concurrency = 1
    available_memory                 = var.function_memory
    timeout_seconds                  = var.function_timeout_seconds
    service_account_email            = google_service_account.nodelb.email
    ingress_settings                 = "ALLOW_ALL"
    all_traffic_on_latest_revision   = true
    environment_variables            = local.function_environment
  }

  depends_on = [google_project_service.needed, google_project_iam_member.sync]
}

# Invoker IAM only: no public binding, so every call carries a Google identity token.
resource "google_cloud_run_service_iam_member" "http_invoker" {
  for_each = var.enable_http_function ? toset(var.http_invokers) : toset([])

  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.http[0].name
  role     = "roles/run.invoker"
  member   = each.value
}
