# Operability from the function's own structured log lines (functions/runtime/log.ts): log-based
# metrics on the sync summaries and the action lines, and an alert when the syncs of one cluster
# keep failing. test/unit/infra.test.ts checks every event named here against the code, and
# test/integration/log_metrics.test.ts runs these filters over the lines a real sync writes.
locals {
  # Gen2 functions are Cloud Run services of the same name, so their stdout is logged against the
  # service's revisions. Both functions count: the HTTP one runs the same syncs.
  function_log_filter = "resource.type=\"cloud_run_revision\" AND (resource.labels.service_name=\"${var.function_name}\" OR resource.labels.service_name=\"${var.function_name}-http\")"
}

resource "google_logging_metric" "syncs" {
  project     = var.project_id
  name        = "${var.function_name}/syncs"
  description = "Syncs of one cluster that ended: sync.finished, or sync.crashed for a sync that never got that far (ok is then false). By cluster and ok."
  filter      = "${local.function_log_filter} AND (jsonPayload.event=\"sync.finished\" OR jsonPayload.event=\"sync.crashed\")"

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "nodelb syncs"
    labels {
      key         = "cluster"
      value_type  = "STRING"
      description = "The cluster, projects/P/locations/L/clusters/C."
    }
    labels {
      key         = "ok"
      value_type  = "BOOL"
      description = "outcome is done (functions/core/outcome.ts): reads trusted, every write applied; warnings such as a host port taken on one node do not make it false. False: failed (a retry may help) or refused (a person must act). A crashed sync counts as false."
    }
  }

  label_extractors = {
    cluster = "EXTRACT(labels.cluster)"
    ok      = "EXTRACT(jsonPayload.ok)"
  }
}

resource "google_logging_metric" "actions" {
  project     = var.project_id
  name        = "${var.function_name}/actions"
  description = "Actions a sync applied (DaemonSet, firewall rule, Service status and Event writes), by kind and cluster."
  filter      = "${local.function_log_filter} AND jsonPayload.event=\"action.applied\""

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "nodelb applied actions"
    labels {
      key         = "kind"
      value_type  = "STRING"
      description = "createDaemonSet, updateDaemonSet, deleteDaemonSet, createFirewall, patchFirewall, deleteFirewall, writeStatus or recordEvent."
    }
    labels {
      key         = "cluster"
      value_type  = "STRING"
      description = "The cluster, projects/P/locations/L/clusters/C."
    }
  }

  label_extractors = {
    kind    = "EXTRACT(jsonPayload.kind)"
    cluster = "EXTRACT(labels.cluster)"
  }
}

resource "google_logging_metric" "action_failures" {
  project     = var.project_id
  name        = "${var.function_name}/action_failures"
  description = "Actions that failed, by kind and cluster. The action.failed line has the error, and a fix when nodelb knows one."
  filter      = "${local.function_log_filter} AND jsonPayload.event=\"action.failed\""

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "nodelb failed actions"
    labels {
      key         = "kind"
      value_type  = "STRING"
      description = "The action kind, as in nodelb/actions."
    }
    labels {
      key         = "cluster"
      value_type  = "STRING"
      description = "The cluster, projects/P/locations/L/clusters/C."
    }
  }

  label_extractors = {
    kind    = "EXTRACT(jsonPayload.kind)"
    cluster = "EXTRACT(labels.cluster)"
  }
}

resource "google_logging_metric" "sync_duration" {
  project         = var.project_id
  name            = "${var.function_name}/sync_duration"
  description     = "Wall-clock time of one cluster's sync (connect, observe, plan, apply, and the wait for new proxy pods), by cluster and ok."
  filter          = "${local.function_log_filter} AND jsonPayload.event=\"sync.finished\""
  value_extractor = "EXTRACT(jsonPayload.durationMs)"

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "DISTRIBUTION"
    unit         = "ms"
    display_name = "nodelb sync duration"
    labels {
      key         = "cluster"
      value_type  = "STRING"
      description = "The cluster, projects/P/locations/L/clusters/C."
    }
    labels {
      key         = "ok"
      value_type  = "BOOL"
      description = "outcome is done: reads trusted, every write applied (warnings do not make it false)."
    }
  }

  label_extractors = {
    cluster = "EXTRACT(labels.cluster)"
    ok      = "EXTRACT(jsonPayload.ok)"
  }

  # 100 ms to 27 min in doublings: beyond the longest function timeout (540 s).
  bucket_options {
    exponential_buckets {
      num_finite_buckets = 14
      growth_factor      = 2
      scale              = 100
    }
  }
}

# A Monitoring API quirk: a logs-based metric can take minutes to become visible to alert
# policies. On the first apply this policy may fail with "Cannot find metric(s) that match type";
# run `terraform apply` again a few minutes later.
resource "google_monitoring_alert_policy" "failed_syncs" {
  project               = var.project_id
  display_name          = "${var.function_name}: repeated failed syncs"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = var.alert_notification_channels

  conditions {
    display_name = "more than ${var.failed_syncs_threshold} failed syncs of one cluster in ${var.failed_syncs_window_minutes} min"
    condition_threshold {
      filter                  = "resource.type=\"cloud_run_revision\" AND metric.type=\"logging.googleapis.com/user/${google_logging_metric.syncs.name}\" AND metric.label.ok=\"false\""
      comparison              = "COMPARISON_GT"
      threshold_value         = var.failed_syncs_threshold
      duration                = "60s"
      evaluation_missing_data = "EVALUATION_MISSING_DATA_INACTIVE"
      aggregations {
        alignment_period     = "${var.failed_syncs_window_minutes * 60}s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["metric.label.cluster"]
      }
      trigger {
        count = 1
      }
    }
  }

  alert_strategy {
    auto_close = "1800s"
  }

  documentation {
    mime_type = "text/markdown"
    subject   = "${var.function_name}: syncs of $${metric.label.cluster} keep failing"
    content   = <<-EOT
      More than ${var.failed_syncs_threshold} syncs of cluster `$${metric.label.cluster}` failed within ${var.failed_syncs_window_minutes} minutes. While they fail, Service IPs and firewall rules may lag behind the nodes: a failed write is tried again by the next sync, and a failed read holds back every deletion.

      In Logs Explorer (project ${var.project_id}):

      1. The failed actions, with the error and, in `fix`, what to do when nodelb knows it (a missing IAM permission or RBAC verb, a quota):

         `${local.function_log_filter} AND jsonPayload.event="action.failed" AND labels.cluster="$${metric.label.cluster}"`

      2. The sync summaries: `errors` names a failed connection or read (an unreachable control plane, a 403 on a list), which fails the sync without any failed action:

         `${local.function_log_filter} AND jsonPayload.event="sync.finished" AND jsonPayload.ok=false AND labels.cluster="$${metric.label.cluster}"`

      3. Prerequisites nodelb cannot fix itself (proxy namespace, Pod Security label, Autopilot, nodes without external IPs):

         `${local.function_log_filter} AND jsonPayload.event="prerequisite.missing" AND labels.cluster="$${metric.label.cluster}"`

      A crash (jsonPayload.event="sync.crashed", severity ERROR) is a bug: its stack trace is in Error Reporting.
    EOT
  }
}
