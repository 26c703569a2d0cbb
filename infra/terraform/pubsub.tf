# One topic for every trigger: the schedule publishes {"reason":"schedule"} every minute and the
# log sinks (sinks.tf) publish audit LogEntries; the function decides per message what to sync.
resource "google_pubsub_topic" "nodelb" {
  project = var.project_id
  name    = var.function_name
  labels  = var.labels

  # A message only says "sync now"; after ten minutes many schedules have done that already.
  message_retention_duration = "600s"

  depends_on = [google_project_service.needed]
}

resource "google_cloud_scheduler_job" "sync" {
  project     = var.project_id
  region      = var.region
  name        = "${var.function_name}-sync"
  description = "Full nodelb sync of every configured cluster."
  schedule    = var.schedule
  time_zone   = var.time_zone

  pubsub_target {
    topic_name = google_pubsub_topic.nodelb.id
    data       = base64encode(jsonencode({ reason = "schedule" }))
  }

  # The next run is a minute away; retrying a missed publish only piles up.
  retry_config {
    retry_count = 0
  }

  depends_on = [google_project_service.needed]
}

# The scheduled fan-out: the function publishes one message per cluster to its own topic.
resource "google_pubsub_topic_iam_member" "function_publisher" {
  project = var.project_id
  topic   = google_pubsub_topic.nodelb.name
  role    = "roles/pubsub.publisher"
  member  = google_service_account.nodelb.member
}
