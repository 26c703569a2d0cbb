# What the next steps need: the account to bind in manifests/ RBAC, and the names to look for.

output "service_account_email" {
  description = "The function's identity: the Kubernetes user that manifests/ binds (see rbac_setup)."
  value       = google_service_account.nodelb.email
}

output "custom_role_id" {
  description = "Custom role holding the sync's permissions."
  value       = google_project_iam_custom_role.sync.id
}

output "topic" {
  description = "Pub/Sub topic every trigger publishes to."
  value       = google_pubsub_topic.nodelb.id
}

output "scheduler_job" {
  description = "Cloud Scheduler job of the full sync."
  value       = google_cloud_scheduler_job.sync.id
}

output "sink_writer_identities" {
  description = "Writer identities of the log sinks (each may publish to the topic)."
  value       = concat([google_logging_project_sink.gce.writer_identity], google_logging_project_sink.gke[*].writer_identity)
}

output "event_function" {
  description = "The event-driven function."
  value       = google_cloudfunctions2_function.event.id
}

output "http_function_url" {
  description = "URL of nodelbHttp (empty unless enable_http_function). Call it with an identity token: curl -H \"Authorization: Bearer $(gcloud auth print-identity-token)\" URL."
  value       = var.enable_http_function ? google_cloudfunctions2_function.http[0].url : ""
}

output "rbac_setup" {
  description = "Binds the Kubernetes RBAC in manifests/ to this account and applies it (run from the repository root)."
  value       = "sed -i 's/nodelb@PROJECT_ID.iam.gserviceaccount.com/${google_service_account.nodelb.email}/' manifests/kustomization.yaml && kubectl apply -k manifests/"
}
